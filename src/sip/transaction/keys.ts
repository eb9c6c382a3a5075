import { randomBytes } from 'node:crypto';
import {
  getCallId,
  getCSeq,
  getFrom,
  getTo,
  getTopVia,
  type SipRequest,
  type SipResponse,
} from '../message/SipMessage.js';
import { serializeUri } from '../message/SipUri.js';
import { BRANCH_COOKIE, hasRfc3261Branch } from '../message/Via.js';

/**
 * Transaction identifiers (RFC 3261 §17.1.3 and §17.2.3).
 *
 * A server transaction is matched by the top Via branch, its sent-by and the method (ACK counts as
 * INVITE) when the branch carries the magic cookie. Otherwise (RFC 2543 peers, or a bare `z9hG4bK`) the
 * fallback of §17.2.3 applies: Request-URI, From tag, Call-ID, CSeq number, method and the whole top Via.
 * The To tag is left out of the fallback key so that an ACK, which carries the tag of our response, finds
 * its INVITE; §9.2 uses the same keys with the method replaced by INVITE to find what a CANCEL cancels.
 */

// Branches and tags are made for every transaction and dialog. Their bytes come from a pooled buffer of the
// cryptographic generator, which costs one call into it per 4 KB rather than one per identifier.
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** `size` fresh random bytes (a view into the pool, used at once and never handed out again). */
export function randomChunk(size: number): Buffer {
  if (poolOffset + size > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, size));
    poolOffset = 0;
  }
  const chunk = pool.subarray(poolOffset, poolOffset + size);
  poolOffset += size;

  return chunk;
}

/** A fresh RFC 3261 branch. */
export function newBranch(): string {
  return `${BRANCH_COOKIE}${randomChunk(9).toString('base64url')}`;
}

/** A fresh tag for From or To. */
export function newTag(): string {
  return randomChunk(6).toString('hex');
}

/** Key of the server transaction `request` belongs to, with the method replaced by `asMethod` when given. */
export function serverKey(request: SipRequest, asMethod?: string): string {
  const via = getTopVia(request);
  const method = asMethod ?? (request.method === 'ACK' ? 'INVITE' : request.method);
  const sentBy = `${via.host.toLowerCase()}:${via.port ?? ''}`;
  if (hasRfc3261Branch(via)) {
    return `3261|${via.params.branch ?? ''}|${sentBy}|${method}`;
  }
  const cseq = getCSeq(request);

  return [
    '2543',
    serializeUri(request.uri),
    getFrom(request).params.tag ?? '',
    getCallId(request),
    cseq.seq,
    method,
    `${via.transport}/${sentBy}`,
    via.params.branch ?? '',
  ].join('|');
}

/** Key of the client transaction a response belongs to: our branch plus the CSeq method. */
export function clientKey(message: SipRequest | SipResponse): string {
  const via = getTopVia(message);
  const method = getCSeq(message).method;

  return `${via.params.branch ?? ''}|${method === 'ACK' ? 'INVITE' : method}`;
}

/** Key for merged-request detection (§8.2.2.2): From tag, Call-ID and CSeq. */
export function mergeKey(request: SipRequest): string | null {
  if (getTo(request).params.tag !== undefined) {
    return null;
  }
  const cseq = getCSeq(request);

  return `${getFrom(request).params.tag ?? ''}|${getCallId(request)}|${cseq.seq} ${cseq.method}`;
}

/** Key that pairs an ACK for a 2xx with the INVITE it acknowledges: Call-ID, CSeq number and To tag. */
export function ack2xxKey(message: SipRequest | SipResponse): string {
  return `${getCallId(message)}|${getCSeq(message).seq}|${getTo(message).params.tag ?? ''}`;
}
