import {
  getHeader,
  getHeaderValues,
  getContentType,
  getTokenList,
  type SipHeader,
  type SipRequest,
} from './SipMessage.js';
import { KNOWN_METHODS } from './parser.js';
import { mediaRangeMatches, parseMediaType } from './MediaType.js';
import { REASON_PHRASES } from './responses.js';

/** What a UAS supports; drives {@link validateRequest}. */
export interface UasPolicy {
  /** Methods the UAS handles (answered in Allow). */
  allow: readonly string[];
  /**
   * Option tags the UAS supports (compared with Require).
   * @defaultValue []
   */
  supported?: readonly string[];
  /**
   * Body types the UAS understands (`type/subtype`).
   * @defaultValue ['application/sdp']
   */
  accept?: readonly string[];
  /**
   * Request-URI schemes the UAS serves.
   * @defaultValue ['sip', 'sips', 'tel']
   */
  schemes?: readonly string[];
}

/** A reason to refuse a request, ready to become a response. */
export interface UasRejection {
  /** Status code. */
  status: number;
  /** Reason phrase. */
  reason: string;
  /** Header lines the response must carry (Allow, Unsupported, Accept, Warning). */
  headers: SipHeader[];
}

const REQUIRED = ['To', 'From', 'Call-ID', 'CSeq', 'Via'];

function reject(status: number, headers: SipHeader[] = [], reason?: string): UasRejection {
  return { status, reason: reason ?? REASON_PHRASES[status] ?? 'Error', headers };
}

/**
 * The checks a UAS makes before handing a parsed request to its application, in the order of RFC 3261
 * §8.2: mandatory headers (400), method (405 or 501 with Allow), Request-URI scheme (416), Require (420 with
 * Unsupported), body type (415 with Accept), and Accept for an INVITE whose answer would be SDP (406).
 * Returns null when the request may proceed; ACK never gets a rejection (it cannot be answered).
 */
export function validateRequest(request: SipRequest, policy: UasPolicy): UasRejection | null {
  if (request.method === 'ACK') {
    return null;
  }
  const missing = REQUIRED.filter((name) => getHeader(request, name) === undefined);
  if (missing.length > 0) {
    return reject(400, [], `Missing ${missing.join(', ')}`);
  }
  const allow = { name: 'Allow', value: policy.allow.join(', ') };
  if (!policy.allow.includes(request.method)) {
    return KNOWN_METHODS.includes(request.method) ? reject(405, [allow]) : reject(501, [allow]);
  }
  const schemes = policy.schemes ?? ['sip', 'sips', 'tel'];
  if (!schemes.includes(request.uri.scheme)) {
    return reject(416);
  }
  if (request.method !== 'CANCEL') {
    const supported = policy.supported ?? [];
    const unsupported = getTokenList(request, 'Require').filter((tag) => !supported.includes(tag));
    if (unsupported.length > 0) {
      return reject(420, [{ name: 'Unsupported', value: unsupported.join(', ') }]);
    }
  }
  const accept = policy.accept ?? ['application/sdp'];
  if (request.body.length > 0) {
    const type = getContentType(request);
    if (type === null || !accept.includes(`${type.type}/${type.subtype}`)) {
      return reject(415, [{ name: 'Accept', value: accept.join(', ') }]);
    }
  }
  if (request.method === 'INVITE') {
    const ranges = getHeaderValues(request, 'Accept').filter((v) => v !== '');
    if (ranges.length > 0 && !ranges.some((r) => safeMatches(r, 'application', 'sdp'))) {
      return reject(406, [
        { name: 'Warning', value: '399 - "application/sdp is the only answer this endpoint can give"' },
      ]);
    }
  }

  return null;
}

function safeMatches(range: string, type: string, subtype: string): boolean {
  try {
    return mediaRangeMatches(parseMediaType(range), type, subtype);
  } catch {
    return false;
  }
}
