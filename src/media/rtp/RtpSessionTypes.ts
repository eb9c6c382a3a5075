import { type Logger } from '../../log/index.js';
import { type RtpSocketPair } from './PortAllocator.js';
import { type RtcpPacket } from './RtcpTypes.js';
import { type RtpPacket } from './RtpPacket.js';

/** A UDP transport address. */
export interface TransportAddress {
  /** IP address. */
  address: string;
  /** UDP port. */
  port: number;
}

/** Options of {@link RtpSession}. */
export interface RtpSessionOptions {
  /** The bound sockets (from `PortAllocator.allocate()`); the session releases them on close. */
  sockets: RtpSocketPair;
  /** Where the peer said (in SDP) it receives RTP; RTCP defaults to port + 1. */
  remote?: TransportAddress & { rtcpPort?: number };
  /**
   * Symmetric RTP (RFC 4961 style, "comedia"): latch onto the source of the first valid RTP packet, send
   * there from then on, and drop packets from any other source.
   * @defaultValue true
   */
  symmetric?: boolean;
  /** RTP clock rate of the main payload type (timestamps, jitter). @defaultValue 8000 */
  clockRate?: number;
  /** Default payload type for {@link RtpSession.sendPayload}. @defaultValue 0 (PCMU) */
  payloadType?: number;
  /** Our SSRC. @defaultValue random */
  ssrc?: number;
  /** CNAME written in our RTCP SDES. @defaultValue `confab-<ssrc>` */
  cname?: string;
  /**
   * Call `inactive` after this long without any RTP from the peer; 0 disables it.
   * @defaultValue 0
   */
  inactivityTimeoutMs?: number;
  /** Logger (a child bound to the leg, typically). */
  logger?: Logger;
}

/** Counters of an {@link RtpSession}. */
export interface RtpSessionStats {
  /** RTP packets accepted. */
  packetsReceived: number;
  /** RTP payload bytes accepted. */
  bytesReceived: number;
  /** RTP packets sent. */
  packetsSent: number;
  /** RTP payload bytes sent. */
  bytesSent: number;
  /** RTCP compound packets received. */
  rtcpReceived: number;
  /** Datagrams that failed to parse. */
  malformed: number;
  /** Packets dropped because they came from a source other than the latched one. */
  unlatchedDropped: number;
}

/** Events of {@link RtpSession}. */
export interface RtpSessionEvents extends Record<string, unknown[]> {
  /** An RTP packet from the (latched) peer. */
  rtp: [RtpPacket, TransportAddress];
  /** A compound RTCP packet from the peer. */
  rtcp: [RtcpPacket[], TransportAddress];
  /** Symmetric RTP latched onto this source. */
  latched: [TransportAddress];
  /** No RTP for `inactivityTimeoutMs`; emitted once per silent stretch. */
  inactive: [];
  /** The session closed and released its ports. */
  close: [];
  /** A listener threw. */
  listenererror: [string, unknown];
}
