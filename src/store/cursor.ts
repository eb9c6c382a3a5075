import { ConfabError, type PageRequest } from '../domain/index.js';

/**
 * A place in an ordered list: the sort score (creation time in ms, or an event id) and the id that breaks
 * ties between equal scores. Lists are ordered by (score, id), ids compared byte by byte as Redis does.
 */
export interface Position {
  readonly score: number;
  readonly id: string;
}

/** What a cursor asks for: the page after its position (`next`) or the page before it (`prev`). */
export type CursorDirection = 'next' | 'prev';

/** A decoded cursor. */
export interface Cursor {
  /** The order the cursor was issued for; a cursor is only valid with the same order. */
  readonly order: PageRequest['order'];
  readonly direction: CursorDirection;
  readonly position: Position;
}

/** The smallest and largest page size a client may ask for. */
export const PAGE_SIZE_LIMITS = { min: 1, max: 100 } as const;

const MAX_CURSOR_LENGTH = 512;
const MAX_ID_LENGTH = 200;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The JSON inside a cursor; the short field names keep links short. */
interface CursorBody {
  v: 1;
  o: 'a' | 'd';
  d: 'n' | 'p';
  s: number;
  i: string;
}

/**
 * Encodes a cursor as base64url text. Cursors are opaque to clients: they carry no secret, and a forged
 * one can only point into the caller's own application, because every read is scoped by application id.
 */
export function encodeCursor(cursor: Cursor): string {
  const body: CursorBody = {
    v: 1,
    o: cursor.order === 'asc' ? 'a' : 'd',
    d: cursor.direction === 'next' ? 'n' : 'p',
    s: cursor.position.score,
    i: cursor.position.id,
  };

  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The validation error of a refused cursor. */
function invalidCursor(reason: string): ConfabError {
  return new ConfabError('http:error:validation-fail', `Invalid cursor: ${reason}.`, [
    { name: 'cursor', reason },
  ]);
}

/** Tells whether a parsed value has the exact shape of a cursor body. */
function isCursorBody(value: unknown): value is CursorBody {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const body = value as Record<string, unknown>;

  return (
    Object.keys(body).length === 5 &&
    body.v === 1 &&
    (body.o === 'a' || body.o === 'd') &&
    (body.d === 'n' || body.d === 'p') &&
    typeof body.s === 'number' &&
    Number.isSafeInteger(body.s) &&
    typeof body.i === 'string' &&
    body.i.length > 0 &&
    body.i.length <= MAX_ID_LENGTH
  );
}

/**
 * Decodes a cursor of a list read in `order`. Anything that is not a cursor this module issued for that
 * order fails with `http:error:validation-fail` naming the `cursor` parameter.
 */
export function decodeCursor(text: string, order: PageRequest['order']): Cursor {
  if (text.length === 0 || text.length > MAX_CURSOR_LENGTH || !BASE64URL.test(text)) {
    throw invalidCursor('not a cursor issued by this server');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('not a cursor issued by this server');
  }
  if (!isCursorBody(parsed)) {
    throw invalidCursor('not a cursor issued by this server');
  }
  const cursorOrder = parsed.o === 'a' ? 'asc' : 'desc';
  if (cursorOrder !== order) {
    throw invalidCursor(`the cursor belongs to a list in ${cursorOrder} order`);
  }

  return {
    order: cursorOrder,
    direction: parsed.d === 'n' ? 'next' : 'prev',
    position: { score: parsed.s, id: parsed.i },
  };
}

/**
 * Checks a page request: the size must be an integer from 1 to 100 and the order `asc` or `desc`.
 * Throws `http:error:validation-fail` naming `page_size` or `order`.
 */
export function checkPageRequest(page: PageRequest): void {
  const { pageSize, order } = page;
  if (!Number.isInteger(pageSize) || pageSize < PAGE_SIZE_LIMITS.min || pageSize > PAGE_SIZE_LIMITS.max) {
    const reason = `must be an integer from ${PAGE_SIZE_LIMITS.min} to ${PAGE_SIZE_LIMITS.max}`;
    throw new ConfabError('http:error:validation-fail', `page_size ${reason}.`, [
      { name: 'page_size', reason },
    ]);
  }
  if ((order as string) !== 'asc' && (order as string) !== 'desc') {
    const reason = 'must be asc or desc';
    throw new ConfabError('http:error:validation-fail', `order ${reason}.`, [{ name: 'order', reason }]);
  }
}
