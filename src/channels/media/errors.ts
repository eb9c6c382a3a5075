/** Stable codes of {@link MediaHubError}; never reused for another meaning. */
export type MediaHubErrorCode =
  /** The hub or the leg has closed. */
  | 'ERR_HUB_CLOSED'
  /** A phone call without media (no RTP session, or not answered yet). */
  | 'ERR_HUB_NO_MEDIA'
  /** A leg with that id is already in the hub. */
  | 'ERR_HUB_DUPLICATE_LEG'
  /** No live leg has that id. */
  | 'ERR_HUB_UNKNOWN_LEG'
  /** DTMF cannot be sent to this leg, or a character is not a DTMF digit. */
  | 'ERR_HUB_DTMF'
  /** An argument is out of range (a sample rate, a level, a loop count). */
  | 'ERR_HUB_INVALID_ARGUMENT'
  /** The WebSocket leg of a `connect` could not be set up. */
  | 'ERR_HUB_CONNECT_FAILED';

/** The conversation media hub refused an operation. */
export class MediaHubError extends Error {
  override readonly name = 'MediaHubError';
  /** Stable, machine-readable code. */
  readonly code: MediaHubErrorCode;

  /** @param code - stable code @param message - human-readable detail */
  constructor(code: MediaHubErrorCode, message: string) {
    super(`${message} [code:${code}]`);
    this.code = code;
  }
}
