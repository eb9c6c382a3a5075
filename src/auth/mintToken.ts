import { generateKeyPair as generateRsaKeyPair, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, importPKCS8 } from 'jose';
import { type Acl } from './Acl.js';

/** What {@link mintToken} needs. */
export interface MintTokenOptions {
  /** The application the token is for (`application_id` claim). */
  readonly applicationId: string;
  /** The application's RSA private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
  readonly privateKeyPem: string;
  /** The user NAME for a client token (`sub` claim); omit it for an admin token. */
  readonly sub?: string;
  /**
   * Lifetime in seconds, from 1 to 86400.
   * @defaultValue 900 (15 minutes, as Vonage's SDKs)
   */
  readonly ttlSeconds?: number;
  /** The client token's ACL (`acl` claim); typically {@link DEFAULT_CLIENT_ACL}. */
  readonly acl?: Acl;
  /** Not-before time, in seconds since the Unix epoch (`nbf` claim). */
  readonly nbf?: number;
  /**
   * Issue time, in seconds since the Unix epoch (`iat` claim).
   * @defaultValue now
   */
  readonly issuedAt?: number;
}

const MAX_TTL_SECONDS = 86_400;

/**
 * Mints an RS256 JWT as Vonage's SDKs do: header `{alg: RS256, typ: JWT}`, claims `application_id`, `iat`,
 * `jti` (a v4 UUID), `exp = iat + ttlSeconds`, and `sub`, `acl`, `nbf` when given. Used by the CLI and tests;
 * the server itself never holds application private keys.
 *
 * @throws TypeError when `ttlSeconds` is not an integer from 1 to 86400, or `sub` is empty
 */
export async function mintToken(options: MintTokenOptions): Promise<string> {
  const ttl = options.ttlSeconds ?? 900;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    throw new TypeError('ttlSeconds must be an integer from 1 to 86400');
  }
  if (options.sub === '') {
    throw new TypeError('sub must not be empty; omit it for an admin token');
  }
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const key = await importPKCS8(options.privateKeyPem, 'RS256');

  const claims: Record<string, unknown> = { application_id: options.applicationId };
  if (options.acl !== undefined) {
    claims.acl = options.acl;
  }
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setJti(randomUUID())
    .setExpirationTime(iat + ttl);
  if (options.sub !== undefined) {
    jwt.setSubject(options.sub);
  }
  if (options.nbf !== undefined) {
    jwt.setNotBefore(options.nbf);
  }

  return jwt.sign(key);
}

/** An application key pair, both halves PEM text. */
export interface ApplicationKeyPair {
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`), what an application's configuration holds. */
  readonly publicKeyPem: string;
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), what the application's owner keeps to mint tokens. */
  readonly privateKeyPem: string;
}

const generateRsa = promisify(generateRsaKeyPair);

/** Generates a fresh RSA-2048 application key pair, off the event loop. */
export async function generateKeyPair(): Promise<ApplicationKeyPair> {
  const { publicKey, privateKey } = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });

  return { publicKeyPem: publicKey, privateKeyPem: privateKey };
}
