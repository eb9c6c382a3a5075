/** A user of an application: the person or bot behind members of conversations. */
export interface User {
  /** `USR-` + UUID. */
  readonly id: string;
  /** The owning application. */
  readonly applicationId: string;
  /** Unique per application; the `sub` of a client user's JWT. */
  name: string;
  displayName: string | null;
  imageUrl: string | null;
  /** Free-form data and an optional time to live in seconds. */
  properties: UserProperties;
  /** Reachability per channel type, kept as the API received it (`pstn`, `sip`, `websocket`, …). */
  channels: Record<string, unknown[]>;
  /** ISO-8601 timestamps. */
  readonly createdAt: string;
  updatedAt: string;
}

/** The `properties` of a user. */
export interface UserProperties {
  customData: Record<string, unknown>;
  ttl: number | null;
}

/** Fields a client may give when it creates a user; everything but the name is optional. */
export type NewUser = Pick<User, 'name'> &
  Partial<Pick<User, 'displayName' | 'imageUrl' | 'properties' | 'channels'>>;

/** Fields a client may change. */
export type UserPatch = Partial<Pick<User, 'name' | 'displayName' | 'imageUrl' | 'properties' | 'channels'>>;
