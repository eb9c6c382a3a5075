import { EnhancedEventEmitter } from '../EnhancedEventEmitter.js';
import { dtmfCharacter, parseTelephoneEvent } from './TelephoneEvent.js';

/** A complete DTMF digit (or other telephone event) reported by {@link DtmfReceiver}. */
export interface DtmfDigit {
  /** The character ('0'-'9', '*', '#', 'A'-'D', '!' for flash), or undefined for a non-DTMF event code. */
  digit: string | undefined;
  /** The RFC 4733 event code. */
  event: number;
  /** RTP timestamp of the event's start. */
  timestamp: number;
  /** Duration in RTP timestamp units (summed over segments for very long events). */
  duration: number;
  /** Duration in milliseconds. */
  durationMs: number;
  /** Power level in −dBm0 of the last packet. */
  volume: number;
  /** Whether an end packet was received (false when the event was closed by a timeout or a newer event). */
  endReceived: boolean;
}

/** Events of {@link DtmfReceiver}. */
export interface DtmfReceiverEvents extends Record<string, unknown[]> {
  /** A new event began (first packet seen); useful for barge-in before the digit completes. */
  start: [{ digit: string | undefined; event: number; timestamp: number }];
  /** An event completed; emitted exactly once per event. */
  digit: [DtmfDigit];
  /** A listener threw. */
  listenererror: [string, unknown];
}

/** The minimal RTP view the receiver needs. */
export interface TelephoneEventPacket {
  /** RTP marker bit. */
  marker: boolean;
  /** RTP timestamp (the event's start). */
  timestamp: number;
  /** The telephone-event payload. */
  payload: Uint8Array;
}

/** Options of {@link DtmfReceiver}. */
export interface DtmfReceiverOptions {
  /**
   * RTP clock rate of the telephone-event payload type.
   * @defaultValue 8000
   */
  clockRate?: number;
  /**
   * Silence after the last packet of an unfinished event before {@link DtmfReceiver.poll} closes it.
   * @defaultValue 250
   */
  endTimeoutMs?: number;
}

/** State of the event being received. */
interface ActiveEvent {
  event: number;
  timestamp: number;
  // Duration accumulated by earlier segments of a long event.
  previousSegments: number;
  duration: number;
  volume: number;
  lastPacketMs: number;
}

// How many finished event timestamps to remember, to drop their late redundant end packets.
const FINISHED_MEMORY = 8;

/**
 * Turns a stream of RFC 4733 telephone-event packets into digit events: one `digit` per event however
 * many redundant updates and end packets arrive, keyed by the event's RTP timestamp. An event whose end
 * packets are all lost is closed by the next event or by {@link poll} after `endTimeoutMs`. Long events
 * split into segments (section 2.5.1.3: same code, new timestamp, no marker) are joined.
 */
export class DtmfReceiver extends EnhancedEventEmitter<DtmfReceiverEvents> {
  readonly #clockRate: number;
  readonly #endTimeoutMs: number;
  #active: ActiveEvent | undefined;
  readonly #finished: number[] = [];
  #malformed = 0;

  /** @param options - clock rate and end timeout */
  constructor(options: DtmfReceiverOptions = {}) {
    super();
    this.#clockRate = options.clockRate ?? 8000;
    this.#endTimeoutMs = options.endTimeoutMs ?? 250;
  }

  /** Packets ignored because their payload was malformed. */
  get malformedPackets(): number {
    return this.#malformed;
  }

  /** Feeds one telephone-event packet, received at `nowMs` (any monotonic millisecond clock). */
  receive(packet: TelephoneEventPacket, nowMs: number): void {
    if (packet.payload.length < 4) {
      this.#malformed += 1;

      return;
    }
    const update = parseTelephoneEvent(packet.payload);
    if (this.#finished.includes(packet.timestamp)) {
      return;
    }
    let active = this.#active;
    if (active !== undefined && active.timestamp !== packet.timestamp) {
      const continues =
        !packet.marker &&
        update.event === active.event &&
        (packet.timestamp - active.timestamp) >>> 0 === active.duration &&
        active.duration > 0;
      if (continues) {
        this.#remember(active.timestamp);
        active.previousSegments += active.duration;
        active.timestamp = packet.timestamp;
        active.duration = 0;
      } else {
        this.#finish(active, false);
        active = undefined;
      }
    }
    if (active === undefined) {
      active = {
        event: update.event,
        timestamp: packet.timestamp,
        previousSegments: 0,
        duration: 0,
        volume: update.volume,
        lastPacketMs: nowMs,
      };
      this.#active = active;
      this.safeEmit('start', {
        digit: dtmfCharacter(update.event),
        event: update.event,
        timestamp: packet.timestamp,
      });
    }
    active.duration = Math.max(active.duration, update.duration);
    active.volume = update.volume;
    active.lastPacketMs = nowMs;
    if (update.end) {
      this.#finish(active, true);
    }
  }

  /** Closes an unfinished event whose packets stopped more than `endTimeoutMs` before `nowMs`. */
  poll(nowMs: number): void {
    const active = this.#active;
    if (active !== undefined && nowMs - active.lastPacketMs > this.#endTimeoutMs) {
      this.#finish(active, false);
    }
  }

  /** Records a finished timestamp in the bounded memory. */
  #remember(timestamp: number): void {
    this.#finished.push(timestamp);
    if (this.#finished.length > FINISHED_MEMORY) {
      this.#finished.shift();
    }
  }

  /** Emits the digit for `active` and forgets it. */
  #finish(active: ActiveEvent, endReceived: boolean): void {
    this.#active = undefined;
    this.#remember(active.timestamp);
    const duration = active.previousSegments + active.duration;
    this.safeEmit('digit', {
      digit: dtmfCharacter(active.event),
      event: active.event,
      timestamp: (active.timestamp - active.previousSegments) >>> 0,
      duration,
      durationMs: (duration * 1000) / this.#clockRate,
      volume: active.volume,
      endReceived,
    });
  }
}
