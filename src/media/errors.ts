/**
 * Errors raised by the media room. Each class sets `name` and carries a stable, machine-readable `code`
 * so callers (the channels room, metrics) can count and branch without parsing messages.
 */

/** Stable codes for packets that could not be parsed or built. */
export type MediaPacketErrorCode =
  | 'ERR_RTP_TRUNCATED'
  | 'ERR_RTP_VERSION'
  | 'ERR_RTP_PADDING'
  | 'ERR_RTP_EXTENSION'
  | 'ERR_RTP_FIELD_RANGE'
  | 'ERR_RTCP_TRUNCATED'
  | 'ERR_RTCP_VERSION'
  | 'ERR_RTCP_LENGTH'
  | 'ERR_RTCP_PADDING'
  | 'ERR_RTCP_FIELD_RANGE'
  | 'ERR_DTMF_PAYLOAD'
  | 'ERR_DTMF_EVENT';

/** A wire packet was malformed (parsing) or a packet could not be encoded from the given fields (building). */
export class MediaPacketError extends Error {
  override readonly name = 'MediaPacketError';
  /** Stable code; never reused for another meaning. */
  readonly code: MediaPacketErrorCode;
  /** Byte offset at which the problem was found, when parsing. */
  readonly offset: number | undefined;

  /** @param code - stable code @param message - human-readable detail @param offset - where parsing failed */
  constructor(code: MediaPacketErrorCode, message: string, offset?: number) {
    super(`${message} [code:${code}${offset === undefined ? '' : `, offset:${offset}`}]`);
    this.code = code;
    this.offset = offset;
  }
}

/** Stable codes for operations refused because of an object's state or configuration. */
export type MediaStateErrorCode =
  'ERR_MEDIA_CLOSED' | 'ERR_MEDIA_INVALID_OPTION' | 'ERR_MEDIA_PORTS_EXHAUSTED' | 'ERR_MEDIA_FRAME_SIZE';

/** An operation was refused: the object is closed, an option is invalid or a resource ran out. */
export class MediaStateError extends Error {
  override readonly name = 'MediaStateError';
  /** Stable code; never reused for another meaning. */
  readonly code: MediaStateErrorCode;

  /** @param code - stable code @param message - human-readable detail */
  constructor(code: MediaStateErrorCode, message: string) {
    super(`${message} [code:${code}]`);
    this.code = code;
  }
}
