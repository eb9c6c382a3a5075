import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_CLIENT_ACL,
  generateKeyPair,
  mintToken,
  type ApplicationKeyPair,
} from '../../src/auth/index.js';

const APP = randomUUID();
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let keys: ApplicationKeyPair;

beforeAll(async () => {
  keys = await generateKeyPair();
});

describe('generateKeyPair', () => {
  it('returns an RSA-2048 SPKI public key and the matching PKCS#8 private key', () => {
    expect(keys.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(keys.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const publicKey = createPublicKey(keys.publicKeyPem);
    expect(publicKey.asymmetricKeyType).toBe('rsa');
    expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const derived = createPublicKey(createPrivateKey(keys.privateKeyPem)).export({
      type: 'spki',
      format: 'pem',
    });
    expect(derived).toBe(keys.publicKeyPem);
  });
});

describe('mintToken', () => {
  it('makes an admin token that plain jose.jwtVerify accepts with the public key', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await mintToken({ applicationId: APP, privateKeyPem: keys.privateKeyPem });
    const { payload, protectedHeader } = await jwtVerify(
      token,
      await importSPKI(keys.publicKeyPem, 'RS256'),
      {
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'iat', 'jti'],
      },
    );
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(Object.keys(payload).sort()).toEqual(['application_id', 'exp', 'iat', 'jti']);
    expect(payload.application_id).toBe(APP);
    expect(payload.jti).toMatch(UUID_V4);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.exp).toBe(payload.iat! + 900);
  });

  it('adds sub, acl and nbf when given, and honours ttl and issuedAt', async () => {
    const iat = Math.floor(Date.now() / 1000) - 10;
    const token = await mintToken({
      applicationId: APP,
      privateKeyPem: keys.privateKeyPem,
      sub: 'Alice',
      acl: DEFAULT_CLIENT_ACL,
      ttlSeconds: 3600,
      nbf: iat,
      issuedAt: iat,
    });
    const { payload } = await jwtVerify(token, await importSPKI(keys.publicKeyPem, 'RS256'), {
      algorithms: ['RS256'],
    });
    expect(payload).toMatchObject({ sub: 'Alice', acl: DEFAULT_CLIENT_ACL, iat, nbf: iat, exp: iat + 3600 });
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
  });

  it('gives every token a fresh jti', async () => {
    const a = await mintToken({ applicationId: APP, privateKeyPem: keys.privateKeyPem });
    const b = await mintToken({ applicationId: APP, privateKeyPem: keys.privateKeyPem });
    expect(a).not.toBe(b);
  });

  it('refuses lifetimes outside 1 s to 24 h and an empty sub', async () => {
    for (const ttlSeconds of [0, -1, 1.5, 86_401]) {
      await expect(
        mintToken({ applicationId: APP, privateKeyPem: keys.privateKeyPem, ttlSeconds }),
      ).rejects.toThrow(TypeError);
    }
    await expect(
      mintToken({ applicationId: APP, privateKeyPem: keys.privateKeyPem, sub: '' }),
    ).rejects.toThrow(TypeError);
  });
});
