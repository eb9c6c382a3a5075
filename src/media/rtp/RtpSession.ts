import { type RemoteInfo } from 'node:dgram';
import { type Logger } from '../../log/index.js';
import { MediaPacketError, MediaStateError } from '../errors.js';
import { EnhancedEventEmitter } from '../EnhancedEventEmitter.js';
import { ntpFromUnixMs } from './ntp.js';
import { parseRtcp, serializeRtcp } from './RtcpPacket.js';
import { type RtcpPacket, SdesItemType } from './RtcpTypes.js';
import { isRtcpPacket, parseRtp, type RtpPacket, serializePlainRtp, serializeRtp } from './RtpPacket.js';
import {
  type RtpSessionEvents,
  type RtpSessionOptions,
  type RtpSessionStats,
  type TransportAddress,
} from './RtpSessionTypes.js';
import { SequenceTracker } from './SequenceTracker.js';

/** Options of {@link RtpSession.sendPayload}. */
export interface SendPayloadOptions {
  /** Marker bit. @defaultValue false */
  marker?: boolean;
  /** Payload type. @defaultValue the session's */
  payloadType?: number;
  /** Timestamp to use instead of the running one (DTMF events reuse their start timestamp). */
  timestamp?: number;
  /** Timestamp units this packet advances the running timestamp by. @defaultValue payload length */
  duration?: number;
}

/**
 * One RTP stream pair (send and receive) on a bound RTP/RTCP socket pair: parses what arrives, latches
 * onto the peer for symmetric RTP, numbers and timestamps what we send, keeps reception statistics for
 * RTCP reports and watches for inactivity. Demultiplexes RTCP arriving on the RTP port (RFC 5761).
 *
 * Close cascade: `close()` → inactivity timer cleared → sockets released → `close` event. Idempotent.
 */
