import { randomBytes } from 'node:crypto';
import { parseNameAddr, serializeNameAddr, type NameAddr } from './NameAddr.js';
import { type SipHeader, type SipRequest } from './SipMessage.js';
import { parseUri, type Uri } from './SipUri.js';

/** Options of {@link createRequest}. */
export interface RequestOptions {
  /** Method, e.g. 'INVITE'. */
  method: string;
  /** Request-URI, parsed or as text. */
  uri: Uri | string;
  /** From address; a `tag` is added when it has none (RFC 3261 §8.1.1.3). */
  from: NameAddr | string;
  /** To address (no tag outside a dialog). */
  to: NameAddr | string;
  /**
   * Call-ID.
   * @defaultValue a random 16-byte hex string
   */
  callId?: string;
  /**
   * CSeq number.
   * @defaultValue 1
   */
  cseq?: number;
  /** Contact address, when the request needs one (INVITE, REGISTER, SUBSCRIBE). */
  contact?: NameAddr | string;
  /**
   * Max-Forwards.
   * @defaultValue 70
   */
  maxForwards?: number;
  /** Extra header lines, appended in order. */
  headers?: SipHeader[];
  /** Body. */
  body?: Buffer;
  /** Content-Type of the body (required with a body). */
  contentType?: string;
}

/**
 * Builds an out-of-dialog request per RFC 3261 §8.1.1: To, From (with a tag), Call-ID, CSeq,
 * Max-Forwards, then Contact, extra headers, Content-Type and Content-Length. No Via: the transaction
 * layer puts its own on top when it sends the request.
 */
export function createRequest(options: RequestOptions): SipRequest {
  const from = typeof options.from === 'string' ? parseNameAddr(options.from) : options.from;
  const fromWithTag: NameAddr =
    from.params.tag === undefined
      ? { ...from, params: { ...from.params, tag: randomBytes(6).toString('hex') } }
      : from;
  const text = (a: NameAddr | string): string =>
    typeof a === 'string' ? serializeNameAddr(parseNameAddr(a)) : serializeNameAddr(a);
  const body = options.body ?? Buffer.alloc(0);
  if (body.length > 0 && options.contentType === undefined) {
    throw new TypeError('createRequest: a body needs a contentType');
  }
  const headers: SipHeader[] = [
    { name: 'Max-Forwards', value: String(options.maxForwards ?? 70) },
    { name: 'To', value: text(options.to) },
    { name: 'From', value: serializeNameAddr(fromWithTag) },
    { name: 'Call-ID', value: options.callId ?? randomBytes(16).toString('hex') },
    { name: 'CSeq', value: `${options.cseq ?? 1} ${options.method}` },
  ];
  if (options.contact !== undefined) {
    headers.push({ name: 'Contact', value: text(options.contact) });
  }
  headers.push(...(options.headers ?? []));
  if (options.contentType !== undefined) {
    headers.push({ name: 'Content-Type', value: options.contentType });
  }
  headers.push({ name: 'Content-Length', value: String(body.length) });

  return {
    kind: 'request',
    method: options.method,
    uri: typeof options.uri === 'string' ? parseUri(options.uri) : options.uri,
    headers,
    body,
  };
}
