import { MediaPacketError } from '../errors.js';

/*
 * RTP fixed header, RFC 3550 section 5.1:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                           timestamp                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           synchronization source (SSRC) identifier            |
 *  +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *  |            contributing source (CSRC) identifiers             |
 *  |                             ....                              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Header extension (X=1), RFC 3550 section 5.3.1, follows the CSRC list:
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      defined by profile       |           length              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                        header extension                       |
 *  |                             ....                              |
 *
 * `length` counts 32-bit words after the 4-byte extension header. With P=1 the last payload byte holds the
 * number of padding bytes (itself included) to strip from the end.
 */

/** The only RTP version in use. */
export const RTP_VERSION = 2;
/** Size of the fixed header, without CSRCs or extension. */
export const RTP_FIXED_HEADER_SIZE = 12;

/** The raw header extension block: the 16-bit profile value and the extension words that follow it. */
export interface RtpExtensionBlock {
  /** The 16-bit "defined by profile" value (0xBEDE for RFC 8285 one-byte, 0x100X for two-byte elements). */
  profile: number;
  /** The extension data, a multiple of 4 bytes long (possibly empty). */
  data: Buffer;
}

/** A parsed RTP packet. `payload` is a view into the datagram (no copy) when produced by {@link parseRtp}. */
export interface RtpPacket {
  /** Marker bit; for audio it flags the first packet of a talk spurt (and the start of a DTMF event). */
  marker: boolean;
  /** Payload type, 0..127. */
  payloadType: number;
  /** Sequence number, 0..65535. */
  sequenceNumber: number;
  /** Media timestamp, 0..2^32-1, in units of the payload's clock rate. */
  timestamp: number;
  /** Synchronisation source, 0..2^32-1. */
  ssrc: number;
  /** Contributing sources, at most 15. */
  csrcs: number[];
  /** Header extension block, when the X bit is set. */
  extension: RtpExtensionBlock | undefined;
  /** The payload, without padding. */
  payload: Buffer;
  /** Number of padding bytes (including the count byte) after the payload; 0 when P is clear. */
  paddingSize: number;
}

/** Fields a caller must give to build a packet; the rest default to "none". */
export type RtpPacketInit = Pick<
  RtpPacket,
  'payloadType' | 'sequenceNumber' | 'timestamp' | 'ssrc' | 'payload'
> &
  Partial<Pick<RtpPacket, 'marker' | 'csrcs' | 'extension' | 'paddingSize'>>;

/** Builds a full {@link RtpPacket} from the required fields, defaulting marker, CSRCs, extension and padding. */
export function createRtpPacket(init: RtpPacketInit): RtpPacket {
  return {
    marker: init.marker ?? false,
    payloadType: init.payloadType,
    sequenceNumber: init.sequenceNumber,
    timestamp: init.timestamp,
    ssrc: init.ssrc,
    csrcs: init.csrcs ?? [],
    extension: init.extension,
    payload: init.payload,
    paddingSize: init.paddingSize ?? 0,
  };
}

/**
 * Tells RTP from RTCP on a multiplexed port (RFC 5761 section 4): RTCP packet types 192..223 occupy the
 * second byte where RTP would carry marker + payload type 64..95.
 */
export function isRtcpPacket(datagram: Buffer): boolean {
  if (datagram.length < 2) {
    return false;
  }
  const second = datagram[1] ?? 0;

  return second >= 192 && second <= 223;
}

/**
 * Parses one RTP datagram. Never throws anything but {@link MediaPacketError} for malformed input; the
 * payload and extension data are views into `datagram`.
 */
export function parseRtp(datagram: Buffer): RtpPacket {
  if (datagram.length < RTP_FIXED_HEADER_SIZE) {
    throw new MediaPacketError(
      'ERR_RTP_TRUNCATED',
      `RTP packet shorter than 12 bytes (${datagram.length})`,
      0,
    );
  }
  const first = datagram.readUInt8(0);
  const version = first >> 6;
  if (version !== RTP_VERSION) {
    throw new MediaPacketError('ERR_RTP_VERSION', `RTP version ${version} is not 2`, 0);
  }
  const hasPadding = (first & 0x20) !== 0;
  const hasExtension = (first & 0x10) !== 0;
  const csrcCount = first & 0x0f;
  const second = datagram.readUInt8(1);

  let offset = RTP_FIXED_HEADER_SIZE;
  if (datagram.length < offset + csrcCount * 4) {
    throw new MediaPacketError('ERR_RTP_TRUNCATED', `CSRC list of ${csrcCount} entries is truncated`, offset);
  }
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) {
    csrcs.push(datagram.readUInt32BE(offset));
    offset += 4;
  }

  let extension: RtpExtensionBlock | undefined;
  if (hasExtension) {
    if (datagram.length < offset + 4) {
      throw new MediaPacketError('ERR_RTP_EXTENSION', 'header extension header is truncated', offset);
    }
    const profile = datagram.readUInt16BE(offset);
    const words = datagram.readUInt16BE(offset + 2);
    const end = offset + 4 + words * 4;
    if (datagram.length < end) {
      throw new MediaPacketError(
        'ERR_RTP_EXTENSION',
        `header extension of ${words} words is truncated`,
        offset,
      );
    }
    extension = { profile, data: datagram.subarray(offset + 4, end) };
    offset = end;
  }

  let paddingSize = 0;
  if (hasPadding) {
    if (datagram.length === offset) {
      throw new MediaPacketError('ERR_RTP_PADDING', 'padding bit set but no padding count byte', offset);
    }
    paddingSize = datagram.readUInt8(datagram.length - 1);
    if (paddingSize === 0 || offset + paddingSize > datagram.length) {
      throw new MediaPacketError(
        'ERR_RTP_PADDING',
        `invalid padding count ${paddingSize}`,
        datagram.length - 1,
      );
    }
  }

  return {
    marker: (second & 0x80) !== 0,
    payloadType: second & 0x7f,
    sequenceNumber: datagram.readUInt16BE(2),
    timestamp: datagram.readUInt32BE(4),
    ssrc: datagram.readUInt32BE(8),
    csrcs,
    extension,
    payload: datagram.subarray(offset, datagram.length - paddingSize),
    paddingSize,
  };
}

