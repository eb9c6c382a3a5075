/** Why an outbound call could not be placed. */
export type DialErrorCode =
  | 'ERR_DIAL_NO_TRUNK'
  | 'ERR_DIAL_BAD_TRUNK_URI'
  | 'ERR_DIAL_LIMIT'
  /** The trunk's host name did not resolve (SRV or address records). */
  | 'ERR_DIAL_UNRESOLVED';

/** An outbound call refused before any INVITE went out. */
export class DialError extends Error {
  /** Machine-readable reason. */
  readonly code: DialErrorCode;
  /** The trunk concerned, when known. */
  readonly trunk: string | null;

  /** @param code - reason; @param message - details; @param trunk - trunk name */
  constructor(code: DialErrorCode, message: string, trunk: string | null = null) {
    super(message);
    this.name = 'DialError';
    this.code = code;
    this.trunk = trunk;
  }
}
