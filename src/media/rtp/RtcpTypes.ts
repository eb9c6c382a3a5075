/*
 * RTCP packet shapes, RFC 3550 section 6. Every RTCP packet starts with the same 4-byte header:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |V=2|P|  count  |      PT       |             length            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * `length` is the packet size in 32-bit words minus one; `count` is the report, source or chunk count.
 * Several packets are stacked into one compound datagram (section 6.1).
 */

/** RTCP packet type numbers (RFC 3550 section 12.1). */
export const RtcpPacketType = {
  SR: 200,
  RR: 201,
  SDES: 202,
  BYE: 203,
  APP: 204,
} as const;

/** SDES item types (RFC 3550 section 12.2). */
export const SdesItemType = {
  END: 0,
  CNAME: 1,
  NAME: 2,
  EMAIL: 3,
  PHONE: 4,
  LOC: 5,
  TOOL: 6,
  NOTE: 7,
  PRIV: 8,
} as const;

/**
 * One reception report block (24 bytes), carried in SR and RR:
 *
 *  +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *  |                 SSRC_n (SSRC of source n)                     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | fraction lost |       cumulative number of packets lost       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           extended highest sequence number received           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                      interarrival jitter                      |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                         last SR (LSR)                         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                   delay since last SR (DLSR)                  |
 *  +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 */
export interface RtcpReportBlock {
  /** The source this block reports on. */
  ssrc: number;
  /** Fraction of packets lost since the previous report, as a fixed-point number with the binary point at the left (0..255). */
  fractionLost: number;
  /** Cumulative packets lost, a signed 24-bit value (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles in the upper 16 bits). */
  highestSequence: number;
  /** Interarrival jitter estimate in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from the source, 0 if none. */
  lastSenderReport: number;
  /** Delay since that SR in units of 1/65536 s, 0 if none. */
  delaySinceLastSenderReport: number;
}

/** Fields shared by every RTCP packet. */
interface RtcpCommon {
  /** Padding bytes (count byte included) at the end of this packet; normally only on the last of a compound. */
  paddingSize: number;
}

/**
 * Sender report (PT=200): the header, the sender's SSRC, a 20-byte sender-info section, report blocks and
 * optional profile-specific extension words:
 *
 *  |V=2|P|    RC   |   PT=SR=200   |             length            |
 *  |                         SSRC of sender                        |
 *  |              NTP timestamp, most significant word             |
 *  |             NTP timestamp, least significant word             |
 *  |                         RTP timestamp                         |
 *  |                     sender's packet count                     |
 *  |                      sender's octet count                     |
 *  |                  report blocks (RC x 24 bytes)                |
 *  |                  profile-specific extensions                  |
 */
export interface RtcpSenderReport extends RtcpCommon {
  /** Discriminant. */
  type: 'sr';
  /** SSRC of the sender. */
  ssrc: number;
  /** Whole seconds since 1900-01-01 (NTP era 0). */
  ntpSeconds: number;
  /** Fraction of a second in units of 2^-32 s. */
  ntpFraction: number;
  /** RTP timestamp corresponding to the NTP time. */
  rtpTimestamp: number;
  /** Packets sent since the start of transmission. */
  packetCount: number;
  /** Payload octets sent since the start of transmission. */
  octetCount: number;
  /** Reception reports, at most 31. */
  reports: RtcpReportBlock[];
  /** Profile-specific extension words (a multiple of 4 bytes, usually empty). */
  profileExtension: Buffer;
}

/**
 * Receiver report (PT=201): like an SR without the sender-info section.
 *
 *  |V=2|P|    RC   |   PT=RR=201   |             length            |
 *  |                     SSRC of packet sender                     |
 *  |                  report blocks (RC x 24 bytes)                |
 *  |                  profile-specific extensions                  |
 */
export interface RtcpReceiverReport extends RtcpCommon {
  /** Discriminant. */
  type: 'rr';
  /** SSRC of the packet's sender. */
  ssrc: number;
  /** Reception reports, at most 31. */
  reports: RtcpReportBlock[];
  /** Profile-specific extension words (a multiple of 4 bytes, usually empty). */
  profileExtension: Buffer;
}

/** One SDES item: a type octet, a length octet and UTF-8 text. */
export interface SdesItem {
  /** Item type, see {@link SdesItemType}. */
  type: number;
  /** Item text (at most 255 UTF-8 bytes). */
  text: string;
}

/** One SDES chunk: an SSRC/CSRC and its items. */
export interface SdesChunk {
  /** The source described. */
  ssrc: number;
  /** The items describing it; CNAME is mandatory in practice. */
  items: SdesItem[];
}

/**
 * Source description (PT=202). Each chunk is an SSRC followed by items and ended by one to four zero
 * octets so the next chunk starts on a 32-bit boundary:
 *
 *  |V=2|P|    SC   |  PT=SDES=202  |             length            |
 *  |                          SSRC/CSRC_1                          |
 *  |    CNAME=1    |     length    | user and domain name        ...
 *  |                          SDES items ...                       |
 */
export interface RtcpSourceDescription extends RtcpCommon {
  /** Discriminant. */
  type: 'sdes';
  /** The chunks, at most 31. */
  chunks: SdesChunk[];
}

/**
 * Goodbye (PT=203): the departing sources and an optional reason, length-prefixed and zero-padded:
 *
 *  |V=2|P|    SC   |   PT=BYE=203  |             length            |
 *  |                           SSRC/CSRC                           |
 *  |     length    |               reason for leaving            ...
 */
export interface RtcpGoodbye extends RtcpCommon {
  /** Discriminant. */
  type: 'bye';
  /** Sources leaving, at most 31. */
  ssrcs: number[];
  /** Optional reason text. */
  reason: string | undefined;
}

/** Any other RTCP packet (APP, XR, feedback...): kept as raw body so it survives a round trip. */
export interface RtcpOtherPacket extends RtcpCommon {
  /** Discriminant. */
  type: 'other';
  /** The packet type number. */
  packetType: number;
  /** The 5-bit count/format field. */
  count: number;
  /** Everything after the 4-byte header, without padding. */
  body: Buffer;
}

/** One packet of a compound RTCP datagram. */
export type RtcpPacket =
  RtcpSenderReport | RtcpReceiverReport | RtcpSourceDescription | RtcpGoodbye | RtcpOtherPacket;
