import { SipParseError, type SipParseErrorContext, type SipParseErrorReason } from '../errors.js';
import { parseCSeq } from './CSeq.js';
import { SINGLE_HEADERS, canonicalHeaderName, sameHeaderName } from './headerNames.js';
import { isToken, isWsp } from './Scanner.js';
import {
  getContacts,
  getContentLength,
  getContentType,
  getFrom,
  getHeaderLines,
  getMaxForwards,
  getRecordRoutes,
  getRoutes,
  getTo,
  getVias,
  type SipHeader,
  type SipMessage,
} from './SipMessage.js';
import { parseUri, type Uri } from './SipUri.js';

/**
 * The SIP message parser (RFC 3261 §7). It works on bytes: the header section is located by its
 * CRLF CRLF terminator, decoded as UTF-8, unfolded and checked; the body is the next Content-Length bytes,
 * kept as a Buffer.
 *
 * ```
 * generic-message  =  start-line *message-header CRLF [ message-body ]
 * Request-Line     =  Method SP Request-URI SP SIP-Version CRLF
 * Status-Line      =  SIP-Version SP Status-Code SP Reason-Phrase CRLF
 * message-header   =  field-name HCOLON field-value CRLF   ; continuation lines start with SP or HTAB
 * ```
 */

/** Options of {@link parseMessage}. */
export interface ParseOptions {
  /**
   * Largest accepted message in bytes.
   * @defaultValue 65535
   */
  maxSize?: number;
  /**
   * Stream framing (TCP): Content-Length is mandatory (RFC 3261 §18.3).
   * @defaultValue false
   */
  stream?: boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const DECODER = new TextDecoder('utf-8');

/** Methods defined by RFC 3261 and its common extensions; a CSeq mismatch on any other method earns 501. */
export const KNOWN_METHODS: readonly string[] = [
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
];

/** Parses one message from `data`; throws {@link SipParseError} on any malformed input and never anything else. */
export function parseMessage(data: Buffer, options: ParseOptions = {}): SipMessage {
  try {
    return parseUnsafe(data, options);
  } catch (err) {
    if (err instanceof SipParseError) {
      throw err;
    }
    // A bug in a header parser must not take the process down; report it as a malformed message.
    throw new SipParseError('bad-header-value', `unexpected parser failure: ${String(err)}`);
  }
}

/** Like {@link parseMessage}, returning the error instead of throwing. */
export function tryParseMessage(
  data: Buffer,
  options: ParseOptions = {},
): { ok: true; message: SipMessage } | { ok: false; error: SipParseError } {
  try {
    return { ok: true, message: parseMessage(data, options) };
  } catch (err) {
    return { ok: false, error: err as SipParseError };
  }
}

/** Index just past leading CR/LF octets (keepalives and stray line ends before a start-line, §7.5). */
export function skipLeadingCrlf(data: Buffer, from = 0): number {
  let i = from;
  while (i < data.length && (data[i] === 0x0d || data[i] === 0x0a)) {
    i++;
  }

  return i;
}

function parseUnsafe(data: Buffer, options: ParseOptions): SipMessage {
  const maxSize = options.maxSize ?? 65535;
  const start = skipLeadingCrlf(data);
  const kind =
    data
      .subarray(start, start + 4)
      .toString('latin1')
      .toUpperCase() === 'SIP/'
      ? 'response'
      : 'request';
  if (start >= data.length) {
    throw new SipParseError('empty', 'no message', { kind: 'unknown' });
  }
  let headerEnd = data.indexOf(CRLFCRLF, start);
  if (
    headerEnd < 0 &&
    options.stream !== true &&
    data.length - start <= maxSize &&
    data.subarray(-2).equals(CRLFCRLF.subarray(2))
  ) {
    // A datagram that ends right after its last header line: its end is the end of the header section.
    headerEnd = data.length - 2;
  }
  if (headerEnd < 0) {
    const what = data.length - start > maxSize ? 'too-large' : 'no-header-end';
    throw new SipParseError(
      what,
      'no empty line after the headers',
      { kind },
      what === 'too-large' ? 413 : 400,
    );
  }
  const lines = DECODER.decode(data.subarray(start, headerEnd)).split('\r\n');
  const startLine = lines[0] ?? '';
  const ctx: SipParseErrorContext = { kind, headers: [] };
  function fail(reason: SipParseErrorReason, detail: string, status?: number): never {
    throw new SipParseError(reason, detail, ctx, status);
  }
  ctx.headers = readHeaderLines(lines.slice(1), fail);
  if (data.length - start > maxSize) {
    // The headers were read first so that the 413 can still be routed back to the sender.
    fail('too-large', `message of ${data.length - start} bytes exceeds ${maxSize}`, 413);
  }

  let message: SipMessage;
  if (kind === 'response') {
    const m = /^SIP\/2\.0 ([0-9]+)(?: (.*))?$/is.exec(startLine);
    if (m === null) {
      fail('bad-start-line', `bad status line '${startLine.slice(0, 60)}'`);
    }
    const code = m[1] ?? '';
    if (code.length !== 3 || Number(code) < 100 || Number(code) > 699) {
      fail('bad-status-code', `status code '${code.slice(0, 12)}' out of range`);
    }
    message = {
      kind: 'response',
      status: Number(code),
      reason: m[2] ?? '',
      headers: ctx.headers,
      body: Buffer.alloc(0),
    };
  } else {
    const parts = startLine.split(' ');
    const [method = '', uriText = '', version = ''] = parts;
    if (isToken(method)) {
      ctx.method = method;
    }
    if (parts.length !== 3 || method === '' || uriText === '') {
      fail('bad-start-line', `bad request line '${startLine.slice(0, 60)}'`);
    }
    if (!isToken(method)) {
      fail('bad-method', `method '${method.slice(0, 30)}' is not a token`);
    }
    if (!/^SIP\/2\.0$/i.test(version)) {
      if (/^SIP\/[0-9]+\.[0-9]+$/i.test(version)) {
        fail('bad-version', `unsupported version '${version}'`, 505);
      }
      fail('bad-start-line', `bad version '${version.slice(0, 20)}'`);
    }
    message = {
      kind: 'request',
      method,
      uri: requestUri(uriText, fail),
      headers: ctx.headers,
      body: Buffer.alloc(0),
    };
  }
  checkHeaders(message, fail);

  const available = Math.max(0, data.length - (headerEnd + 4));
  const length = getContentLength(message);
  if (length === null) {
    if (options.stream === true) {
      fail('bad-content-length', 'Content-Length is required on a stream transport');
    }
    message.body = Buffer.from(data.subarray(headerEnd + 4));
  } else if (length > available) {
    fail('body-too-short', `Content-Length ${length} exceeds the ${available} body bytes present`);
  } else {
    message.body = Buffer.from(data.subarray(headerEnd + 4, headerEnd + 4 + length));
  }

  return message;
}

function requestUri(text: string, fail: (reason: SipParseErrorReason, detail: string) => never): Uri {
  try {
    return parseUri(text);
  } catch (err) {
    return fail('bad-request-uri', err instanceof SipParseError ? err.detail : String(err));
  }
}

function readHeaderLines(
  lines: string[],
  fail: (reason: SipParseErrorReason, detail: string) => never,
): SipHeader[] {
  const headers: SipHeader[] = [];
  for (const line of lines) {
    const last = headers[headers.length - 1];
    if (line.length > 0 && isWsp(line.charCodeAt(0))) {
      if (last === undefined) {
        return fail('bad-header-line', 'continuation line before any header');
      }
      // A continuation line: the fold (CRLF + white space) counts as one space (RFC 3261 §7.3.1).
      const more = line.trim();
      if (more !== '') {
        last.value = last.value === '' ? more : `${last.value} ${more}`;
      }
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).replace(/[ \t]+$/, '');
    if (!isToken(name)) {
      fail('bad-header-line', `bad header line '${line.slice(0, 40)}'`);
    }
    headers.push({ name: canonicalHeaderName(name), value: line.slice(colon + 1).trim() });
  }

  return headers;
}

function checkHeaders(
  message: SipMessage,
  fail: (reason: SipParseErrorReason, detail: string, status?: number) => never,
): void {
  for (const name of SINGLE_HEADERS) {
    if (getHeaderLines(message, name).length > 1) {
      fail('duplicate-header', `more than one ${name}`);
    }
  }
  const length = getHeaderLines(message, 'Content-Length')[0];
  if (length !== undefined && !/^[0-9]{1,10}$/.test(length)) {
    fail('bad-content-length', `bad Content-Length '${length.slice(0, 20)}'`);
  }
  const present = (name: string): boolean => message.headers.some((h) => sameHeaderName(h.name, name));
  if (!present('Via')) {
    fail('missing-header', 'missing Via');
  }
  if (!present('CSeq')) {
    fail('missing-header', 'missing CSeq');
  }
  if (message.kind === 'response') {
    for (const name of ['From', 'To', 'Call-ID']) {
      if (!present(name)) {
        fail('missing-header', `missing ${name}`);
      }
    }
  }
  try {
    getVias(message);
    const cseq = parseCSeq(getHeaderLines(message, 'CSeq')[0] ?? '');
    if (message.kind === 'request' && cseq.method !== message.method) {
      fail(
        'cseq-method-mismatch',
        `CSeq method ${cseq.method} differs from ${message.method}`,
        KNOWN_METHODS.includes(message.method) ? 400 : 501,
      );
    }
    if (present('From')) {
      getFrom(message);
    }
    if (present('To')) {
      getTo(message);
    }
    if (present('Call-ID') && !/^\S+$/.test(getHeaderLines(message, 'Call-ID')[0] ?? '')) {
      fail('bad-header-value', 'bad Call-ID');
    }
    getContacts(message);
    getRoutes(message);
    getRecordRoutes(message);
    getMaxForwards(message);
    getContentLength(message);
    getContentType(message);
  } catch (err) {
    if (err instanceof SipParseError && err.context.kind === 'unknown') {
      fail(err.reason, err.detail);
    }
    throw err;
  }
}
