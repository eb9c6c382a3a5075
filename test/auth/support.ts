import { createHmac, createSign, constants } from 'node:crypto';
import { type Application } from '../../src/domain/index.js';

/** A fixed wall clock for the verifier: 2026-09-21T14:13:20Z, in milliseconds. */
export const NOW_MS = 1_790_000_000_000;
/** The same instant in seconds. */
export const NOW = NOW_MS / 1000;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Builds an application record around a public key. */
export function application(id: string, publicKeyPem: string): Application {
  return {
    id,
    name: `app-${id.slice(0, 8)}`,
    publicKeyPem,
    signatureSecret: 's3cret',
    rtcEventUrl: null,
    rtcEventMethod: 'POST',
  };
}

/**
 * Signs an arbitrary header and payload with node:crypto, bypassing every library check, so tests can craft
 * tokens a careful library would refuse to produce (odd headers, odd claim types).
 */
export function signCompact(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  privateKeyPem: string,
  scheme: 'RS256' | 'RS512' | 'PS256' = 'RS256',
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signer = createSign(scheme === 'RS512' ? 'sha512' : 'sha256');
  signer.update(input);
  const signature =
    scheme === 'PS256'
      ? signer.sign({ key: privateKeyPem, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
      : signer.sign(privateKeyPem);

  return `${input}.${signature.toString('base64url')}`;
}

/** The classic key-confusion forgery: HS256 with the RSA public key's PEM text as the HMAC secret. */
export function signHs256WithPublicKey(payload: Record<string, unknown>, publicKeyPem: string): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  const mac = createHmac('sha256', publicKeyPem).update(input).digest('base64url');

  return `${input}.${mac}`;
}

/** An unsecured JWT (`alg: none`) with the given signature part (normally empty). */
export function unsecured(payload: Record<string, unknown>, signature = ''): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.${signature}`;
}

/** Encodes a JSON value as one base64url token part. */
export const part = b64;
