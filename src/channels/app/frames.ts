import { ConfabError, type ConversationEvent } from '../../domain/index.js';

// The JSON text frames of the App channel. Every frame is one object with a `type`:
//
//   server → client
//     {"type":"session","session_id":"SES-…","user_id":"USR-…"}         first frame; again if it is renewed
//     {"type":"event","conversation_id":"CON-…","event":{id,type,from?,body,timestamp,_embedded?}}
//     {"type":"ready"}                                  the resume catch-up is done; everything after is live
//     {"type":"ack","request_id"?,"conversation_id","event_id","timestamp"}
//     {"type":"error","request_id"?,"code","status","title","detail","invalid_parameters"?}
//   client → server
//     {"type":"event","request_id"?,"conversation_id":"CON-…","event":{"type":"message","body":{…},"from"?}}
//
// A resume is asked at connect time with `?since=`, a JSON object mapping conversation id to the last
// event id seen, sent either as URL-encoded JSON or as base64url of that JSON.

/** Most conversations one `since` map may name. */
export const MAX_SINCE_ENTRIES = 1000;

/** Most characters of one field of a posted event (`type`, `from`, `conversation_id`, `request_id`). */
const MAX_FIELD = 100;

/** The `session` frame. */
export function sessionFrame(sessionId: string, userId: string): string {
  return JSON.stringify({ type: 'session', session_id: sessionId, user_id: userId });
}

/** The `ready` frame. */
export const READY_FRAME = JSON.stringify({ type: 'ready' });

// The feed hands the same event object to every socket of the process, so each event is encoded once.
const encoded = new WeakMap<ConversationEvent, string>();

/**
 * The `event` frame of a recorded event: the Event object of the REST API without `_links` and without the
 * sender's user (which would cost reads per event); `_embedded.from_member` names the sending member.
 */
export function eventFrame(event: ConversationEvent): string {
  let frame = encoded.get(event);
  if (frame === undefined) {
    frame = encodeEvent(event);
    encoded.set(event, frame);
  }

  return frame;
}

function encodeEvent(event: ConversationEvent): string {
  const rendered: Record<string, unknown> = { id: event.id, type: event.type };
  if (event.from !== null) {
    rendered.from = event.from;
  }
  rendered.body = event.body;
  rendered.timestamp = event.timestamp;
  if (event.from !== null) {
    rendered._embedded = { from_member: { id: event.from } };
  }

  return JSON.stringify({ type: 'event', conversation_id: event.conversationId, event: rendered });
}

/** The `ack` frame of a posted event. */
export function ackFrame(requestId: string | undefined, event: ConversationEvent): string {
  return JSON.stringify({
    type: 'ack',
    ...(requestId === undefined ? {} : { request_id: requestId }),
    conversation_id: event.conversationId,
    event_id: event.id,
    timestamp: event.timestamp,
  });
}

/** The `error` frame of a catalogue error. */
export function errorFrame(requestId: string | undefined, error: ConfabError): string {
  return JSON.stringify({
    type: 'error',
    ...(requestId === undefined ? {} : { request_id: requestId }),
    code: error.code,
    status: error.status,
    title: error.title,
    detail: error.message,
    ...(error.invalidParameters.length > 0 ? { invalid_parameters: error.invalidParameters } : {}),
  });
}

/** A client's request to post an event, validated. */
export interface PostRequest {
  readonly requestId: string | undefined;
  readonly conversationId: string;
  readonly type: string;
  readonly from: string | undefined;
  readonly body: Record<string, unknown>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(name: string, reason: string): ConfabError {
  return new ConfabError('http:error:validation-fail', `${name} ${reason}.`, [{ name, reason }]);
}

function shortString(value: unknown, name: string, required: boolean): string | undefined {
  if (value === undefined && !required) {
    return undefined;
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FIELD) {
    throw invalid(name, `must be a string of 1 to ${MAX_FIELD} characters`);
  }

  return value;
}

/**
 * Reads a client frame. Throws `http:error:validation-fail` (with the offending field) for anything but a
 * well-formed `event` request; the request id, when readable, is returned on the error's `requestId`.
 */
export function parseClientFrame(text: string): PostRequest {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    throw invalid('frame', 'must be a JSON object');
  }
  if (!isObject(message)) {
    throw invalid('frame', 'must be a JSON object');
  }
  const requestId =
    typeof message.request_id === 'string' ? message.request_id.slice(0, MAX_FIELD) : undefined;
  try {
    if (message.type !== 'event') {
      throw invalid('type', 'must be "event"');
    }
    const conversationId = shortString(message.conversation_id, 'conversation_id', true) ?? '';
    const event = message.event;
    if (!isObject(event)) {
      throw invalid('event', 'must be an object');
    }
    const type = shortString(event.type, 'event.type', true) ?? '';
    const from = shortString(event.from, 'event.from', false);
    if (event.body !== undefined && !isObject(event.body)) {
      throw invalid('event.body', 'must be an object');
    }

    return { requestId, conversationId, type, from, body: event.body ?? {} };
  } catch (error) {
    throw Object.assign(error as ConfabError, { requestId });
  }
}

/**
 * Reads the `since` query value: URL-decoded JSON or base64url JSON of `{conversation id: last id seen}`,
 * ids being whole numbers from 0. Throws `http:error:validation-fail` naming `since`.
 */
export function parseSince(raw: string): Map<string, number> {
  const text = raw.trimStart().startsWith('{') ? raw : Buffer.from(raw, 'base64url').toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('since', 'must be a JSON object, plain or base64url');
  }
  if (!isObject(value)) {
    throw invalid('since', 'must be a JSON object of conversation id to last event id');
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_SINCE_ENTRIES) {
    throw invalid('since', `may name at most ${MAX_SINCE_ENTRIES} conversations`);
  }
  const since = new Map<string, number>();
  for (const [conversationId, lastId] of entries) {
    if (
      typeof lastId !== 'number' ||
      !Number.isSafeInteger(lastId) ||
      lastId < 0 ||
      conversationId.length > MAX_FIELD
    ) {
      throw invalid('since', 'must map conversation ids to whole numbers from 0');
    }
    since.set(conversationId, lastId);
  }

  return since;
}
