import { randomBytes } from 'node:crypto';

/**
 * The one error catalogue of confab. Every error the API can return is listed here with a stable
 * `code` (the Vonage wire code where one exists), its HTTP status and a title. Codes are never reused
 * or renamed; docs/errors.md documents each of them.
 */
export const ERRORS = {
  'http:error:validation-fail': { status: 400, title: 'Input validation failure.' },
  'http:error:not-found': { status: 404, title: 'Not found.' },
  'http:error:method-not-allowed': { status: 405, title: 'Method not allowed.' },
  'http:error:unsupported-media-type': { status: 415, title: 'Unsupported media type.' },
  'http:error:payload-too-large': { status: 413, title: 'Payload too large.' },
  'http:error:too-many-requests': { status: 429, title: 'Too many requests.' },
  'system:error:invalid-token': { status: 401, title: 'Invalid credentials supplied' },
  'system:error:expired-token': { status: 401, title: 'Invalid credentials supplied' },
  'system:error:permission': { status: 403, title: 'You do not have permission to perform this action.' },
  'system:error:internal-error': { status: 500, title: 'Something went wrong.' },
  'system:error:unavailable': { status: 503, title: 'Service unavailable.' },
  'user:error:not-found': { status: 404, title: 'User does not exist, or you do not have access.' },
  'user:error:duplicate-name': { status: 409, title: 'User name already exists.' },
  'conversation:error:not-found': {
    status: 404,
    title: 'Conversation does not exist, or you do not have access.',
  },
  'conversation:error:duplicate-name': { status: 409, title: 'Conversation name already exists.' },
  'conversation:error:not-allowed': {
    status: 400,
    title: 'The conversation is INACTIVE. Only GET and DELETE actions are allowed.',
  },
  'conversation:error:member-already-joined': { status: 409, title: 'Member already joined.' },
  'conversation:error:already-member': {
    status: 409,
    title: 'User is already a member of this conversation.',
  },
  'conversation:error:invalid-member-state': { status: 400, title: 'Invalid member state transition.' },
  'conversation:error:invalid-channel': { status: 400, title: 'Invalid channel.' },
  'member:error:not-found': { status: 404, title: 'Member does not exist, or you do not have access.' },
  'event:error:not-found': { status: 404, title: 'Event does not exist, or you do not have access.' },
  'event:error:unknown-event': { status: 400, title: 'Unknown or server-only event type.' },
  'event:error:not-joined': { status: 403, title: 'The member has not joined the conversation.' },
  'leg:error:not-found': { status: 404, title: 'Leg does not exist, or you do not have access.' },
  'leg:error:complete': { status: 400, title: 'The leg has already completed.' },
  'leg:error:not-answered': { status: 400, title: 'The leg has not been answered yet.' },
  'session:error:not-found': { status: 404, title: 'Session does not exist, or you do not have access.' },
} as const satisfies Record<string, { status: number; title: string }>;

/** A code of the catalogue. */
export type ErrorCode = keyof typeof ERRORS;

/** One invalid input, as listed in a 400 body's `invalid_parameters`. */
export interface InvalidParameter {
  /** Name or JSON path of the offending field. */
  name: string;
  /** Why it was refused. */
  reason: string;
}

/**
 * An error with a catalogue code. Services and repositories throw it; the API turns it into the
 * catalogue's JSON body and HTTP status, and any other thrown value into a 500.
 */
export class ConfabError extends Error {
  /** The catalogue code, such as `conversation:error:not-found`. */
  readonly code: ErrorCode;
  /** The HTTP status the catalogue gives the code. */
  readonly status: number;
  /** The catalogue's fixed title. */
  readonly title: string;
  /** The offending inputs, for validation failures. */
  readonly invalidParameters: readonly InvalidParameter[];

  constructor(code: ErrorCode, detail?: string, invalidParameters: readonly InvalidParameter[] = []) {
    const entry = ERRORS[code];
    super(detail ?? entry.title);
    this.name = 'ConfabError';
    this.code = code;
    this.status = entry.status;
    this.title = entry.title;
    this.invalidParameters = invalidParameters;
  }
}

/** Tells whether a thrown value is a catalogue error, optionally of one code. */
export function isConfabError(value: unknown, code?: ErrorCode): value is ConfabError {
  return value instanceof ConfabError && (code === undefined || value.code === code);
}

/** The JSON body of every error response, after the Conversation API's RFC 7807-like shape. */
export interface ProblemBody {
  type: string;
  title: string;
  code: ErrorCode;
  detail: string;
  /** A fresh opaque id per response, to quote in support requests and find in the logs. */
  instance: string;
  invalid_parameters?: InvalidParameter[];
}

const DOCS = 'https://developer.nexmo.com/api/conversation#';

/** Builds the error body of a catalogue code, as the HTTP API and the realtime socket send it. */
export function problemBody(
  code: ErrorCode,
  detail?: string,
  invalidParameters: readonly InvalidParameter[] = [],
): ProblemBody {
  const entry = ERRORS[code];
  const body: ProblemBody = {
    type: DOCS + code,
    title: entry.title,
    code,
    detail: detail ?? entry.title,
    instance: randomBytes(16).toString('hex'),
  };
  if (invalidParameters.length > 0) {
    body.invalid_parameters = [...invalidParameters];
  }

  return body;
}
