import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { getHeader, type SipRequest } from '../message/SipMessage.js';
import { parseDigestParams, serializeDigestParams } from './digestParams.js';

/** Credentials a trunk expects. */
export interface DigestCredentials {
  /** User name. */
  readonly username: string;
  /** Password. */
  readonly password: string;
  /** Realm, written into challenges. */
  readonly realm: string;
}

/** Result of checking a request's Authorization header. */
export type DigestVerdict =
  | { readonly ok: true; readonly username: string }
  | {
      readonly ok: false;
      readonly stale: boolean;
      readonly reason: 'missing' | 'malformed' | 'mismatch' | 'expired' | 'replay' | 'unknown-nonce';
    };

/** Options of {@link DigestServer}. */
export interface DigestServerOptions {
  /**
   * How long a nonce may be used.
   * @defaultValue 30000
   */
  nonceLifetimeMs?: number;
  /**
   * Most nonces remembered at once; when full, the oldest are forgotten (their users get `stale=true`).
   * @defaultValue 100000
   */
  maxNonces?: number;
  /** Clock, for tests. @defaultValue Date.now */
  now?: () => number;
}

interface NonceState {
  readonly expires: number;
  lastCount: number;
  /** An INVITE used it: only single use is allowed for INVITE. */
  consumed: boolean;
}

const UNQUOTED = new Set(['algorithm', 'stale', 'nc', 'qop-token']);

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/**
 * The server side of SIP digest authentication (RFC 3261 §22.4 with RFC 2617 MD5 and qop=auth).
 * Nonces are HMAC-signed with a per-process key, expire, and are remembered with the highest nonce count
 * seen: a reused count is a replay and fails without `stale`, and an INVITE consumes its nonce (single use):
 * a later request on it with a higher count is re-challenged with `stale=true`. An expired or forgotten nonce with a correct response gets `stale=true`.
 * Unknown users and wrong passwords fail identically, so the answer does not reveal which users exist.
 */
export class DigestServer {
  readonly #key = randomBytes(32);
  readonly #nonces = new Map<string, NonceState>();
  readonly #lifetime: number;
  readonly #max: number;
  readonly #now: () => number;

  /** @param options - nonce lifetime and table size */
  constructor(options: DigestServerOptions = {}) {
    this.#lifetime = options.nonceLifetimeMs ?? 30_000;
    this.#max = options.maxNonces ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** Nonces remembered now. */
  get size(): number {
    return this.#nonces.size;
  }

  /** A `WWW-Authenticate` value with a fresh nonce. */
  challenge(realm: string, stale = false): string {
    const issued = this.#now();
    const body = `${issued.toString(36)}.${randomBytes(9).toString('base64url')}`;
    const nonce = `${body}.${this.#sign(body)}`;
    this.#forgetOld();
    this.#nonces.set(nonce, { expires: issued + this.#lifetime, lastCount: 0, consumed: false });
    const params: [string, string][] = [
      ['realm', realm],
      ['nonce', nonce],
      ['algorithm', 'MD5'],
      ['qop', 'auth'],
    ];
    if (stale) {
      params.push(['stale', 'true']);
    }

    return serializeDigestParams(params, UNQUOTED);
  }

  /** Checks `request`'s Authorization header against `expected`. */
  verify(request: SipRequest, expected: DigestCredentials): DigestVerdict {
    const header = getHeader(request, 'Authorization');
    if (header === undefined) {
      return { ok: false, stale: false, reason: 'missing' };
    }
    const p = parseDigestParams(header);
    const nonce = p?.get('nonce');
    const nc = p?.get('nc');
    const cnonce = p?.get('cnonce');
    const uri = p?.get('uri');
    const response = p?.get('response');
    if (
      p === null ||
      p === undefined ||
      nonce === undefined ||
      nc === undefined ||
      cnonce === undefined ||
      uri === undefined ||
      response === undefined
    ) {
      return { ok: false, stale: false, reason: 'malformed' };
    }
    if (
      p.get('qop')?.toLowerCase() !== 'auth' ||
      !/^[0-9a-f]{8}$/i.test(nc) ||
      (p.get('algorithm') ?? 'MD5').toUpperCase() !== 'MD5'
    ) {
      return { ok: false, stale: false, reason: 'malformed' };
    }
    const ha1 = md5(`${expected.username}:${expected.realm}:${expected.password}`);
    const ha2 = md5(`${request.method}:${uri}`);
    const want = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
    const userOk = p.get('username') === expected.username && p.get('realm') === expected.realm;
    const responseOk =
      response.length === want.length &&
      timingSafeEqual(Buffer.from(response.toLowerCase()), Buffer.from(want));
    if (!userOk || !responseOk) {
      return { ok: false, stale: false, reason: 'mismatch' };
    }
    const state = this.#nonces.get(nonce);
    if (!this.#signed(nonce) || state === undefined || state.expires <= this.#now()) {
      // A correct answer to a nonce we no longer honour: the client knows the password, so let it retry.
      this.#nonces.delete(nonce);

      return {
        ok: false,
        stale: this.#signed(nonce),
        reason: this.#signed(nonce) ? 'expired' : 'unknown-nonce',
      };
    }
    const count = parseInt(nc, 16);
    if (count <= state.lastCount) {
      return { ok: false, stale: false, reason: 'replay' };
    }
    if (state.consumed) {
      // A new count on a nonce an INVITE already used: an honest client reusing it; ask for a fresh one.
      state.lastCount = count;

      return { ok: false, stale: true, reason: 'expired' };
    }
    state.lastCount = count;
    state.consumed ||= request.method === 'INVITE';

    return { ok: true, username: expected.username };
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url').slice(0, 22);
  }

  #signed(nonce: string): boolean {
    const cut = nonce.lastIndexOf('.');

    return cut > 0 && this.#sign(nonce.slice(0, cut)) === nonce.slice(cut + 1);
  }

  #forgetOld(): void {
    const now = this.#now();
    // The map keeps insertion order, which is issue order: expired nonces sit at the front.
    for (const [nonce, state] of this.#nonces) {
      if (state.expires > now && this.#nonces.size < this.#max) {
        break;
      }
      this.#nonces.delete(nonce);
    }
  }
}
