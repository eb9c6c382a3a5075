import { type SipParseError } from '../errors.js';
import { sameHeaderName } from './headerNames.js';
import { parseNameAddr } from './NameAddr.js';
import { splitList } from './Scanner.js';
import { parseVia } from './Via.js';
import { type SipHeader, type SipRequest, type SipResponse } from './SipMessage.js';

/** Reason phrases of RFC 3261 §21 and common extensions. */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  200: 'OK',
  202: 'Accepted',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

/** Options of {@link createResponse}. */
export interface ResponseOptions {
  /** Reason phrase; defaults to the standard phrase for the status. */
  reason?: string;
  /** To tag to add when the request's To has none (required for every response but 100, §8.2.6.2). */
  toTag?: string;
  /** Extra header lines, appended after the copied ones. */
  headers?: SipHeader[];
  /** Body. */
  body?: Buffer;
}

const COPIED = ['Via', 'Record-Route', 'From', 'To', 'Call-ID', 'CSeq'];

/**
 * Builds a response to `request` per RFC 3261 §8.2.6: Via lines, From, To, Call-ID and CSeq are copied
 * (Record-Route too, for dialog-creating responses), a To tag is added when asked and missing, and
 * Content-Length closes the header list so that the response is already in canonical form.
 */
export function createResponse(
  request: Pick<SipRequest, 'headers'>,
  status: number,
  options: ResponseOptions = {},
): SipResponse {
  return buildResponse(request.headers, status, options);
}

/**
 * Builds the answer to a request that failed to parse, from whatever header lines were readable; returns
 * null when the error is not answerable or the Via lines are missing.
 */
export function createErrorResponse(error: SipParseError, toTag: string): SipResponse | null {
  const vias = error.context.headers.filter((h) => sameHeaderName(h.name, 'Via'));
  if (error.status === undefined || vias.length === 0) {
    return null;
  }
  try {
    // "Parseable enough": the top entry's sent-protocol and sent-by must read, even if its parameters do not.
    const top = splitList(vias[0]?.value ?? '')[0] ?? '';
    parseVia(top.split(';')[0] ?? '');
  } catch {
    // Without a readable Via the answer could not be matched by the client (RFC 3261 §18.2.2).
    return null;
  }

  return buildResponse(error.context.headers, error.status, {
    toTag,
    reason: REASON_PHRASES[error.status] ?? 'Bad Request',
  });
}

function buildResponse(source: SipHeader[], status: number, options: ResponseOptions): SipResponse {
  const headers: SipHeader[] = [];
  const seen = new Set<string>();
  for (const h of source) {
    const name = COPIED.find((n) => sameHeaderName(n, h.name));
    if (name === undefined || (name === 'Record-Route' && (status < 101 || status > 299))) {
      continue;
    }
    // Only one of each single-valued header is copied, so a broken request cannot make a broken response.
    if (name !== 'Via' && name !== 'Record-Route' && seen.has(name)) {
      continue;
    }
    seen.add(name);
    headers.push({
      name,
      value: name === 'To' && status > 100 ? withToTag(h.value, options.toTag) : h.value,
    });
  }
  headers.push(...(options.headers ?? []));
  const body = options.body ?? Buffer.alloc(0);
  if (!headers.some((h) => sameHeaderName(h.name, 'Content-Length'))) {
    headers.push({ name: 'Content-Length', value: String(body.length) });
  }

  return { kind: 'response', status, reason: options.reason ?? REASON_PHRASES[status] ?? '', headers, body };
}

function withToTag(to: string, tag: string | undefined): string {
  if (tag === undefined) {
    return to;
  }
  try {
    if (parseNameAddr(to).params.tag !== undefined) {
      return to;
    }
  } catch {
    // An unreadable To is echoed as it is; the peer's own parser decides what to make of it.
    return to;
  }

  return `${to};tag=${tag}`;
}
