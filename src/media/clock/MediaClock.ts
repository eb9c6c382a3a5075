import { type Logger } from '../../log/index.js';
import { MediaStateError } from '../errors.js';
import { EnhancedEventEmitter } from '../EnhancedEventEmitter.js';

/** What a subscriber learns on every tick. */
export interface ClockTick {
  /** Tick number since the clock started, from 0. */
  index: number;
  /** When the tick was due, in milliseconds since the clock started ((index + 1) × period). */
  scheduledMs: number;
  /** How late it actually ran, in milliseconds (0 in manual mode). */
  lateMs: number;
}

/** A tick callback. It must be quick: every call in the process shares it. */
export type ClockSubscriber = (tick: ClockTick) => void;

/** Handle returned by {@link MediaClock.subscribe}. */
export interface ClockSubscription {
  /** Stops delivery; safe to call during a tick and more than once. */
  unsubscribe(): void;
}

/** Options of {@link MediaClock}. */
export interface MediaClockOptions {
  /**
   * Tick period in milliseconds.
   * @defaultValue 20
   */
  periodMs?: number;
  /**
   * `realtime` drives ticks from one timer; `manual` never starts a timer and ticks only on
   * {@link MediaClock.advance} (tests, offline rendering).
   * @defaultValue 'realtime'
   */
  mode?: 'realtime' | 'manual';
  /**
   * Most overdue ticks run back to back after a stall; beyond it the clock skips ticks (counted in
   * `skippedTicks`) instead of bursting seconds of audio at once.
   * @defaultValue 50
   */
  maxCatchUpTicks?: number;
  /** Logger for subscriber failures. */
  logger?: Logger;
}

/** Events of {@link MediaClock}. */
export interface MediaClockEvents extends Record<string, unknown[]> {
  /** A subscriber threw; the clock carried on with the others. */
  subscribererror: [unknown];
  /** A listener of this emitter threw. */
  listenererror: [string, unknown];
}

/** One registered subscriber. */
interface Entry {
  callback: ClockSubscriber;
  active: boolean;
}

/**
 * The process-wide media clock: one timer ticking every 20 ms for every call, never a timer per call.
 *
 * Timing is anchored to `process.hrtime.bigint()` at start: tick n is due at start + n × period, and each
 * wake-up runs every tick that has come due, so late timers never lose ticks and the count over any long
 * span equals elapsed / period. The timer runs only while somebody is subscribed.
 *
 * Subscribers may subscribe or unsubscribe from inside a tick: a new subscriber first runs on the next
 * tick, and one removed during a tick is not called again, even later in that same tick.
 */
export class MediaClock extends EnhancedEventEmitter<MediaClockEvents> {
  readonly #periodMs: number;
  readonly #periodNs: bigint;
  readonly #manual: boolean;
  readonly #maxCatchUp: number;
  readonly #logger: Logger | undefined;
  // Replaced, never mutated, so a tick can iterate a stable snapshot.
  #entries: readonly Entry[] = [];
  #timer: NodeJS.Timeout | undefined;
  #startNs = 0n;
  #ticks = 0;
  #skipped = 0;
  #closed = false;

  /** @param options - period, mode and catch-up limit */
  constructor(options: MediaClockOptions = {}) {
    super();
    this.#periodMs = options.periodMs ?? 20;
    if (!(this.#periodMs >= 1)) {
      throw new MediaStateError(
        'ERR_MEDIA_INVALID_OPTION',
        `clock period ${this.#periodMs} ms is below 1 ms`,
      );
    }
    this.#periodNs = BigInt(Math.round(this.#periodMs * 1e6));
    this.#manual = options.mode === 'manual';
    this.#maxCatchUp = options.maxCatchUpTicks ?? 50;
    this.#logger = options.logger;
  }

  /** Tick period in milliseconds. */
  get periodMs(): number {
    return this.#periodMs;
  }

  /** Ticks delivered since the timer (re)started. */
  get tickCount(): number {
    return this.#ticks;
  }

  /** Ticks skipped because the process stalled for longer than the catch-up limit. */
  get skippedTicks(): number {
    return this.#skipped;
  }

  /** Number of current subscribers. */
  get subscriberCount(): number {
    return this.#entries.length;
  }

  /** Whether the real-time timer is running. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Registers `callback` for every tick; starts the timer for the first subscriber. */
  subscribe(callback: ClockSubscriber): ClockSubscription {
    if (this.#closed) {
      throw new MediaStateError('ERR_MEDIA_CLOSED', 'media clock is closed');
    }
    const entry: Entry = { callback, active: true };
    this.#entries = [...this.#entries, entry];
    if (!this.#manual && this.#timer === undefined) {
      this.#startNs = process.hrtime.bigint();
      this.#ticks = 0;
      this.#schedule();
    }

    return {
      unsubscribe: () => {
        if (!entry.active) {
          return;
        }
        entry.active = false;
        this.#entries = this.#entries.filter((e) => e !== entry);
        if (this.#entries.length === 0) {
          this.#stopTimer();
        }
      },
    };
  }

  /** Manual mode: delivers `ticks` ticks now. Throws in real-time mode. */
  advance(ticks = 1): void {
    if (!this.#manual) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'advance() is only for a manual clock');
    }
    for (let i = 0; i < ticks && !this.#closed; i++) {
      this.#runTick(0);
    }
  }

  /** Stops the timer and drops every subscriber; idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const entry of this.#entries) {
      entry.active = false;
    }
    this.#entries = [];
    this.#stopTimer();
  }

  /** Clears the timer. */
  #stopTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Arms the timer for the next due tick. */
  #schedule(): void {
    const dueNs = this.#startNs + BigInt(this.#ticks + 1) * this.#periodNs;
    const waitMs = Number(dueNs - process.hrtime.bigint()) / 1e6;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, waitMs));
  }

  /** Timer callback: runs every tick that has come due, then re-arms. */
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    const elapsedNs = process.hrtime.bigint() - this.#startNs;
    const due = Number(elapsedNs / this.#periodNs);
    if (due - this.#ticks > this.#maxCatchUp) {
      const skip = due - this.#ticks - this.#maxCatchUp;
      this.#skipped += skip;
      // Pretend the skipped ticks happened so the schedule stays anchored to the start time.
      this.#ticks += skip;
    }
    while (this.#ticks < due && this.#entries.length > 0 && !this.#closed) {
      const lateMs = Number(elapsedNs - BigInt(this.#ticks) * this.#periodNs) / 1e6 - this.#periodMs;
      this.#runTick(Math.max(0, lateMs));
    }
    if (this.#entries.length > 0 && !this.#closed && this.#timer === undefined) {
      this.#schedule();
    }
  };

  /** Delivers one tick to a snapshot of the subscribers. */
  #runTick(lateMs: number): void {
    const index = this.#ticks;
    this.#ticks += 1;
    const tick: ClockTick = { index, scheduledMs: (index + 1) * this.#periodMs, lateMs };
    for (const entry of this.#entries) {
      if (!entry.active) {
        continue;
      }
      try {
        entry.callback(tick);
      } catch (error) {
        this.#logger?.error({ err: error, tick: index }, 'media clock subscriber threw');
        this.safeEmit('subscribererror', error);
      }
    }
  }
}
