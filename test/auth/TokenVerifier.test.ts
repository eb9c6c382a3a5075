import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT, importPKCS8 } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_CLIENT_ACL,
  TokenVerifier,
  aclAllows,
  generateKeyPair,
  mintToken,
  type ApplicationKeyPair,
} from '../../src/auth/index.js';
import { application, NOW, NOW_MS, signCompact } from './support.js';

const APP_A = randomUUID();
const APP_B = randomUUID();
let keysA: ApplicationKeyPair;
let keysB: ApplicationKeyPair;
let verifier: TokenVerifier;

beforeAll(async () => {
  [keysA, keysB] = await Promise.all([generateKeyPair(), generateKeyPair()]);
  verifier = new TokenVerifier(
    [application(APP_A, keysA.publicKeyPem), application(APP_B, keysB.publicKeyPem)],
    {
      now: () => NOW_MS,
    },
  );
  await verifier.ready();
});

describe('TokenVerifier accepts', () => {
  it('an admin token from mintToken (no sub)', async () => {
    const token = await mintToken({
      applicationId: APP_A,
      privateKeyPem: keysA.privateKeyPem,
      issuedAt: NOW,
    });
    const principal = await verifier.verify(`Bearer ${token}`);
    expect(principal.kind).toBe('admin');
    expect(principal.applicationId).toBe(APP_A);
    expect(principal.expiresAt).toBe(NOW + 900);
    expect(principal.tokenId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it('a client token from mintToken with the default client ACL', async () => {
    const token = await mintToken({
      applicationId: APP_B,
      privateKeyPem: keysB.privateKeyPem,
      sub: 'Alice',
      acl: DEFAULT_CLIENT_ACL,
      issuedAt: NOW - 60,
    });
    const principal = await verifier.verify(`Bearer ${token}`);
    expect(principal).toMatchObject({ kind: 'client', applicationId: APP_B, userName: 'Alice' });
    if (principal.kind !== 'client') {
      throw new Error('expected a client principal');
    }
    expect(principal.acl).toEqual(DEFAULT_CLIENT_ACL);
    expect(aclAllows(principal.acl, 'POST', '/v1/conversations/CON-1/events')).toBe(true);
    expect(aclAllows(principal.acl, 'GET', '/v1/applications')).toBe(false);
  });

  it('a client token shaped the way @vonage/jwt makes it (subject and sub, jsonwebtoken RS256)', async () => {
    // tokenGenerate spreads its options into the claims, then adds sub, acl and application_id.
    const key = await importPKCS8(keysA.privateKeyPem, 'RS256');
    const token = await new SignJWT({
      subject: 'bob',
      acl: { paths: { '/*/users/**': {}, '/*/conversations/**': { methods: ['GET'] } } },
      jti: randomUUID(),
      iat: NOW - 5,
      exp: NOW - 5 + 900,
      sub: 'bob',
      application_id: APP_A,
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(key);
    const principal = await verifier.verify(`Bearer ${token}`);
    expect(principal).toMatchObject({
      kind: 'client',
      userName: 'bob',
      applicationId: APP_A,
      expiresAt: NOW + 895,
    });
    if (principal.kind !== 'client') {
      throw new Error('expected a client principal');
    }
    expect(aclAllows(principal.acl, 'GET', '/v1/conversations/CON-1')).toBe(true);
    expect(aclAllows(principal.acl, 'POST', '/v1/conversations')).toBe(false);
  });

  it('an admin token shaped the way the Node server SDK sends it ({jti, iat, exp, application_id})', async () => {
    const key = await importPKCS8(keysB.privateKeyPem, 'RS256');
    const token = await new SignJWT({ jti: randomUUID(), iat: NOW, exp: NOW + 900, application_id: APP_B })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(key);
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({
      kind: 'admin',
      applicationId: APP_B,
    });
  });

  it('an admin token that carries an acl, still as admin (the acl is ignored)', async () => {
    const token = await mintToken({
      applicationId: APP_A,
      privateKeyPem: keysA.privateKeyPem,
      acl: { paths: { '/*/users/**': { methods: ['GET'] } } },
      issuedAt: NOW,
    });
    const principal = await verifier.verify(`Bearer ${token}`);
    expect(principal.kind).toBe('admin');
    expect('acl' in principal).toBe(false);
  });

  it('a client token without an acl, whose empty ACL allows nothing', async () => {
    const token = await mintToken({
      applicationId: APP_A,
      privateKeyPem: keysA.privateKeyPem,
      sub: 'carol',
      issuedAt: NOW,
    });
    const principal = await verifier.verify(`Bearer ${token}`);
    if (principal.kind !== 'client') {
      throw new Error('expected a client principal');
    }
    expect(principal.acl.paths).toEqual({});
    expect(aclAllows(principal.acl, 'GET', '/v1/users')).toBe(false);
  });

  it('exp as a numeric string, no typ, no jti, a lower-case scheme and an ignored kid', async () => {
    const token = signCompact(
      { alg: 'RS256', kid: '../../../etc/passwd' },
      { application_id: APP_A, iat: NOW, exp: String(NOW + 600) },
      keysA.privateKeyPem,
    );
    await expect(verifier.verify(`bearer   ${token}`)).resolves.toEqual({
      kind: 'admin',
      applicationId: APP_A,
      tokenId: null,
      expiresAt: NOW + 600,
    });
  });

  it('times inside the leeway and lifetimes of exactly 24 hours', async () => {
    const sign = (claims: Record<string, unknown>): string =>
      `Bearer ${signCompact({ alg: 'RS256', typ: 'JWT' }, { application_id: APP_A, ...claims }, keysA.privateKeyPem)}`;
    await expect(verifier.verify(sign({ iat: NOW - 900, exp: NOW - 29 }))).resolves.toMatchObject({
      kind: 'admin',
    });
    await expect(verifier.verify(sign({ iat: NOW + 29, exp: NOW + 900 }))).resolves.toMatchObject({
      kind: 'admin',
    });
    await expect(verifier.verify(sign({ nbf: NOW + 29, exp: NOW + 900 }))).resolves.toMatchObject({
      kind: 'admin',
    });
    await expect(verifier.verify(sign({ iat: NOW - 10, exp: NOW - 10 + 86_400 }))).resolves.toMatchObject({
      kind: 'admin',
    });
    await expect(verifier.verify(sign({ exp: NOW + 86_400 }))).resolves.toMatchObject({ kind: 'admin' });
  });

  it('a configurable leeway', async () => {
    const strict = new TokenVerifier([application(APP_A, keysA.publicKeyPem)], {
      now: () => NOW_MS,
      clockToleranceSeconds: 0,
    });
    const token = signCompact({ alg: 'RS256' }, { application_id: APP_A, exp: NOW - 1 }, keysA.privateKeyPem);
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ kind: 'admin' });
    await expect(strict.verify(`Bearer ${token}`)).rejects.toMatchObject({ reason: 'expired' });
  });
});

describe('TokenVerifier construction', () => {
  it('refuses duplicate application ids', () => {
    expect(
      () =>
        new TokenVerifier([application(APP_A, keysA.publicKeyPem), application(APP_A, keysB.publicKeyPem)]),
    ).toThrow(TypeError);
  });

  it('refuses keys that are not RSA public keys of 2048 bits or more, naming the application', () => {
    expect(() => new TokenVerifier([application(APP_A, 'not a pem')])).toThrow(APP_A);
    const ec = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    }).publicKey;
    const small = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    }).publicKey;
    expect(() => new TokenVerifier([application(APP_A, ec)])).toThrow(/RSA of at least 2048 bits/);
    expect(() => new TokenVerifier([application(APP_A, small)])).toThrow(/RSA of at least 2048 bits/);
  });

  it('refuses an out-of-range leeway', () => {
    expect(() => new TokenVerifier([], { clockToleranceSeconds: -1 })).toThrow(TypeError);
    expect(() => new TokenVerifier([], { clockToleranceSeconds: 3600 })).toThrow(TypeError);
  });
});

