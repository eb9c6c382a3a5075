import { createHash, randomBytes } from 'node:crypto';
import { parseDigestParams, serializeDigestParams } from './digestParams.js';

/** What a UAC answers a challenge with. */
export interface DigestClientCredentials {
  /** User name. */
  readonly username: string;
  /** Password. */
  readonly password: string;
}

const UNQUOTED = new Set(['algorithm', 'nc', 'qop']);

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

/**
 * The `Authorization` (or `Proxy-Authorization`) value answering `challenge` (a `WWW-Authenticate` or
 * `Proxy-Authenticate` value) for `method` and `uri`, per RFC 2617 §3.2.2 as RFC 3261 §22.2 uses it:
 * qop=auth when offered (nonce count 1, fresh cnonce), the RFC 2069 form otherwise. Only MD5 is
 * supported; null for any other algorithm or a challenge that is not Digest.
 */
export function answerChallenge(
  challenge: string,
  credentials: DigestClientCredentials,
  method: string,
  uri: string,
): string | null {
  const p = parseDigestParams(challenge);
  const realm = p?.get('realm');
  const nonce = p?.get('nonce');
  if (
    p === null ||
    p === undefined ||
    realm === undefined ||
    nonce === undefined ||
    (p.get('algorithm') ?? 'MD5').toUpperCase() !== 'MD5'
  ) {
    return null;
  }
  const ha1 = md5(`${credentials.username}:${realm}:${credentials.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const qops = (p.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase());
  const params: [string, string][] = [
    ['username', credentials.username],
    ['realm', realm],
    ['nonce', nonce],
    ['uri', uri],
  ];
  if (qops.includes('auth')) {
    const cnonce = randomBytes(8).toString('hex');
    const nc = '00000001';
    params.push(
      ['response', md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`)],
      ['algorithm', 'MD5'],
      ['qop', 'auth'],
      ['nc', nc],
      ['cnonce', cnonce],
    );
  } else {
    params.push(['response', md5(`${ha1}:${nonce}:${ha2}`)], ['algorithm', 'MD5']);
  }
  const opaque = p.get('opaque');
  if (opaque !== undefined) {
    params.push(['opaque', opaque]);
  }

  return serializeDigestParams(params, UNQUOTED);
}
