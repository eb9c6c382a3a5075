/** An open realtime connection of a client user (one App-channel WebSocket). */
export interface Session {
  /** `SES-` + UUID. */
  readonly id: string;
  readonly applicationId: string;
  readonly userId: string;
  readonly createdAt: string;
  /** When the session lapses unless refreshed (the holding process refreshes it while the socket lives). */
  expiresAt: string;
}
