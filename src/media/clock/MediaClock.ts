import { type Logger } from '../../log/index.js';
import { MediaStateError } from '../errors.js';
import { EnhancedEventEmitter } from '../EnhancedEventEmitter.js';

/** The span, in ms, over which `ClockTick.lagMs` averages the clock's lateness. */
const LAG_WINDOW_MS = 200;

/** What a subscriber learns on every tick. */
export interface ClockTick {
  /** The period the tick falls in, counted from 0 since the clock started. */
  index: number;
  /**
   * When the tick was due, in milliseconds since the clock started: index × period plus the subscriber's
   * phase, which is (slot + 1) × period / slots ((index + 1) × period with one slot).
   */
  scheduledMs: number;
  /** How late it actually ran, in milliseconds (0 in manual mode). */
  lateMs: number;
  /**
   * How late the clock's wake-ups have been of late, in milliseconds: a moving average over about the
   * last 200 ms. High when the process is overloaded, rather than now and then busy (0 in manual mode).
   */
  lagMs: number;
}

/** A tick callback. It must be quick: every call in the process shares it. */
export type ClockSubscriber = (tick: ClockTick) => void;

/** Handle returned by {@link MediaClock.subscribe}. */
export interface ClockSubscription {
  /** Stops delivery; safe to call during a tick and more than once. */
  unsubscribe(): void;
  /** The subscriber's phase, from 0 to `slots − 1`: it ticks (phase + 1) × period / slots into each period. */
  readonly phase: number;
  /**
   * Called from inside this subscriber's own tick: that tick does not count, it is delivered again
   * `phases` phases later (1 by default, at most `slots − 1`), and the subscriber keeps that later phase
   * from then on (for a subscriber waiting for input that is a little late). Returns false, changing
   * nothing, outside the subscriber's tick or when the clock has a single phase.
   */
  postpone(phases?: number): boolean;
  /**
   * Moves the subscriber's phase by `phases` (negative: earlier; at most `slots − 1` either way): its next
   * tick comes that many phases sooner or later than it would have, and the ticks after keep the new
   * phase. A move never brings the next tick before the phase the clock is about to run.
   */
  shift(phases: number): void;
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
  /**
   * Phases the period is divided into. Each subscriber is given the phase with the fewest subscribers and
   * keeps it: it still ticks once per period, but the work of many subscribers is spread over the period
   * in short bursts instead of one long one, so that packets arriving meanwhile are read promptly and the
   * rest of the process stays responsive.
   * @defaultValue 10 in real time (one phase every 2 ms of a 20 ms period), 1 in manual mode
   */
  slots?: number;
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
  /** The phase it ticks at, and the list of {@link MediaClock} it is in. */
  slot: number;
  /** The phase tick at which it next runs (phase tick n × slots + s is period n, phase s). */
  due: number;
  /** The phase tick it is running in, or −1 outside its tick. */
  running: number;
}

/**
 * The process-wide media clock: one timer ticking every 20 ms for every call, never a timer per call.
 *
 * The period is divided into `slots` phases, and every subscriber ticks at its own phase, once per
 * period: the timer wakes at each phase, and that phase's subscribers run once the event loop has polled
 * the sockets (see the timer callback). Timing is anchored to `process.hrtime.bigint()` at start: phase
 * tick k is due at start + (k + 1) × period / slots, and each wake-up runs every phase tick that has come
 * due, so late timers never lose ticks and each subscriber's count over any long span equals elapsed /
 * period. The timer runs only while somebody is subscribed.
 *
 * Subscribers may subscribe or unsubscribe from inside a tick: a new subscriber first runs on the next
 * tick, and one removed during a tick is not called again, even later in that same tick.
 *
 * A subscriber may also move its phase ({@link ClockSubscription.shift}, {@link ClockSubscription.postpone}),
 * to tick just after the input it waits for arrives: one tick interval is then that much longer or
 * shorter, and no tick is lost or doubled.
 */