export class RtpSession extends EnhancedEventEmitter<RtpSessionEvents> {
  readonly #options: RtpSessionOptions;
  readonly #logger: Logger | undefined;
  readonly #ssrc: number;
  readonly #symmetric: boolean;
  #remoteRtp: TransportAddress | undefined;
  #remoteRtcp: TransportAddress | undefined;
  // Whether the peer's RTCP source has been seen (symmetric RTCP) and whether it arrived on the RTP port.
  #rtcpLatched = false;
  #rtcpMuxed = false;
  #latched: TransportAddress | undefined;
  #sequence: number;
  #timestamp: number;
  #remoteSsrc: number | undefined;
  #tracker: SequenceTracker;
  #lastReceiveMs = Date.now();
  #inactivityTimer: NodeJS.Timeout | undefined;
  #inactiveReported = false;
  #closed = false;
  readonly #stats: RtpSessionStats = {
    packetsReceived: 0,
    bytesReceived: 0,
    packetsSent: 0,
    bytesSent: 0,
    rtcpReceived: 0,
    malformed: 0,
    unlatchedDropped: 0,
  };

  /** @param options - sockets, peer, and stream parameters */
  constructor(options: RtpSessionOptions) {
    super();
    this.#options = options;
    this.#logger = options.logger;
    this.#ssrc = options.ssrc ?? (Math.random() * 0x100000000) >>> 0;
    this.#symmetric = options.symmetric ?? true;
    this.#sequence = (Math.random() * 0x10000) & 0xffff;
    this.#timestamp = (Math.random() * 0x100000000) >>> 0;
    this.#tracker = new SequenceTracker({ clockRate: options.clockRate ?? 8000 });
    if (options.remote !== undefined) {
      this.#remoteRtp = { address: options.remote.address, port: options.remote.port };
      this.#remoteRtcp = {
        address: options.remote.address,
        port: options.remote.rtcpPort ?? options.remote.port + 1,
      };
    }
    options.sockets.rtp.on('message', this.#onRtpSocket);
    options.sockets.rtcp.on('message', this.#onRtcpSocket);
    options.sockets.rtp.on('error', this.#onSocketError);
    options.sockets.rtcp.on('error', this.#onSocketError);
    this.#armInactivity();
  }

  /** Our SSRC. */
  get ssrc(): number {
    return this.#ssrc;
  }

  /** Local RTP port. */
  get localPort(): number {
    return this.#options.sockets.rtpPort;
  }

  /** Where RTP is being sent: the latched source, else the SDP address. */
  get remote(): TransportAddress | undefined {
    return this.#latched ?? this.#remoteRtp;
  }

  /** The latched source, once symmetric RTP has latched. */
  get latchedSource(): TransportAddress | undefined {
    return this.#latched;
  }

  /** Counters. */
  get stats(): RtpSessionStats {
    return { ...this.#stats };
  }

  /** Reception statistics of the peer's stream. */
  get receiveStatistics(): SequenceTracker {
    return this.#tracker;
  }

  /** Whether the session has been closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Updates the peer's SDP address (re-INVITE); a latched source stays until {@link relatch}. */
  setRemote(remote: TransportAddress & { rtcpPort?: number }): void {
    this.#remoteRtp = { address: remote.address, port: remote.port };
    this.#remoteRtcp = { address: remote.address, port: remote.rtcpPort ?? remote.port + 1 };
  }

  /** Forgets the latched sources so the next packets latch again (after a re-INVITE, say). */
  relatch(): void {
    this.#latched = undefined;
    this.#rtcpLatched = false;
  }

  /** Handles a datagram on the RTP socket. */
  readonly #onRtpSocket = (datagram: Buffer, rinfo: RemoteInfo): void => {
    if (isRtcpPacket(datagram)) {
      this.#handleRtcp(datagram, { address: rinfo.address, port: rinfo.port }, true);

      return;
    }
    let packet: RtpPacket;
    try {
      packet = parseRtp(datagram);
    } catch (error) {
      this.#countMalformed(error, { address: rinfo.address, port: rinfo.port });

      return;
    }
    // Once latched, every accepted packet comes from the latched source, so that object (the one the
    // `latched` event and `latchedSource` give) describes it: no new object per packet.
    let source = this.#latched;
    if (this.#symmetric && source !== undefined) {
      if (source.address !== rinfo.address || source.port !== rinfo.port) {
        this.#stats.unlatchedDropped += 1;

        return;
      }
    } else {
      source = { address: rinfo.address, port: rinfo.port };
      if (this.#symmetric) {
        this.#latched = source;
        this.#remoteRtcp ??= { address: source.address, port: source.port + 1 };
        this.#logger?.debug({ source }, 'RTP latched');
        this.safeEmit('latched', source);
      }
    }
    if (this.#remoteSsrc !== packet.ssrc) {
      // A new SSRC is a new stream: statistics start over.
      this.#remoteSsrc = packet.ssrc;
      this.#tracker = new SequenceTracker({ clockRate: this.#options.clockRate ?? 8000 });
    }
    const now = Date.now();
    this.#tracker.update(packet.sequenceNumber, packet.timestamp, performance.now());
    this.#lastReceiveMs = now;
    this.#inactiveReported = false;
    this.#stats.packetsReceived += 1;
    this.#stats.bytesReceived += packet.payload.length;
    this.safeEmit('rtp', packet, source);
  };

  /** Handles a datagram on the RTCP socket. */
  readonly #onRtcpSocket = (datagram: Buffer, rinfo: RemoteInfo): void => {
    this.#handleRtcp(datagram, { address: rinfo.address, port: rinfo.port }, false);
  };

  /**
   * Parses and emits RTCP. With symmetric RTP, our RTCP then goes back to where the peer's came from, on
   * the RTP socket if the peer multiplexes RTCP onto its RTP port (RFC 5761).
   */
  #handleRtcp(datagram: Buffer, source: TransportAddress, viaRtpSocket: boolean): void {
    let packets: RtcpPacket[];
    try {
      packets = parseRtcp(datagram);
    } catch (error) {
      this.#countMalformed(error, source);

      return;
    }
    if (this.#symmetric && this.#latched !== undefined && this.#latched.address !== source.address) {
      this.#stats.unlatchedDropped += 1;

      return;
    }
    if (this.#symmetric && !this.#rtcpLatched) {
      this.#rtcpLatched = true;
      this.#rtcpMuxed = viaRtpSocket;
      this.#remoteRtcp = source;
    }
    this.#stats.rtcpReceived += 1;
    this.safeEmit('rtcp', packets, source);
  }

  /** Counts a malformed datagram; anything but a parse error is a bug worth logging loudly. */
  #countMalformed(error: unknown, source: TransportAddress): void {
    this.#stats.malformed += 1;
    if (error instanceof MediaPacketError) {
      this.#logger?.debug({ source, code: error.code }, 'malformed media packet dropped');
    } else {
      this.#logger?.error({ err: error, source }, 'unexpected error parsing media packet');
    }
  }

  /** Logs socket errors (ICMP unreachable and the like); they never close the session. */
  readonly #onSocketError = (error: Error): void => {
    this.#logger?.warn({ err: error }, 'RTP socket error');
  };

  /** Arms (or re-arms) the inactivity check. */
  #armInactivity(): void {
    const timeout = this.#options.inactivityTimeoutMs ?? 0;
    if (timeout <= 0 || this.#closed) {
      return;
    }
    const remaining = Math.max(1, this.#lastReceiveMs + timeout - Date.now());
    this.#inactivityTimer = setTimeout(() => {
      this.#inactivityTimer = undefined;
      if (this.#closed) {
        return;
      }
      if (!this.#inactiveReported && Date.now() - this.#lastReceiveMs >= timeout) {
        this.#inactiveReported = true;
        this.safeEmit('inactive');
      }
      this.#armInactivity();
    }, remaining);
    this.#inactivityTimer.unref();
  }

  /**
   * Sends one payload with the next sequence number and the running timestamp, which then advances by
   * `duration` (default: one timestamp unit per payload byte, right for G.711).
   */
  sendPayload(payload: Buffer, options: SendPayloadOptions = {}): void {
    // The fields are taken before the running sequence number and timestamp move on.
    const sequenceNumber = this.#sequence;
    const timestamp = options.timestamp ?? this.#timestamp;
    this.#advance(options.duration ?? payload.length);
    const destination = this.#destination();
    if (destination !== undefined) {
      const datagram = serializePlainRtp(
        options.payloadType ?? this.#options.payloadType ?? 0,
        sequenceNumber,
        timestamp,
        this.#ssrc,
        options.marker ?? false,
        payload,
      );
      this.#transmit(datagram, payload.length, destination);
    }
  }

  /** Moves the running sequence number on by one and the timestamp by `duration`. */
  #advance(duration: number): void {
    this.#sequence = (this.#sequence + 1) & 0xffff;
    this.#timestamp = (this.#timestamp + duration) >>> 0;
  }

  /**
   * Advances the running timestamp by `duration` without sending: a frame not sent during silence
   * suppression still takes its place in the media timeline (RFC 3550 section 5.1).
   */
  skipTimestamp(duration: number): void {
    this.#timestamp = (this.#timestamp + duration) >>> 0;
  }

  /** The timestamp the next {@link sendPayload} will use. */
  get nextTimestamp(): number {
    return this.#timestamp;
  }

  /** Sends a fully built packet as is; dropped silently when no destination is known yet. */
  sendPacket(packet: RtpPacket): void {
    const destination = this.#destination();
    if (destination !== undefined) {
      this.#transmit(serializeRtp(packet), packet.payload.length, destination);
    }
  }

  /** Where RTP goes now: throws once closed, undefined while no destination is known. */
  #destination(): TransportAddress | undefined {
    if (this.#closed) {
      throw new MediaStateError('ERR_MEDIA_CLOSED', 'RTP session is closed');
    }

    return this.remote;
  }

  /** Sends a serialized RTP packet and counts it. */
  #transmit(datagram: Buffer, payloadBytes: number, destination: TransportAddress): void {
    this.#stats.packetsSent += 1;
    this.#stats.bytesSent += payloadBytes;
    this.#options.sockets.rtp.send(datagram, destination.port, destination.address);
  }

  /** Sends a compound RTCP packet to the peer's RTCP address, if known. */
  sendRtcp(packets: RtcpPacket[]): void {
    if (this.#closed) {
      throw new MediaStateError('ERR_MEDIA_CLOSED', 'RTP session is closed');
    }
    const destination = this.#remoteRtcp;
    if (destination !== undefined) {
      const socket = this.#rtcpMuxed ? this.#options.sockets.rtp : this.#options.sockets.rtcp;
      socket.send(serializeRtcp(packets), destination.port, destination.address);
    }
  }

  /** Builds our periodic report: an SR if we have sent anything (else an RR) plus SDES CNAME. */
  buildReport(): RtcpPacket[] {
    const reports = this.#remoteSsrc === undefined ? [] : [this.#tracker.reportBlock(this.#remoteSsrc)];
    const ntp = ntpFromUnixMs(Date.now());
    const report: RtcpPacket =
      this.#stats.packetsSent > 0
        ? {
            type: 'sr',
            ssrc: this.#ssrc,
            ntpSeconds: ntp.seconds,
            ntpFraction: ntp.fraction,
            rtpTimestamp: this.#timestamp,
            packetCount: this.#stats.packetsSent >>> 0,
            octetCount: this.#stats.bytesSent >>> 0,
            reports,
            profileExtension: Buffer.alloc(0),
            paddingSize: 0,
          }
        : { type: 'rr', ssrc: this.#ssrc, reports, profileExtension: Buffer.alloc(0), paddingSize: 0 };
    const cname = this.#options.cname ?? `confab-${this.#ssrc.toString(16)}`;

    return [
      report,
      {
        type: 'sdes',
        chunks: [{ ssrc: this.#ssrc, items: [{ type: SdesItemType.CNAME, text: cname }] }],
        paddingSize: 0,
      },
    ];
  }

  /** Sends a BYE (when a destination is known), stops timers, releases the ports; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    if (this.#remoteRtcp !== undefined) {
      try {
        this.sendRtcp([
          ...this.buildReport(),
          { type: 'bye', ssrcs: [this.#ssrc], reason: undefined, paddingSize: 0 },
        ]);
      } catch (error) {
        this.#logger?.debug({ err: error }, 'RTCP BYE not sent');
      }
    }
    this.#closed = true;
    if (this.#inactivityTimer !== undefined) {
      clearTimeout(this.#inactivityTimer);
      this.#inactivityTimer = undefined;
    }
    this.#options.sockets.rtp.off('message', this.#onRtpSocket);
    this.#options.sockets.rtcp.off('message', this.#onRtcpSocket);
    await this.#options.sockets.release();
    this.safeEmit('close');
  }
}
