import { randomUUID } from 'node:crypto';

/** Prefixes of the identifiers the Conversation API exposes; each is followed by a v4 UUID. */
export const ID_PREFIX = {
  user: 'USR-',
  conversation: 'CON-',
  member: 'MEM-',
  session: 'SES-',
  conversationName: 'NAM-',
} as const;

/** Which kind of identifier a prefix announces. */
export type IdKind = keyof typeof ID_PREFIX;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Makes a fresh identifier of the given kind, such as `USR-0c6f…`. */
export function newId(kind: IdKind): string {
  return ID_PREFIX[kind] + randomUUID();
}

/** Makes a fresh leg id: legs are bare UUIDs, as the Voice API's call uuids are. */
export function newLegId(): string {
  return randomUUID();
}

/** Tells whether `value` is a well-formed identifier of the given kind. */
export function isId(kind: IdKind, value: string): boolean {
  const prefix = ID_PREFIX[kind];

  return value.startsWith(prefix) && UUID.test(value.slice(prefix.length));
}

/** Tells whether `value` is a bare UUID (an application id or a leg id). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** The current time as the API writes it: ISO-8601 UTC with milliseconds. */
export function nowIso(): string {
  return new Date().toISOString();
}