export class MediaClock extends EnhancedEventEmitter<MediaClockEvents> {
  readonly #periodMs: number;
  readonly #manual: boolean;
  readonly #maxCatchUp: number;
  readonly #logger: Logger | undefined;
  readonly #slots: number;
  readonly #phaseNs: bigint;
  readonly #phaseMs: number;
  // The subscribers of each phase; each list is replaced, never mutated, so a tick iterates a stable snapshot.
  readonly #entries: (readonly Entry[])[];
  #subscribers = 0;
  #timer: NodeJS.Timeout | undefined;
  // Set from the timer's wake-up until its due phase ticks run: in the next loop turn's check phase,
  // after that turn has polled the sockets.
  #immediate: NodeJS.Immediate | undefined;
  #startNs = 0n;
  // Phase ticks run since the timer (re)started: period n, phase s is phase tick n × slots + s.
  #phaseTicks = 0;
  #skipped = 0;
  #closed = false;
  // Moving average of how late the timer woke, in ms, and when it last woke (since the start).
  #lagMs = 0;
  #lastWakeNs = 0n;
  // The phase tick the timer was last armed for.
  #armedFor = 0;
  // Whether due phase ticks are running (the run re-arms the timer itself when done).
  #running = false;

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
    this.#manual = options.mode === 'manual';
    this.#maxCatchUp = options.maxCatchUpTicks ?? 50;
    this.#logger = options.logger;
    this.#slots = options.slots ?? (this.#manual ? 1 : 10);
    if (!Number.isInteger(this.#slots) || this.#slots < 1 || this.#periodMs / this.#slots < 1) {
      throw new MediaStateError(
        'ERR_MEDIA_INVALID_OPTION',
        `clock slots ${this.#slots} must be a whole number from 1 to the period in ms`,
      );
    }
    this.#phaseMs = this.#periodMs / this.#slots;
    this.#phaseNs = BigInt(Math.round(this.#phaseMs * 1e6));
    this.#entries = Array.from({ length: this.#slots }, () => []);
  }

  /** Tick period in milliseconds. */
  get periodMs(): number {
    return this.#periodMs;
  }

  /** Periods ticked since the timer (re)started. */
  get tickCount(): number {
    return Math.floor(this.#phaseTicks / this.#slots);
  }

  /** Ticks skipped because the process stalled for longer than the catch-up limit. */
  get skippedTicks(): number {
    return this.#skipped;
  }

  /** Number of current subscribers. */
  get subscriberCount(): number {
    return this.#subscribers;
  }

  /** Phases the period is divided into. */
  get slots(): number {
    return this.#slots;
  }

  /** Whether the real-time timer is running. */
  get running(): boolean {
    return this.#armed;
  }

  /** Whether the timer is armed, or has woken and its phase ticks are about to run. */
  get #armed(): boolean {
    return this.#timer !== undefined || this.#immediate !== undefined;
  }

  /** Registers `callback` for every tick; starts the timer for the first subscriber. */
  subscribe(callback: ClockSubscriber): ClockSubscription {
    if (this.#closed) {
      throw new MediaStateError('ERR_MEDIA_CLOSED', 'media clock is closed');
    }
    let slot = 0;
    for (let s = 1; s < this.#slots; s++) {
      if (this.#entries[s]!.length < this.#entries[slot]!.length) {
        slot = s;
      }
    }
    if (!this.#manual && !this.#armed) {
      this.#startNs = process.hrtime.bigint();
      this.#phaseTicks = 0;
      this.#lastWakeNs = 0n;
      this.#lagMs = 0;
    }
    // Its first tick is the next one of its phase that the clock has not run yet.
    const due = this.#phaseTicks + ((slot - (this.#phaseTicks % this.#slots) + this.#slots) % this.#slots);
    const entry: Entry = { callback, active: true, slot, due, running: -1 };
    this.#entries[slot] = [...this.#entries[slot]!, entry];
    this.#subscribers += 1;
    if (!this.#manual && !this.#armed) {
      this.#schedule();
    }

    return {
      unsubscribe: () => {
        if (!entry.active) {
          return;
        }
        entry.active = false;
        this.#entries[entry.slot] = this.#entries[entry.slot]!.filter((e) => e !== entry);
        this.#subscribers -= 1;
        if (this.#subscribers === 0) {
          this.#stopTimer();
        }
      },
      get phase() {
        return entry.slot;
      },
      postpone: (phases = 1) => {
        if (!entry.active || entry.running < 0 || this.#slots === 1) {
          return false;
        }
        this.#move(entry, entry.running + Math.max(1, Math.min(this.#slots - 1, Math.trunc(phases))));

        return true;
      },
      shift: (phases: number) => {
        const by = Math.trunc(Math.max(1 - this.#slots, Math.min(this.#slots - 1, phases)));
        if (entry.active && by !== 0) {
          this.#move(entry, Math.max(this.#phaseTicks, entry.due + by));
        }
      },
    };
  }

  /** Makes `entry` next run at phase tick `due`, moving it to that phase's list. */
  #move(entry: Entry, due: number): void {
    const slot = due % this.#slots;
    if (slot !== entry.slot) {
      this.#entries[entry.slot] = this.#entries[entry.slot]!.filter((e) => e !== entry);
      this.#entries[slot] = [...this.#entries[slot]!, entry];
      entry.slot = slot;
    }
    entry.due = due;
    if (this.#timer !== undefined && !this.#running) {
      // Called between timer wake-ups: the timer may be armed for a later phase than the new one.
      this.#stopTimer();
      this.#schedule();
    }
  }

  /** Manual mode: delivers `ticks` ticks now. Throws in real-time mode. */
  advance(ticks = 1): void {
    if (!this.#manual) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'advance() is only for a manual clock');
    }
    this.#runPhases(ticks * this.#slots);
  }

  /**
   * Manual mode: runs the next `phases` phases of the period (each phase's subscribers in turn), for
   * tests that interleave input with the phases. Throws in real-time mode.
   */
  advancePhases(phases: number): void {
    if (!this.#manual) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'advancePhases() is only for a manual clock');
    }
    this.#runPhases(phases);
  }

  /** Manual mode: runs the next `phases` phase ticks, back to back. */
  #runPhases(phases: number): void {
    for (let i = 0; i < phases && !this.#closed; i++) {
      this.#runPhase(0);
    }
  }