/** Checks that `value` is an integer in [0, max]; throws a {@link MediaPacketError} naming `field` otherwise. */
function checkRange(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new MediaPacketError('ERR_RTP_FIELD_RANGE', `${field} ${value} is outside 0..${max}`);
  }
}

/** Total encoded size of `packet` in bytes. */
export function rtpPacketSize(packet: RtpPacket): number {
  const extensionSize = packet.extension === undefined ? 0 : 4 + packet.extension.data.length;

  return (
    RTP_FIXED_HEADER_SIZE +
    packet.csrcs.length * 4 +
    extensionSize +
    packet.payload.length +
    packet.paddingSize
  );
}

/**
 * Writes the 12-byte fixed header at `offset`; `flags` holds the padding and extension bits and the CSRC
 * count of the first byte.
 */
function writeFixedHeader(
  out: Buffer,
  offset: number,
  flags: number,
  marker: boolean,
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
): void {
  out[offset] = (RTP_VERSION << 6) | flags;
  out[offset + 1] = (marker ? 0x80 : 0) | payloadType;
  out.writeUInt16BE(sequenceNumber, offset + 2);
  out.writeUInt32BE(timestamp, offset + 4);
  out.writeUInt32BE(ssrc, offset + 8);
}

/**
 * Serializes a packet that has only the fixed header (no CSRCs, extension or padding), the kind confab
 * sends every frame, from its fields: the bytes {@link serializeRtp} gives for it, with the same checks,
 * and no packet object built per frame.
 */
export function serializePlainRtp(
  payloadType: number,
  sequenceNumber: number,
  timestamp: number,
  ssrc: number,
  marker: boolean,
  payload: Buffer,
): Buffer {
  checkRange('payload type', payloadType, 0x7f);
  checkRange('sequence number', sequenceNumber, 0xffff);
  checkRange('timestamp', timestamp, 0xffffffff);
  checkRange('SSRC', ssrc, 0xffffffff);
  const out = Buffer.allocUnsafe(RTP_FIXED_HEADER_SIZE + payload.length);
  writeFixedHeader(out, 0, 0, marker, payloadType, sequenceNumber, timestamp, ssrc);
  payload.copy(out, RTP_FIXED_HEADER_SIZE);

  return out;
}

/**
 * Serialises `packet` into `target` at `offset` (or into a new Buffer) and returns the bytes written as a
 * view. Padding bytes are written as zeros followed by the count. Throws {@link MediaPacketError} for
 * out-of-range fields.
 */
export function serializeRtp(packet: RtpPacket, target?: Buffer, offset = 0): Buffer {
  checkRange('payload type', packet.payloadType, 0x7f);
  checkRange('sequence number', packet.sequenceNumber, 0xffff);
  checkRange('timestamp', packet.timestamp, 0xffffffff);
  checkRange('SSRC', packet.ssrc, 0xffffffff);
  checkRange('CSRC count', packet.csrcs.length, 15);
  checkRange('padding size', packet.paddingSize, 0xff);
  if (packet.extension !== undefined) {
    checkRange('extension profile', packet.extension.profile, 0xffff);
    if (packet.extension.data.length % 4 !== 0 || packet.extension.data.length > 0xffff * 4) {
      throw new MediaPacketError('ERR_RTP_EXTENSION', 'extension data must be a multiple of 4 bytes long');
    }
  }
  const size = rtpPacketSize(packet);
  const out = target ?? Buffer.allocUnsafe(size);
  if (out.length < offset + size) {
    throw new MediaPacketError('ERR_RTP_FIELD_RANGE', `target buffer too small for ${size} bytes`);
  }
  const hasPadding = packet.paddingSize > 0;
  writeFixedHeader(
    out,
    offset,
    (hasPadding ? 0x20 : 0) | (packet.extension ? 0x10 : 0) | packet.csrcs.length,
    packet.marker,
    packet.payloadType,
    packet.sequenceNumber,
    packet.timestamp,
    packet.ssrc,
  );
  let at = offset + RTP_FIXED_HEADER_SIZE;
  for (const csrc of packet.csrcs) {
    checkRange('CSRC', csrc, 0xffffffff);
    out.writeUInt32BE(csrc, at);
    at += 4;
  }
  if (packet.extension !== undefined) {
    out.writeUInt16BE(packet.extension.profile, at);
    out.writeUInt16BE(packet.extension.data.length / 4, at + 2);
    packet.extension.data.copy(out, at + 4);
    at += 4 + packet.extension.data.length;
  }
  packet.payload.copy(out, at);
  at += packet.payload.length;
  if (hasPadding) {
    out.fill(0, at, at + packet.paddingSize - 1);
    out.writeUInt8(packet.paddingSize, at + packet.paddingSize - 1);
    at += packet.paddingSize;
  }

  return out.subarray(offset, at);
}
