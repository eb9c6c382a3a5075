import { MediaStateError } from '../errors.js';
import { dtmfEventCode, serializeTelephoneEvent } from './TelephoneEvent.js';

/** Options of {@link DtmfSender}. */
export interface DtmfSenderOptions {
  /**
   * RTP clock rate of the telephone-event payload type (normally that of the audio codec).
   * @defaultValue 8000
   */
  clockRate?: number;
  /**
   * Interval between packets of one event; the sender is pulled once per interval.
   * @defaultValue 20
   */
  packetIntervalMs?: number;
  /**
   * Power level in −dBm0 written into every packet.
   * @defaultValue 10
   */
  volume?: number;
  /**
   * How many times the final (E bit) packet is sent (RFC 4733 section 2.5.1.4 recommends three).
   * @defaultValue 3
   */
  endPacketCount?: number;
  /**
   * Default tone duration.
   * @defaultValue 100
   */
  durationMs?: number;
  /**
   * Pause between queued digits, during which {@link DtmfSender.pull} returns undefined (audio resumes).
   * @defaultValue 50
   */
  gapMs?: number;
}

/** One telephone-event packet to send; the caller adds sequence number, SSRC and payload type. */
export interface DtmfPacket {
  /** Set on the first packet of an event only. */
  marker: boolean;
  /** RTP timestamp: the event's start, identical for every packet of the event. */
  timestamp: number;
  /** The 4-byte telephone-event payload. */
  payload: Buffer;
  /** The character being sent. */
  digit: string;
  /** Whether this is one of the final E-bit packets. */
  end: boolean;
}

/** A digit waiting in the queue. */
interface QueuedDigit {
  digit: string;
  event: number;
  duration: number;
}

/** The digit being sent. */
interface SendingDigit extends QueuedDigit {
  startTimestamp: number;
  sentPackets: number;
  endsSent: number;
}

/**
 * Produces RFC 4733 telephone-event packets for queued digits, one per call to {@link pull}, which the
 * owner makes once per packet interval on the media clock with the stream's current RTP timestamp.
 *
 * For each digit: the first packet has the marker bit; every packet carries the timestamp of the
 * digit's start and a growing duration; the last update is sent `endPacketCount` times with the E bit
 * and the full duration. Between digits `pull` returns undefined for `gapMs` so audio (or silence) flows.
 */
export class DtmfSender {
  readonly #clockRate: number;
  readonly #interval: number;
  readonly #volume: number;
  readonly #endPacketCount: number;
  readonly #defaultDurationMs: number;
  readonly #gapPulls: number;
  readonly #queue: QueuedDigit[] = [];
  #current: SendingDigit | undefined;
  #gapRemaining = 0;

  /** @param options - clock rate, cadence and tone shape */
  constructor(options: DtmfSenderOptions = {}) {
    this.#clockRate = options.clockRate ?? 8000;
    const intervalMs = options.packetIntervalMs ?? 20;
    this.#interval = Math.round((this.#clockRate * intervalMs) / 1000);
    this.#volume = options.volume ?? 10;
    this.#endPacketCount = options.endPacketCount ?? 3;
    this.#defaultDurationMs = options.durationMs ?? 100;
    this.#gapPulls = Math.ceil((options.gapMs ?? 50) / intervalMs);
    if (this.#interval <= 0 || this.#endPacketCount < 1 || this.#volume < 0 || this.#volume > 63) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'invalid DTMF sender options');
    }
  }

  /** Whether a digit is being sent or waiting (including the gap after a digit). */
  get busy(): boolean {
    return this.#current !== undefined || this.#queue.length > 0 || this.#gapRemaining > 0;
  }

  /**
   * Queues `digits` (any of 0-9 * # A-D, '!' for flash), each lasting `durationMs` (40 ms minimum,
   * 8 s maximum so one segment suffices). Throws on an invalid character before queueing anything.
   */
  send(digits: string, durationMs = this.#defaultDurationMs): void {
    const duration = Math.round((Math.min(8000, Math.max(40, durationMs)) * this.#clockRate) / 1000);
    const parsed = [...digits].map((digit) => ({ digit, event: dtmfEventCode(digit), duration }));
    this.#queue.push(...parsed);
  }

  /** Drops queued digits; a digit already started is still ended properly. Returns how many were dropped. */
  clear(): number {
    const dropped = this.#queue.length;
    this.#queue.length = 0;

    return dropped;
  }

  /**
   * Returns the packet to send in this interval, or undefined when no event is in progress. `timestamp`
   * is the RTP timestamp the stream would give an audio packet sent now.
   */
  pull(timestamp: number): DtmfPacket | undefined {
    let current = this.#current;
    if (current === undefined) {
      if (this.#gapRemaining > 0) {
        this.#gapRemaining -= 1;

        return undefined;
      }
      const next = this.#queue.shift();
      if (next === undefined) {
        return undefined;
      }
      current = { ...next, startTimestamp: timestamp >>> 0, sentPackets: 0, endsSent: 0 };
      this.#current = current;
    }
    current.sentPackets += 1;
    const duration = Math.min(current.duration, current.sentPackets * this.#interval);
    const end = duration >= current.duration;
    if (end) {
      current.endsSent += 1;
      if (current.endsSent >= this.#endPacketCount) {
        this.#current = undefined;
        this.#gapRemaining = this.#gapPulls;
      }
    }

    return {
      marker: current.sentPackets === 1,
      timestamp: current.startTimestamp,
      payload: serializeTelephoneEvent({ event: current.event, end, volume: this.#volume, duration }),
      digit: current.digit,
      end,
    };
  }
}