  /** Stops the timer and drops every subscriber; idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (let s = 0; s < this.#slots; s++) {
      for (const entry of this.#entries[s]!) {
        entry.active = false;
      }
      this.#entries[s] = [];
    }
    this.#subscribers = 0;
    this.#stopTimer();
  }

  /** Clears the timer, and the pending run of a timer that has woken. */
  #stopTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
  }

  /** Arms the timer for the next phase tick that has subscribers (phases without any are not woken for). */
  #schedule(): void {
    let next = this.#phaseTicks;
    while (this.#entries[next % this.#slots]!.length === 0 && next < this.#phaseTicks + this.#slots) {
      next += 1;
    }
    this.#armedFor = next;
    const dueNs = this.#startNs + BigInt(next + 1) * this.#phaseNs;
    const waitMs = Number(dueNs - process.hrtime.bigint()) / 1e6;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, waitMs));
  }

  /**
   * Timer callback: notes how late the timer woke, then leaves the due phase ticks to the check phase of
   * the event loop's next turn. Node runs timers after the turn's I/O callbacks, so a timer that falls due
   * while the process is busy would otherwise run before the packets that arrived meanwhile are read: a
   * bus would find its frame missing although it sits in the socket. The next turn polls the sockets
   * first (without blocking, since a callback is pending), then runs the ticks.
   */
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    const elapsedNs = process.hrtime.bigint() - this.#startNs;
    // Late against the phase tick the timer was armed for (phases without subscribers are not woken for).
    const wokeLateMs = Math.max(0, Number(elapsedNs - BigInt(this.#armedFor + 1) * this.#phaseNs) / 1e6);
    // Each wake-up weighs by the time since the last one: an average over about the last 200 ms.
    const sinceMs = Number(elapsedNs - this.#lastWakeNs) / 1e6;
    this.#lastWakeNs = elapsedNs;
    this.#lagMs += (wokeLateMs - this.#lagMs) * Math.min(1, sinceMs / LAG_WINDOW_MS);
    this.#immediate = setImmediate(this.#runDue);
  };

  /** Runs every phase tick that has come due, then re-arms the timer. */
  readonly #runDue = (): void => {
    this.#immediate = undefined;
    this.#running = true;
    const elapsedNs = process.hrtime.bigint() - this.#startNs;
    const due = Number(elapsedNs / this.#phaseNs);
    const behind = due - this.#phaseTicks - this.#maxCatchUp * this.#slots;
    if (behind > 0) {
      // Whole periods are skipped, so every phase loses the same number of ticks; the schedule stays
      // anchored to the start time.
      const periods = Math.ceil(behind / this.#slots);
      this.#skipped += periods;
      this.#phaseTicks += periods * this.#slots;
    }
    while (this.#phaseTicks < due && this.#subscribers > 0 && !this.#closed) {
      const lateMs = Number(elapsedNs - BigInt(this.#phaseTicks + 1) * this.#phaseNs) / 1e6;
      this.#runPhase(Math.max(0, lateMs));
    }
    this.#running = false;
    if (this.#subscribers > 0 && !this.#closed && !this.#armed) {
      this.#schedule();
    }
  };

  /** Delivers one phase tick to a snapshot of that phase's subscribers. */
  #runPhase(lateMs: number): void {
    const phaseTick = this.#phaseTicks;
    this.#phaseTicks += 1;
    const entries = this.#entries[phaseTick % this.#slots]!;
    if (entries.length === 0) {
      return;
    }
    const index = Math.floor(phaseTick / this.#slots);
    const tick: ClockTick = {
      index,
      scheduledMs: (phaseTick + 1) * this.#phaseMs,
      lateMs,
      lagMs: this.#lagMs,
    };
    for (const entry of entries) {
      // A subscriber moved later past the end of the period sits in this phase's list before its turn.
      if (!entry.active || entry.due > phaseTick) {
        continue;
      }
      entry.due = phaseTick + this.#slots;
      entry.running = phaseTick;
      try {
        entry.callback(tick);
      } catch (error) {
        this.#logger?.error({ err: error, tick: index }, 'media clock subscriber threw');
        this.safeEmit('subscribererror', error);
      }
      entry.running = -1;
    }
  }
}
