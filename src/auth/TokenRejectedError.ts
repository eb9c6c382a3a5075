import { ConfabError } from '../domain/index.js';

/**
 * Why a bearer token was refused. These values are for logs and metrics only; they never reach the
 * HTTP body, so a caller cannot learn which check failed.
 */
export type TokenRejectionReason =
  /** No `Authorization` header was sent. */
  | 'missing-header'
  /** The header is not `Bearer <compact JWT>`, or the token is too long. */
  | 'bad-scheme'
  /** The token is not three base64url parts holding a JSON header and a JSON object payload. */
  | 'malformed'
  /** The header's `alg` is not exactly `RS256` (this covers `none` and HS256 key confusion). */
  | 'bad-algorithm'
  /** The header has a `typ` other than `JWT`, or `crit`/`b64` parameters confab does not support. */
  | 'bad-header'
  /** The payload has no string `application_id`, or names an application confab does not know. */
  | 'unknown-application'
  /** The application's public key could not be imported. */
  | 'key-unavailable'
  /** The RS256 signature does not verify with the application's public key. */
  | 'bad-signature'
  /** A claim has the wrong type (`sub`, `jti`, `acl`, time claims) or `subject` contradicts `sub`. */
  | 'bad-claim'
  /** There is no `exp` claim. */
  | 'missing-exp'
  /** `exp` is in the past, beyond the clock leeway. */
  | 'expired'
  /** `nbf` is in the future, beyond the clock leeway. */
  | 'not-yet-valid'
  /** `iat` is in the future, beyond the clock leeway. */
  | 'issued-in-future'
  /** The token lives longer than the maximum lifetime (24 hours by default). */
  | 'lifetime-too-long';

/**
 * The single public detail text of every token rejection. It is the text Vonage's gateway sends, and it
 * is kept identical for every reason so the body is no oracle for which check failed.
 */
export const TOKEN_REJECTED_DETAIL = 'You did not provide correct credentials';

/**
 * A bearer token was refused. The public part (`code`, `status`, `title`, `message`) is the same for every
 * reason: always `system:error:invalid-token`, 401, and {@link TOKEN_REJECTED_DETAIL}. Expired tokens use the
 * same code on purpose, although the catalogue has `system:error:expired-token`, because a distinct code would
 * make the body differ. The precise cause is in `reason`, which the API layer should log and never send.
 */
export class TokenRejectedError extends ConfabError {
  /** Machine-readable cause, for logs and metrics only. */
  readonly reason: TokenRejectionReason;

  /** @param reason - why the token was refused (kept out of the HTTP body) */
  constructor(reason: TokenRejectionReason) {
    super('system:error:invalid-token', TOKEN_REJECTED_DETAIL);
    this.name = 'TokenRejectedError';
    this.reason = reason;
  }
}
