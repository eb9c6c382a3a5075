import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TOKEN_REJECTED_DETAIL,
  TokenRejectedError,
  TokenVerifier,
  generateKeyPair,
  mintToken,
  type ApplicationKeyPair,
  type TokenRejectionReason,
} from '../../src/auth/index.js';
import { type ConfabError, isConfabError } from '../../src/domain/index.js';
import { NOW, NOW_MS, application, part, signCompact, signHs256WithPublicKey, unsecured } from './support.js';

const APP = randomUUID();
const OTHER_APP = randomUUID();
let keys: ApplicationKeyPair;
let otherKeys: ApplicationKeyPair;
let attacker: ApplicationKeyPair;
let verifier: TokenVerifier;

beforeAll(async () => {
  [keys, otherKeys, attacker] = await Promise.all([generateKeyPair(), generateKeyPair(), generateKeyPair()]);
  verifier = new TokenVerifier(
    [application(APP, keys.publicKeyPem), application(OTHER_APP, otherKeys.publicKeyPem)],
    {
      now: () => NOW_MS,
    },
  );
  await verifier.ready();
});

const header = { alg: 'RS256', typ: 'JWT' };
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  application_id: APP,
  jti: randomUUID(),
  iat: NOW,
  exp: NOW + 900,
  ...extra,
});
const rs256 = (payload: Record<string, unknown>, head: Record<string, unknown> = header): string =>
  `Bearer ${signCompact(head, payload, keys.privateKeyPem)}`;
const without = (name: string): Record<string, unknown> => {
  const copy = claims();
  delete copy[name];

  return copy;
};

/** Each case builds an Authorization header value (or undefined) and names the logged reason it must produce. */
const CASES: [string, TokenRejectionReason, () => Promise<string | undefined> | string | undefined][] = [
  ['no header', 'missing-header', () => undefined],
  ['an empty header', 'missing-header', () => '  '],
  ['a Basic scheme', 'bad-scheme', () => 'Basic dXNlcjpwYXNz'],
  ['a bare token with no scheme', 'bad-scheme', () => signCompact(header, claims(), keys.privateKeyPem)],
  ['Bearer without a token', 'bad-scheme', () => 'Bearer'],
  ['two tokens', 'bad-scheme', () => `${rs256(claims())} ${rs256(claims())}`],
  ['an oversized token', 'bad-scheme', () => rs256(claims({ pad: 'x'.repeat(9000) }))],
  ['a token that is not a JWT', 'malformed', () => 'Bearer abc'],
  ['two parts only', 'malformed', () => `Bearer ${part(header)}.${part(claims())}`],
  [
    'a header that is not JSON',
    'malformed',
    () => `Bearer ${Buffer.from('{alg').toString('base64url')}.${part(claims())}.c2ln`,
  ],
  ['a payload that is a JSON array', 'malformed', () => `Bearer ${part(header)}.${part([1, 2])}.c2ln`],
  [
    'padding or non-base64url characters',
    'malformed',
    () => `Bearer ${part(header)}=.${part(claims())}.c2ln`,
  ],
  ['alg none with no signature', 'bad-algorithm', () => `Bearer ${unsecured(claims())}`],
  ['alg none with a signature', 'bad-algorithm', () => `Bearer ${unsecured(claims(), 'c2ln')}`],
  [
    'HS256 signed with the public key as secret',
    'bad-algorithm',
    () => `Bearer ${signHs256WithPublicKey(claims(), keys.publicKeyPem)}`,
  ],
  [
    'a genuine RS512 signature',
    'bad-algorithm',
    () => `Bearer ${signCompact({ alg: 'RS512' }, claims(), keys.privateKeyPem, 'RS512')}`,
  ],
  [
    'a genuine PS256 signature',
    'bad-algorithm',
    () => `Bearer ${signCompact({ alg: 'PS256' }, claims(), keys.privateKeyPem, 'PS256')}`,
  ],
  ['alg spelled rs256', 'bad-algorithm', () => rs256(claims(), { alg: 'rs256' })],
  ['no alg', 'bad-algorithm', () => rs256(claims(), { typ: 'JWT' })],
  ['another token type', 'bad-header', () => rs256(claims(), { alg: 'RS256', typ: 'at+jwt' })],
  ['a crit header', 'bad-header', () => rs256(claims(), { alg: 'RS256', crit: ['exp'], exp: 1 })],
  ['an unencoded payload header', 'bad-header', () => rs256(claims(), { alg: 'RS256', b64: false })],
  ['an unknown application', 'unknown-application', () => rs256(claims({ application_id: randomUUID() }))],
  ['no application_id', 'unknown-application', () => rs256(without('application_id'))],
  ['a numeric application_id', 'unknown-application', () => rs256(claims({ application_id: 42 }))],
  [
    'an application_id from the prototype',
    'unknown-application',
    () => rs256(claims({ application_id: 'constructor' })),
  ],
  [
    'an attacker key pointed at by kid and jwk',
    'bad-signature',
    () =>
      `Bearer ${signCompact({ alg: 'RS256', kid: '../../attacker.pem', jwk: { kty: 'RSA' } }, claims(), attacker.privateKeyPem)}`,
  ],
  [
    'another application signing for this one',
    'bad-signature',
    () => `Bearer ${signCompact(header, claims(), otherKeys.privateKeyPem)}`,
  ],
  [
    'a payload changed after signing',
    'bad-signature',
    () => {
      const [h, , s] = signCompact(header, claims(), keys.privateKeyPem).split('.');

      return `Bearer ${h}.${part(claims({ sub: 'admin' }))}.${s}`;
    },
  ],
  ['an empty signature', 'bad-signature', () => `Bearer ${part(header)}.${part(claims())}.`],
  [
    'a token minted for another app id with this key',
    'bad-signature',
    async () =>
      `Bearer ${await mintToken({ applicationId: OTHER_APP, privateKeyPem: keys.privateKeyPem, issuedAt: NOW })}`,
  ],
  ['no exp', 'missing-exp', () => rs256(without('exp'))],
  ['exp that is not a number', 'bad-claim', () => rs256(claims({ exp: 'tomorrow' }))],
  ['exp as a boolean', 'bad-claim', () => rs256(claims({ exp: true }))],
  ['a negative iat', 'bad-claim', () => rs256(claims({ iat: -5 }))],
  ['nbf as an object', 'bad-claim', () => rs256(claims({ nbf: {} }))],
  ['a numeric sub', 'bad-claim', () => rs256(claims({ sub: 7 }))],
  ['an empty sub', 'bad-claim', () => rs256(claims({ sub: '' }))],
  ['a numeric jti', 'bad-claim', () => rs256(claims({ jti: 1 }))],
  ['an empty jti', 'bad-claim', () => rs256(claims({ jti: '' }))],
  ['subject contradicting sub', 'bad-claim', () => rs256(claims({ sub: 'alice', subject: 'mallory' }))],
  ['subject without sub', 'bad-claim', () => rs256(claims({ subject: 'alice' }))],
  ['a client acl that is a list', 'bad-claim', () => rs256(claims({ sub: 'alice', acl: ['/*/users/**'] }))],
  [
    'a client acl with non-string methods',
    'bad-claim',
    () => rs256(claims({ sub: 'a', acl: { paths: { '/*/users/**': { methods: [1] } } } })),
  ],
  ['exp past the leeway', 'expired', () => rs256(claims({ iat: NOW - 900, exp: NOW - 31 }))],
  ['exp at the epoch', 'expired', () => rs256(claims({ iat: 0, exp: 0 }))],
  ['nbf beyond the leeway', 'not-yet-valid', () => rs256(claims({ nbf: NOW + 31 }))],
  ['iat beyond the leeway', 'issued-in-future', () => rs256(claims({ iat: NOW + 31, exp: NOW + 600 }))],
  ['exp - iat over 24 hours', 'lifetime-too-long', () => rs256(claims({ iat: NOW, exp: NOW + 86_401 }))],
  [
    'exp - now over 24 hours without iat',
    'lifetime-too-long',
    () => rs256({ application_id: APP, exp: NOW + 86_400 + 31 }),
  ],
  [
    'mintToken with a far-future nbf',
    'not-yet-valid',
    async () =>
      `Bearer ${await mintToken({ applicationId: APP, privateKeyPem: keys.privateKeyPem, issuedAt: NOW, nbf: NOW + 300 })}`,
  ],
];

