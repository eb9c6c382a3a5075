/**
 * Who is asking, as the services see it. The api room builds it from a verified token; services use it
 * for the checks an ACL cannot express (membership of a conversation, acting on one's own user).
 */
export type Caller = AdminCaller | ClientCaller;

/** A server (admin) token: may do anything within its application. */
export interface AdminCaller {
  readonly kind: 'admin';
  readonly applicationId: string;
}

/** A client token: acts as the user NAMED `userName` (the token's `sub`) within its application. */
export interface ClientCaller {
  readonly kind: 'client';
  readonly applicationId: string;
  readonly userName: string;
}
