import { type Logger } from '../../log/index.js';
import {
  type AudioCodec,
  type JitterBufferOptions,
  type JitterBufferStats,
  type RtpSession,
} from '../../media/index.js';

/** Options of `RtpLegMedia`. */
export interface RtpLegMediaOptions {
  /** Leg identifier: used in logs and as the participant id on the conversation audio bus. */
  id: string;
  /** The phone side's RTP session; it belongs to the call owner, who closes it. */
  session: RtpSession;
  /**
   * The negotiated audio codec (`PCMU` or `PCMA` at 8 kHz, or an opus instance at 48 kHz of this leg's own:
   * opus codecs keep state and are never shared).
   */
  codec: AudioCodec;
  /**
   * Negotiated payload type of the audio codec.
   * @defaultValue the codec's static payload type (0 for PCMU, 8 for PCMA)
   */
  payloadType?: number;
  /** Negotiated RFC 4733 telephone-event payload type (101, say); omit when none was negotiated. */
  telephoneEventPayloadType?: number;
  /**
   * Jitter buffer bounds for the incoming stream (see `JitterBuffer`); `false` forwards each packet on the
   * next tick with no reordering or prebuffering (lowest delay, for clean networks).
   * @defaultValue `{ minDelayMs: 20, maxDelayMs: 100, initialDelayMs: 20 }`
   */
  jitterBuffer?: JitterBufferOptions | false;
  /**
   * No RTP from the peer for this long raises `inactive` (config `media.rtpTimeoutSeconds` × 1000); 0
   * disables the check.
   * @defaultValue 30000
   */
  inactivityTimeoutMs?: number;
  /**
   * After this long of digital silence to send, only one packet a second goes out until sound returns
   * (its first packet carries the marker bit); 0 always sends every frame.
   * @defaultValue 500
   */
  silenceSuppressionAfterMs?: number;
  /**
   * Interval between our RTCP reports (sender reports once we have sent media), counted in clock ticks;
   * 0 disables them.
   * @defaultValue 5000
   */
  rtcpIntervalMs?: number;
  /**
   * Default length of a DTMF digit sent by `sendDtmf`.
   * @defaultValue 100
   */
  dtmfDurationMs?: number;
  /** Logger; a child bound to the leg id is derived from it. */
  logger?: Logger;
}

/** Payload of the `dtmf` event: one complete RFC 4733 digit from the phone. */
export interface RtpDtmfInfo {
  /** The character: 0-9, *, #, A-D ('!' for a flash). */
  digit: string;
  /** How long the key was held, in milliseconds. */
  durationMs: number;
}

/** Why the leg's media went inactive. */
export type RtpInactiveReason = 'rtp-timeout';

/** Payload of the `inactive` event. */
export interface RtpInactiveInfo {
  /** Why: no RTP for `inactivityTimeoutMs`. */
  reason: RtpInactiveReason;
  /** Milliseconds since the last packet (or since the leg was attached, when none ever came). */
  silentMs: number;
  /** Whether any RTP was ever received. */
  everReceived: boolean;
}

/** Events of `RtpLegMedia`. */
export interface RtpLegMediaEvents extends Record<string, unknown[]> {
  /** The phone sent a DTMF digit (telephone-event). */
  dtmf: [RtpDtmfInfo];
  /** No RTP arrived for `inactivityTimeoutMs`; emitted once per silent stretch. The owner ends the leg. */
  inactive: [RtpInactiveInfo];
  /** The leg media closed (left the bus, stopped); emitted once. */
  close: [];
  /** A listener threw. */
  listenererror: [string, unknown];
}

/** Counters of an `RtpLegMedia`. */
export interface RtpLegMediaStats {
  /** Audio RTP packets received from the peer. */
  packetsIn: number;
  /** RTP packets sent (audio and telephone-event). */
  packetsOut: number;
  /** Audio packets due but never received (without a jitter buffer: dropped for want of room). */
  lost: number;
  /** Audio packets that arrived after their turn and were dropped. */
  late: number;
  /** Duplicate audio packets dropped. */
  duplicates: number;
  /** Packets dropped by the session because they came from a source other than the latched peer. */
  droppedForeignSource: number;
  /** Packets with a payload type that was not negotiated. */
  unknownPayloadType: number;
  /** Datagrams the session could not parse, plus audio payloads the codec could not decode. */
  malformed: number;
  /** DTMF digits received. */
  dtmfReceived: number;
  /** DTMF digits fully sent. */
  dtmfSent: number;
  /** RTCP reports sent. */
  rtcpSent: number;
  /** Frames of silence not sent (silence suppression). */
  suppressed: number;
  /** Jitter buffer state (undefined when it is disabled). */
  jitter: JitterBufferStats | undefined;
}
