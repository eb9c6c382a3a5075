/**
 * The auth room: RS256 JWT verification per application, client ACLs, token minting and per-key rate
 * limiting. It imports only the domain room (for `Application` and `ConfabError`).
 *
 * The API layer calls {@link TokenVerifier.verify} with the `Authorization` header, turns a thrown
 * {@link TokenRejectedError} into the catalogue's 401 body (logging its `reason`, never sending it), checks
 * client principals with {@link aclAllows}, and keys a {@link RateLimiter} by token or application.
 */
export { TokenVerifier, type TokenVerifierOptions } from './TokenVerifier.js';
export {
  TokenRejectedError,
  TOKEN_REJECTED_DETAIL,
  type TokenRejectionReason,
} from './TokenRejectedError.js';
export { type Principal, type AdminPrincipal, type ClientPrincipal } from './Principal.js';
export {
  aclAllows,
  parseAcl,
  AclFormatError,
  DEFAULT_CLIENT_ACL,
  EMPTY_ACL,
  type Acl,
  type AclRule,
  type AclMethod,
} from './Acl.js';
export { MAX_TOKEN_LENGTH } from './CompactJwt.js';
export { mintToken, generateKeyPair, type MintTokenOptions, type ApplicationKeyPair } from './mintToken.js';
export { RateLimiter, type RateLimiterOptions, type RateLimitDecision } from './RateLimiter.js';