describe('TokenVerifier cache of verified tokens', () => {
  it('answers a token again from memory, but never past its expiry', async () => {
    let now = NOW_MS;
    const clocked = new TokenVerifier([application(APP_A, keysA.publicKeyPem)], {
      now: () => now,
      clockToleranceSeconds: 0,
    });
    await clocked.ready();
    const token = await mintToken({
      applicationId: APP_A,
      privateKeyPem: keysA.privateKeyPem,
      issuedAt: NOW,
      ttlSeconds: 60,
    });

    const first = await clocked.verify(`Bearer ${token}`);
    expect(await clocked.verify(`Bearer ${token}`)).toBe(first);
    now = (NOW + 60) * 1000;
    await expect(clocked.verify(`Bearer ${token}`)).rejects.toMatchObject({ reason: 'expired' });
  });

  it('does not remember a token that failed, nor confuse a tampered copy with a verified one', async () => {
    const token = await mintToken({
      applicationId: APP_A,
      privateKeyPem: keysA.privateKeyPem,
      issuedAt: NOW,
    });
    await verifier.verify(`Bearer ${token}`);
    const [header, payload, signature] = token.split('.');
    const tampered = `${header!}.${payload!}.${signature!.slice(0, -4)}AAAA`;

    await expect(verifier.verify(`Bearer ${tampered}`)).rejects.toMatchObject({ reason: 'bad-signature' });
    await expect(verifier.verify(`Bearer ${tampered}`)).rejects.toMatchObject({ reason: 'bad-signature' });
  });
});
