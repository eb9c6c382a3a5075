import { TokenRejectedError } from './TokenRejectedError.js';

/**
 * A compact JWT split and decoded but NOT verified (RFC 7519 §7.2, RFC 7515 §7.1):
 *
 * ```
 *   BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature)
 * ```
 *
 * The verifier reads the unverified header only to refuse bad algorithms before any cryptography, and the
 * unverified payload only to find `application_id`, which picks the key. Nothing else is trusted until the
 * signature has been checked.
 */
export interface CompactJwt {
  /** The token text as received. */
  readonly text: string;
  /** The decoded JOSE header. */
  readonly header: Readonly<Record<string, unknown>>;
  /** The decoded claims set. */
  readonly payload: Readonly<Record<string, unknown>>;
}

/** Longest token accepted, in characters. Node refuses headers above 16 KiB anyway; ACLs stay far below this. */
export const MAX_TOKEN_LENGTH = 8192;

// Three base64url parts without padding; the signature may be empty so `alg: none` reaches the algorithm check.
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
// The scheme is case-insensitive (RFC 9110 §11.1); one or more spaces separate it from the token (RFC 6750 §2.1).
const BEARER = /^bearer +(\S+)$/i;

function decodeJsonObject(part: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }

  return value as Record<string, unknown>;
}

/**
 * Takes the token out of an `Authorization` header value.
 *
 * @throws TokenRejectedError `missing-header` or `bad-scheme`
 */
export function bearerToken(authorizationHeader: string | undefined): string {
  if (authorizationHeader === undefined || authorizationHeader.trim() === '') {
    throw new TokenRejectedError('missing-header');
  }
  if (authorizationHeader.length > MAX_TOKEN_LENGTH + 16) {
    throw new TokenRejectedError('bad-scheme');
  }
  const match = BEARER.exec(authorizationHeader.trim());
  const token = match?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) {
    throw new TokenRejectedError('bad-scheme');
  }

  return token;
}

/**
 * Splits and decodes a compact JWT without verifying it.
 *
 * @throws TokenRejectedError `malformed` when it is not three base64url parts with JSON object header and payload
 */
export function decodeCompactJwt(text: string): CompactJwt {
  if (!COMPACT.test(text)) {
    throw new TokenRejectedError('malformed');
  }
  const [headerPart = '', payloadPart = ''] = text.split('.');
  const header = decodeJsonObject(headerPart);
  const payload = decodeJsonObject(payloadPart);
  if (header === null || payload === null) {
    throw new TokenRejectedError('malformed');
  }

  return { text, header, payload };
}

// A NumericDate sent as a string: plain decimal digits with an optional fraction, nothing else.
const NUMERIC_STRING = /^\d{1,12}(\.\d{1,9})?$/;

/**
 * Reads a NumericDate claim (`exp`, `nbf`, `iat`). A number is the standard form; a decimal string is
 * tolerated because one old Vonage docs sample sends `exp` that way.
 *
 * @returns the value in seconds, `undefined` when absent, or `null` when present but not a valid date
 */
export function readNumericDate(value: unknown): number | undefined | null {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? value : null;
  }
  if (typeof value === 'string' && NUMERIC_STRING.test(value)) {
    return Number(value);
  }

  return null;
}
