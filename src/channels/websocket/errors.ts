/** Stable codes of {@link WebSocketChannelError}; never reused for another meaning. */
export type WebSocketChannelErrorCode = 'ERR_WS_INVALID_OPTION' | 'ERR_WS_INVALID_DIGIT' | 'ERR_WS_CLOSED';

/** A WebSocket leg refused an operation: bad options, a bad DTMF digit, or the leg is closed. */
export class WebSocketChannelError extends Error {
  override readonly name = 'WebSocketChannelError';
  /** Stable, machine-readable code. */
  readonly code: WebSocketChannelErrorCode;

  /** @param code - stable code @param message - human-readable detail */
  constructor(code: WebSocketChannelErrorCode, message: string) {
    super(`${message} [code:${code}]`);
    this.code = code;
  }
}
