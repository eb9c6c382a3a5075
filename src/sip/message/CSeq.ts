import { SipParseError } from '../errors.js';
import { Scanner } from './Scanner.js';

/**
 * The CSeq header (RFC 3261 §20.16): `CSeq = "CSeq" HCOLON 1*DIGIT LWS Method`. The number must fit in
 * 32 bits (§8.1.1.5); leading zeros are allowed and dropped.
 */
export interface CSeq {
  /** Sequence number, 0 to 2³²−1. */
  seq: number;
  /** Method, case kept (methods are case-sensitive). */
  method: string;
}

const MAX_CSEQ = 0xffffffff;

/** Parses a CSeq value. */
export function parseCSeq(value: string): CSeq {
  const s = new Scanner(value);
  s.skipLws();
  const digits = s.token();
  if (!/^[0-9]+$/.test(digits)) {
    s.fail('CSeq must start with a number');
  }
  const seq = Number(digits.replace(/^0+(?=.)/, '').length > 10 ? Infinity : digits);
  if (!(seq <= MAX_CSEQ)) {
    throw new SipParseError('bad-header-value', `CSeq number ${digits.slice(0, 24)} exceeds 2^32-1`);
  }
  const method = s.requireToken('a CSeq method');
  s.end('the CSeq');

  return { seq, method };
}

/** Serializes as `number method`. */
export function serializeCSeq(cseq: CSeq): string {
  return `${cseq.seq} ${cseq.method}`;
}

/** Parses a non-negative decimal header value (Content-Length, Max-Forwards, Expires). */
export function parseUnsigned(value: string, header: string, max: number): number {
  const text = value.trim();
  if (!/^[0-9]{1,12}$/.test(text) || Number(text) > max) {
    throw new SipParseError(
      'bad-header-value',
      `${header} must be a number from 0 to ${max}, got '${text.slice(0, 24)}'`,
    );
  }

  return Number(text);
}
