import { createPublicKey } from 'node:crypto';
import { compactVerify, importSPKI } from 'jose';
import { type Application } from '../domain/index.js';
import { AclFormatError, EMPTY_ACL, parseAcl, type Acl } from './Acl.js';
import { bearerToken, decodeCompactJwt, readNumericDate, type CompactJwt } from './CompactJwt.js';
import { type Principal } from './Principal.js';
import { TokenRejectedError } from './TokenRejectedError.js';

/** Options of {@link TokenVerifier}. */
export interface TokenVerifierOptions {
  /**
   * Clock leeway applied to `exp`, `nbf` and `iat`, in seconds, from 0 to 300 (RFC 7519 suggests no more
   * than a few minutes).
   * @defaultValue 30
   */
  readonly clockToleranceSeconds?: number;
  /**
   * Longest token lifetime accepted, in seconds: `exp - iat`, or `exp - now` when there is no `iat`.
   * @defaultValue 86400 (24 hours, the documented Vonage maximum)
   */
  readonly maxLifetimeSeconds?: number;
  /**
   * The wall clock, in milliseconds since the Unix epoch; injectable for tests.
   * @defaultValue Date.now
   */
  readonly now?: () => number;
  /**
   * How many verified tokens to remember, so that a token presented again (a client reuses its token for
   * every request until it expires) skips the RSA verification. 0 turns the cache off.
   * @defaultValue 10000
   */
  readonly cacheSize?: number;
}

type VerificationKey = Awaited<ReturnType<typeof importSPKI>>;

/** The only algorithm accepted: never taken from the token header (RFC 8725 §3.1). */
const ALGORITHM = 'RS256';
const MIN_RSA_BITS = 2048;

/**
 * Verifies the bearer JWTs of the Conversation API, with one RS256 public key per application.
 *
 * What it checks, in order (every failure throws {@link TokenRejectedError} with one public body):
 * 1. The header is `Bearer <compact JWT>` and the token decodes to a JSON header and JSON object payload.
 * 2. The header's `alg` is exactly `RS256` (so `none`, and HS256 "signed" with the public key, fail before
 *    any cryptography); `typ`, when present, is `JWT`; there is no `crit` or `b64`. `kid`, `jku`, `x5u`,
 *    `jwk` and `x5c` are ignored: the key comes only from the fixed map of configured applications.
 * 3. The unverified `application_id` names a configured application; its key verifies the signature.
 * 4. `exp` is present and not past (with leeway); `nbf` and `iat`, when present, are not in the future;
 *    the lifetime is at most `maxLifetimeSeconds`. Time claims may be numbers or decimal strings.
 * 5. `sub`, `subject`, `jti` and (for client tokens) `acl` have the right types, and `subject`, which
 *    `@vonage/jwt` copies next to `sub`, does not contradict it.
 *
 * A token with `sub` is a client token for that user NAME, limited by its `acl` (none means nothing is
 * allowed). A token without `sub` is an admin token for its application. Choice: an admin token that carries
 * an `acl` is still a full admin and the `acl` is ignored. Whoever holds the application's private key can
 * mint an unrestricted admin token anyway, so honouring the ACL would protect nothing, and Vonage's own
 * samples mint server tokens with broad ACLs that must keep working.
 *
 * Not checked: `iss` and `aud` (Vonage tokens carry neither), `jti` replay (access tokens are reusable until
 * they expire; one-time tickets need a store and belong elsewhere).
 */
export class TokenVerifier {
  readonly #keys = new Map<string, Promise<VerificationKey | null>>();
  readonly #importErrors = new Map<string, Error>();
  readonly #leeway: number;
  readonly #maxLifetime: number;
  readonly #now: () => number;
  // Verified tokens by their exact text, oldest first (a Map keeps insertion order). Only tokens that
  // passed every check get here, and a hit is still checked against the clock.
  readonly #verified = new Map<string, Principal>();
  readonly #cacheSize: number;

  /**
   * Imports every application's public key once. Fails fast, with a TypeError naming the application, when
   * an id repeats or a key is not an RSA public key of at least 2048 bits.
   *
   * @param applications - the configured applications
   * @param options - leeway, maximum lifetime and clock
   */
  constructor(applications: readonly Application[], options: TokenVerifierOptions = {}) {
    const leeway = options.clockToleranceSeconds ?? 30;
    const maxLifetime = options.maxLifetimeSeconds ?? 86_400;
    if (!Number.isFinite(leeway) || leeway < 0 || leeway > 300) {
      throw new TypeError('clockToleranceSeconds must be between 0 and 300');
    }
    if (!Number.isFinite(maxLifetime) || maxLifetime <= 0) {
      throw new TypeError('maxLifetimeSeconds must be a positive number');
    }
    this.#leeway = leeway;
    this.#maxLifetime = maxLifetime;
    this.#now = options.now ?? Date.now;
    this.#cacheSize = options.cacheSize ?? 10_000;

    for (const application of applications) {
      if (this.#keys.has(application.id)) {
        throw new TypeError(`Duplicate application id [applicationId:${application.id}]`);
      }
      checkPublicKey(application);
      const imported = importSPKI(application.publicKeyPem, ALGORITHM).catch((error: unknown) => {
        // The key passed node:crypto's checks above, so this is not expected; remember why for ready().
        this.#importErrors.set(application.id, error instanceof Error ? error : new Error(String(error)));

        return null;
      });
      this.#keys.set(application.id, imported);
    }
  }

