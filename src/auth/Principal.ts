import { type Acl } from './Acl.js';

/** What every verified caller has, whatever its kind. */
interface PrincipalBase {
  /** The application (tenant) the token was signed for: its `application_id` claim. */
  readonly applicationId: string;
  /** The token's `jti` claim, or null when it has none; a natural key for per-token rate limits. */
  readonly tokenId: string | null;
  /** When the token expires, in seconds since the Unix epoch (its `exp` claim). */
  readonly expiresAt: number;
}

/**
 * A server (admin) caller: the token has no `sub`. It may do anything within its application.
 * An `acl` claim on such a token is ignored (see TokenVerifier).
 */
export interface AdminPrincipal extends PrincipalBase {
  /** Discriminant. */
  readonly kind: 'admin';
}

/** A client (user) caller: the token's `sub` names the user, and its `acl` limits what it may call. */
export interface ClientPrincipal extends PrincipalBase {
  /** Discriminant. */
  readonly kind: 'client';
  /** The user's NAME (the `sub` claim), not its `USR-` id. */
  readonly userName: string;
  /** The token's ACL; empty (allows nothing) when the token had no `acl` claim. */
  readonly acl: Acl;
}

/** The caller a verified bearer token stands for. */
export type Principal = AdminPrincipal | ClientPrincipal;
