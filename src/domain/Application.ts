/**
 * An application: the tenant every other entity belongs to. Applications are configured by the operator
 * in YAML (see config/confab.yaml); the domain sees only what the rest of confab needs of them.
 */
export interface Application {
  /** A UUID, the `application_id` claim of the application's JWTs. */
  readonly id: string;
  /** A unique, human-friendly name used by the CLI. */
  readonly name: string;
  /** The PEM text of the RS256 public key that verifies the application's JWTs. */
  readonly publicKeyPem: string;
  /** The secret that signs outgoing webhooks (HS256). */
  readonly signatureSecret: string;
  /** Where the conversation events webhook goes, or null for none. */
  readonly rtcEventUrl: string | null;
  /** The HTTP method of the conversation events webhook. */
  readonly rtcEventMethod: 'POST' | 'GET';
}
