import { createHmac, randomUUID } from 'node:crypto';
import { mintToken } from '../../src/auth/index.js';
import type { Harness } from './harness.js';

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Authorization header values of every kind of bad token, by name. */
export async function badAuthorizations(h: Harness): Promise<Record<string, string>> {
  const [app0, app1] = h.apps;
  const now = Math.floor(Date.now() / 1000);
  const claims = { application_id: app0.application.id, iat: now, exp: now + 600, jti: randomUUID() };
  const hsSigningInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  const hs = createHmac('sha256', app0.application.publicKeyPem).update(hsSigningInput).digest('base64url');

  return {
    garbage: 'Bearer not-a-jwt',
    basic: 'Basic dXNlcjpwYXNz',
    'alg-none': `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
    'hs256-with-public-key': `Bearer ${hsSigningInput}.${hs}`,
    expired: `Bearer ${await mintToken({ applicationId: app0.application.id, privateKeyPem: app0.privateKeyPem, issuedAt: now - 3600, ttlSeconds: 60 })}`,
    'foreign-key': `Bearer ${await mintToken({ applicationId: app0.application.id, privateKeyPem: app1.privateKeyPem })}`,
    'unknown-application': `Bearer ${await mintToken({ applicationId: randomUUID(), privateKeyPem: app0.privateKeyPem })}`,
    'not-yet-valid': `Bearer ${await mintToken({ applicationId: app0.application.id, privateKeyPem: app0.privateKeyPem, nbf: now + 3600 })}`,
  };
}
