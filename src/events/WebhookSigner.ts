import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { WebhookSignatureError } from './errors.js';

/** The claims confab puts in a webhook's `Authorization: Bearer <jwt>`. */
export interface WebhookClaims {
  /** Issued at (seconds). */
  iat: number;
  /** Expiry (seconds): `iat` plus five minutes. */
  exp: number;
  /** A fresh UUID per attempt, for receivers that reject replays. */
  jti: string;
  /** Hex SHA-256 of the exact body bytes. */
  payload_hash: string;
  application_id: string;
}

const encoder = new TextEncoder();

/** The hex SHA-256 of a body, as carried in `payload_hash`. */
export function payloadHash(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Signs a webhook body: an HS256 JWT under the application's `signatureSecret`, binding the body through
 * its SHA-256. Send it as `Authorization: Bearer <token>`.
 */
export async function signWebhook(secret: string, applicationId: string, body: string): Promise<string> {
  return new SignJWT({ payload_hash: payloadHash(body), application_id: applicationId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(encoder.encode(secret));
}

/**
 * Verifies a received webhook: the `Authorization` header (with or without `Bearer `), the HS256 signature
 * under `secret`, the expiry (60 s of clock tolerance) and that `payload_hash` matches the raw body bytes.
 * Returns the claims; throws {@link WebhookSignatureError} on any mismatch.
 */
export async function verifyWebhook(
  secret: string,
  authorization: string | undefined,
  body: string | Uint8Array,
): Promise<WebhookClaims> {
  const token = (authorization ?? '').replace(/^Bearer\s+/i, '');
  if (token === '') {
    throw new WebhookSignatureError('webhook has no Authorization token');
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, encoder.encode(secret), {
      algorithms: ['HS256'],
      clockTolerance: 60,
    }));
  } catch (error) {
    const reason = error instanceof joseErrors.JOSEError ? error.code : 'invalid token';
    throw new WebhookSignatureError(`webhook token rejected [reason:${reason}]`);
  }
  if (payload.payload_hash !== payloadHash(body)) {
    throw new WebhookSignatureError('webhook body does not match payload_hash');
  }

  return payload as unknown as WebhookClaims;
}