/** What reaches the HTTP body: it must be the same for every case. */
function publicPart(error: ConfabError): Record<string, unknown> {
  return {
    code: error.code,
    status: error.status,
    title: error.title,
    detail: error.message,
    params: error.invalidParameters,
  };
}

describe('TokenVerifier rejects', () => {
  it.each(CASES)('%s (%s)', async (_name, reason, build) => {
    const error: unknown = await verifier.verify(await build()).then(
      () => 'accepted',
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TokenRejectedError);
    expect(isConfabError(error, 'system:error:invalid-token')).toBe(true);
    const rejected = error as TokenRejectedError;
    expect(rejected.reason).toBe(reason);
    expect(rejected.name).toBe('TokenRejectedError');
    expect(publicPart(rejected)).toEqual({
      code: 'system:error:invalid-token',
      status: 401,
      title: 'Invalid credentials supplied',
      detail: TOKEN_REJECTED_DETAIL,
      params: [],
    });
    // The reason must not leak into anything the API serialises.
    expect(JSON.stringify(publicPart(rejected))).not.toContain(reason);
  });

  it('covers every rejection reason except an unimportable key', () => {
    const covered = new Set(CASES.map(([, reason]) => reason));
    const all: TokenRejectionReason[] = [
      'missing-header',
      'bad-scheme',
      'malformed',
      'bad-algorithm',
      'bad-header',
      'unknown-application',
      'bad-signature',
      'bad-claim',
      'missing-exp',
      'expired',
      'not-yet-valid',
      'issued-in-future',
      'lifetime-too-long',
    ];
    expect([...covered].sort()).toEqual([...all].sort());
  });
});
