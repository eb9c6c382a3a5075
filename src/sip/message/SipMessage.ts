import { SipParseError } from '../errors.js';
import { parseCSeq, parseUnsigned, type CSeq } from './CSeq.js';
import { canonicalHeaderName, isListHeader, sameHeaderName } from './headerNames.js';
import { parseMediaType, type MediaType } from './MediaType.js';
import { parseNameAddr, type NameAddr } from './NameAddr.js';
import { splitList } from './Scanner.js';
import { type Uri } from './SipUri.js';
import { parseVia, serializeVia, type Via } from './Via.js';

/**
 * SIP messages as plain data. Header lines are the source of truth: they are kept in order, one entry per
 * line as received (names canonical, folding removed, values trimmed), and the typed views below parse
 * them on demand. A message that came out of {@link parseMessage} has already had every header these
 * views read checked, so for such a message they do not throw.
 */

/** One header line. */
export interface SipHeader {
  /** Canonical name (compact forms expanded, RFC spelling for known headers). */
  name: string;
  /** Value with folding replaced by a space and surrounding white space removed. */
  value: string;
}

interface SipMessageBase {
  /** Header lines in order. */
  headers: SipHeader[];
  /** Body bytes (possibly empty). */
  body: Buffer;
}

/** A SIP request. */
export interface SipRequest extends SipMessageBase {
  /** Discriminant. */
  kind: 'request';
  /** Method, case-sensitive (`INVITE`). */
  method: string;
  /** Request-URI. */
  uri: Uri;
}

/** A SIP response. */
export interface SipResponse extends SipMessageBase {
  /** Discriminant. */
  kind: 'response';
  /** Status code, 100 to 699. */
  status: number;
  /** Reason phrase (UTF-8, possibly empty). */
  reason: string;
}

/** A request or a response. */
export type SipMessage = SipRequest | SipResponse;

/** The first line value of `name` (compact forms and case ignored), or undefined. */
export function getHeader(msg: SipMessage, name: string): string | undefined {
  return msg.headers.find((h) => sameHeaderName(h.name, name))?.value;
}

/** Every line value of `name`, in order, without splitting lists. */
export function getHeaderLines(msg: SipMessage, name: string): string[] {
  return msg.headers.filter((h) => sameHeaderName(h.name, name)).map((h) => h.value);
}

/** Every value of `name`: lines of list headers are split on top-level commas, other headers are not. */
export function getHeaderValues(msg: SipMessage, name: string): string[] {
  const lines = getHeaderLines(msg, name);

  return isListHeader(name) ? lines.flatMap((v) => splitList(v)) : lines;
}

/** Replaces every line of `name` with one line (kept at the first line's position, else appended). */
export function setHeader(msg: SipMessage, name: string, value: string): void {
  const canonical = canonicalHeaderName(name);
  const index = msg.headers.findIndex((h) => sameHeaderName(h.name, name));
  removeHeader(msg, name);
  if (index < 0) {
    msg.headers.push({ name: canonical, value });
  } else {
    msg.headers.splice(index, 0, { name: canonical, value });
  }
}

/** Adds a line of `name`, at the end or before the first existing line of that name when `first`. */
export function addHeader(msg: SipMessage, name: string, value: string, first = false): void {
  const canonical = canonicalHeaderName(name);
  const index = first ? msg.headers.findIndex((h) => sameHeaderName(h.name, name)) : -1;
  if (index < 0) {
    msg.headers.push({ name: canonical, value });
  } else {
    msg.headers.splice(index, 0, { name: canonical, value });
  }
}

/** Removes every line of `name`. */
export function removeHeader(msg: SipMessage, name: string): void {
  msg.headers = msg.headers.filter((h) => !sameHeaderName(h.name, name));
}

function single(msg: SipMessage, name: string): string {
  const value = getHeader(msg, name);
  if (value === undefined) {
    throw new SipParseError('missing-header', `missing ${name}`);
  }

  return value;
}

/** All Via entries, top first. */
export function getVias(msg: SipMessage): Via[] {
  return getHeaderValues(msg, 'Via').map(parseVia);
}

/** The top Via; throws when there is none. */
export function getTopVia(msg: SipMessage): Via {
  const first = getHeaderValues(msg, 'Via')[0];
  if (first === undefined) {
    throw new SipParseError('missing-header', 'missing Via');
  }

  return parseVia(first);
}

/** Rewrites the top Via entry (used to add `received` and `rport` on arrival, RFC 3261 §18.2.1). */
export function setTopVia(msg: SipMessage, via: Via): void {
  const line = msg.headers.find((h) => sameHeaderName(h.name, 'Via'));
  if (line === undefined) {
    addHeader(msg, 'Via', serializeVia(via));

    return;
  }
  const entries = splitList(line.value);
  entries[0] = serializeVia(via);
  line.value = entries.join(', ');
}

/** The CSeq. */
export function getCSeq(msg: SipMessage): CSeq {
  return parseCSeq(single(msg, 'CSeq'));
}

/** The Call-ID. */
export function getCallId(msg: SipMessage): string {
  return single(msg, 'Call-ID');
}

/** The From address. */
export function getFrom(msg: SipMessage): NameAddr {
  return parseNameAddr(single(msg, 'From'));
}

/** The To address. */
export function getTo(msg: SipMessage): NameAddr {
  return parseNameAddr(single(msg, 'To'));
}

/** The Contact addresses, `'*'` for the wildcard of a REGISTER, an empty list when absent. */
export function getContacts(msg: SipMessage): NameAddr[] | '*' {
  const values = getHeaderValues(msg, 'Contact');
  if (values.length === 1 && values[0] === '*') {
    return '*';
  }

  return values.map(parseNameAddr);
}

/** Route entries, in order. */
export function getRoutes(msg: SipMessage): NameAddr[] {
  return getHeaderValues(msg, 'Route').map(parseNameAddr);
}

/** Record-Route entries, in order. */
export function getRecordRoutes(msg: SipMessage): NameAddr[] {
  return getHeaderValues(msg, 'Record-Route').map(parseNameAddr);
}

/** Max-Forwards, or null when absent (RFC 2543 peers). */
export function getMaxForwards(msg: SipMessage): number | null {
  const v = getHeader(msg, 'Max-Forwards');

  return v === undefined ? null : parseUnsigned(v, 'Max-Forwards', 255);
}

/** Content-Length, or null when absent. */
export function getContentLength(msg: SipMessage): number | null {
  const v = getHeader(msg, 'Content-Length');

  return v === undefined ? null : parseUnsigned(v, 'Content-Length', 0x7fffffff);
}

/** Content-Type, or null when absent. */
export function getContentType(msg: SipMessage): MediaType | null {
  const v = getHeader(msg, 'Content-Type');

  return v === undefined ? null : parseMediaType(v);
}

/** Values of a token-list header (Require, Supported, Allow...) with empty entries dropped. */
export function getTokenList(msg: SipMessage, name: string): string[] {
  return getHeaderValues(msg, name).filter((v) => v !== '');
}
