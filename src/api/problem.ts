import { randomBytes } from 'node:crypto';
import { ERRORS, type ErrorCode, type InvalidParameter } from '../domain/index.js';

/** The JSON body of every error response, after the Conversation API's RFC 7807-like shape. */
export interface ProblemBody {
  type: string;
  title: string;
  code: ErrorCode;
  detail: string;
  instance: string;
  invalid_parameters?: InvalidParameter[];
}

const DOCS = 'https://developer.nexmo.com/api/conversation#';

/** Builds the error body for a catalogue code; `instance` is a fresh opaque id to quote in support requests. */
export function problem(code: ErrorCode, detail?: string, invalidParameters: readonly InvalidParameter[] = []): ProblemBody {
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