  /** Resolves once every key is imported; rejects naming the applications whose key failed to import. */
  async ready(): Promise<void> {
    await Promise.all(this.#keys.values());
    if (this.#importErrors.size > 0) {
      throw new Error(
        `Public key import failed [applicationIds:${[...this.#importErrors.keys()].join(',')}]`,
      );
    }
  }

  /**
   * Verifies the value of an `Authorization` header and returns the caller it stands for.
   *
   * @throws TokenRejectedError for any kind of bad, missing, expired or foreign token
   */
  async verify(authorizationHeader: string | undefined): Promise<Principal> {
    const token = bearerToken(authorizationHeader);
    const remembered = this.#verified.get(token);
    if (remembered !== undefined) {
      if (this.#now() / 1000 < remembered.expiresAt + this.#leeway) {
        return remembered;
      }
      this.#verified.delete(token);
    }
    const jwt = decodeCompactJwt(token);
    checkHeader(jwt.header);

    const applicationId = jwt.payload.application_id;
    if (typeof applicationId !== 'string') {
      throw new TokenRejectedError('unknown-application');
    }
    const pending = this.#keys.get(applicationId);
    if (pending === undefined) {
      throw new TokenRejectedError('unknown-application');
    }
    const key = await pending;
    if (key === null) {
      throw new TokenRejectedError('key-unavailable');
    }
    try {
      await compactVerify(jwt.text, key, { algorithms: [ALGORITHM] });
    } catch {
      throw new TokenRejectedError('bad-signature');
    }

    // From here on the payload is authentic; only its content remains to be judged.
    const expiresAt = this.#checkTimes(jwt.payload);
    const principal = principalOf(jwt, applicationId, expiresAt);
    this.#remember(token, principal);

    return principal;
  }

  #remember(token: string, principal: Principal): void {
    if (this.#cacheSize === 0) {
      return;
    }
    if (this.#verified.size >= this.#cacheSize) {
      const oldest = this.#verified.keys().next();
      if (oldest.done !== true) {
        this.#verified.delete(oldest.value);
      }
    }
    this.#verified.set(token, principal);
  }

  /** Checks `exp`, `nbf`, `iat` and the lifetime; returns `exp`. */
  #checkTimes(payload: CompactJwt['payload']): number {
    const exp = readNumericDate(payload.exp);
    const nbf = readNumericDate(payload.nbf);
    const iat = readNumericDate(payload.iat);
    if (exp === null || nbf === null || iat === null) {
      throw new TokenRejectedError('bad-claim');
    }
    if (exp === undefined) {
      throw new TokenRejectedError('missing-exp');
    }
    const now = this.#now() / 1000;
    if (now >= exp + this.#leeway) {
      throw new TokenRejectedError('expired');
    }
    if (nbf !== undefined && nbf > now + this.#leeway) {
      throw new TokenRejectedError('not-yet-valid');
    }
    if (iat !== undefined && iat > now + this.#leeway) {
      throw new TokenRejectedError('issued-in-future');
    }
    // With iat the lifetime is exact; without it, allow for the issuer's clock running ahead of ours.
    const tooLong =
      iat === undefined ? exp - now > this.#maxLifetime + this.#leeway : exp - iat > this.#maxLifetime;
    if (tooLong) {
      throw new TokenRejectedError('lifetime-too-long');
    }

    return exp;
  }
}

/** Fails fast on keys that could never verify an RS256 token, naming the application but not the key. */
function checkPublicKey(application: Application): void {
  let bits: number | undefined;
  let type: string | undefined;
  try {
    const key = createPublicKey({ key: application.publicKeyPem, format: 'pem' });
    type = key.asymmetricKeyType;
    bits = key.asymmetricKeyDetails?.modulusLength;
  } catch {
    throw new TypeError(`Application public key is not a PEM public key [applicationId:${application.id}]`);
  }
  if (type !== 'rsa' || bits === undefined || bits < MIN_RSA_BITS) {
    throw new TypeError(
      `Application public key must be RSA of at least 2048 bits [applicationId:${application.id}]`,
    );
  }
}

/** Refuses any header but `{alg: RS256, typ?: JWT}` plus ignorable key hints. */
function checkHeader(header: CompactJwt['header']): void {
  if (header.alg !== ALGORITHM) {
    throw new TokenRejectedError('bad-algorithm');
  }
  const typ = header.typ;
  if (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT')) {
    throw new TokenRejectedError('bad-header');
  }
  if (header.crit !== undefined || header.b64 !== undefined) {
    throw new TokenRejectedError('bad-header');
  }
}

/** Builds the principal from an authentic payload, checking the identity claims' types. */
function principalOf(jwt: CompactJwt, applicationId: string, expiresAt: number): Principal {
  const { sub, subject, jti, acl } = jwt.payload;
  if (jti !== undefined && (typeof jti !== 'string' || jti === '')) {
    throw new TokenRejectedError('bad-claim');
  }
  if (subject !== undefined && subject !== sub) {
    throw new TokenRejectedError('bad-claim');
  }
  const tokenId = jti ?? null;
  if (sub === undefined) {
    return Object.freeze({ kind: 'admin', applicationId, tokenId, expiresAt });
  }
  if (typeof sub !== 'string' || sub === '') {
    throw new TokenRejectedError('bad-claim');
  }
  let parsed: Acl = EMPTY_ACL;
  if (acl !== undefined) {
    try {
      parsed = parseAcl(acl);
    } catch (error) {
      if (error instanceof AclFormatError) {
        throw new TokenRejectedError('bad-claim');
      }
      throw error;
    }
  }

  return Object.freeze({ kind: 'client', applicationId, tokenId, expiresAt, userName: sub, acl: parsed });
}
