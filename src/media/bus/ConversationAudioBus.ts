import { type Logger } from '../../log/index.js';
import { type ClockSubscription } from '../clock/MediaClock.js';
import { EnhancedEventEmitter } from '../EnhancedEventEmitter.js';
import { MediaStateError } from '../errors.js';
import { Mixer } from '../mix/Mixer.js';
import { BusParticipant } from './BusParticipant.js';
import { PhaseLock, type PhaseLockStats } from './PhaseLock.js';
import {
  type BusJoinOptions,
  type BusTap,
  type BusTapFrame,
  type BusTapSubscription,
  type ConversationAudioBusEvents,
  type ConversationAudioBusOptions,
} from './ConversationAudioBusTypes.js';

/**
 * The audio of one conversation: every voice leg joins with its own sample rate, and on each tick of the
 * shared {@link MediaClock} the bus
 *
 * 1. pulls one frame from every participant's source and resamples it to the bus rate;
 * 2. mixes them with a {@link Mixer} (each hears the sum of the others, never itself; soft limiting);
 * 3. resamples each participant's mix-minus back to its own rate and hands it to its sink.
 *
 * A frame spoken on tick n is heard by the others on the same tick n. Sources and sinks run inside the
 * clock tick, so they must be quick; one that throws is reported and skipped for that tick, never allowed
 * to stall the other participants or the other conversations on the clock.
 *
 * The bus's tick follows its live sources (a {@link PhaseLock}, on by default): it moves, one phase of the
 * clock at a time, to just after their frames arrive, waits a phase or two for a frame that is a little
 * late, and comes back earlier when every frame has slack to spare. A frame then waits for its tick a few
 * milliseconds rather than anything up to a period.
 */
export class ConversationAudioBus extends EnhancedEventEmitter<ConversationAudioBusEvents> {
  readonly #sampleRate: number;
  readonly #frameMs: number;
  readonly #mixer: Mixer;
  readonly #participants = new Map<string, BusParticipant>();
  // The participants as an array, replaced (never mutated) on join and leave: the tick iterates it without
  // copying, and a participant leaving from inside its own sink does not disturb the loop.
  #list: readonly BusParticipant[] = [];
  readonly #subscription: ClockSubscription;
  readonly #logger: Logger | undefined;
  #taps: readonly BusTap[] = [];
  readonly #lock: PhaseLock | undefined;
  #ticks = 0;
  #closed = false;

  /** @param options - clock, mixing rate and limiter */
  constructor(options: ConversationAudioBusOptions) {
    super();
    this.#sampleRate = options.sampleRate ?? 16000;
    this.#frameMs = options.frameMs ?? options.clock.periodMs;
    if (!Number.isInteger(this.#sampleRate) || this.#sampleRate <= 0) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', `invalid bus rate ${this.#sampleRate}`);
    }
    if (this.#frameMs !== options.clock.periodMs) {
      throw new MediaStateError(
        'ERR_MEDIA_INVALID_OPTION',
        `bus frame ${this.#frameMs} ms does not match the clock period ${options.clock.periodMs} ms`,
      );
    }
    this.#mixer = new Mixer({
      frameSamples: Math.round((this.#sampleRate * this.#frameMs) / 1000),
      limiter: options.limiter ?? 'soft',
    });
    this.#logger = options.logger;
    const lock = options.phaseLock ?? true;
    this.#lock =
      lock === false || options.clock.slots < 2
        ? undefined
        : new PhaseLock(options.clock.periodMs / options.clock.slots, {
            phases: options.clock.slots,
            ...(lock === true ? {} : lock),
          });
    this.#subscription = options.clock.subscribe((tick) => {
      this.#tick(tick.lateMs, tick.lagMs);
    });
  }

  /** Rate the mix is computed at, in Hz. */
  get sampleRate(): number {
    return this.#sampleRate;
  }

  /** Number of participants. */
  get size(): number {
    return this.#participants.size;
  }

  /** The phase lock's counters; undefined when the bus does not lock (see `phaseLock`). */
  get phaseLock(): PhaseLockStats | undefined {
    return this.#lock?.stats;
  }

  /** Ticks mixed so far. */
  get tickCount(): number {
    return this.#ticks;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The participant with `id`, if any. */
  getParticipant(id: string): BusParticipant | undefined {
    return this.#participants.get(id);
  }

  /**
   * Adds a participant. It first speaks and hears on the next tick. Throws {@link MediaStateError} when
   * the bus is closed, the id is taken or the rate is invalid.
   */
  join(id: string, options: BusJoinOptions): BusParticipant {
    if (this.#closed) {
      throw new MediaStateError('ERR_MEDIA_CLOSED', 'conversation audio bus is closed');
    }
    if (this.#participants.has(id)) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', `bus participant ${id} already exists`);
    }
    const participant = new BusParticipant({
      id,
      sampleRate: options.sampleRate,
      busRate: this.#sampleRate,
      frameMs: this.#frameMs,
      mixer: this.#mixer.addParticipant(id),
      source: options.source,
      sink: options.sink,
      quiet: options.quiet,
      idle: options.idle,
      pace: options.pace,
      onLeave: (p) => {
        this.#participants.delete(p.id);
        this.#list = this.#list.filter((other) => other !== p);
      },
    });
    this.#participants.set(id, participant);
    this.#list = [...this.#list, participant];
    if (this.#lock?.engaged === true) {
      participant.follow(this.#lock.terms);
    }

    return participant;
  }

  /**
   * Registers `tap` to see every participant's contribution on each tick (before mixing), for recording.
   * It runs inside the clock tick, so it must be quick; one that throws is reported and skipped.
   */
  tap(tap: BusTap): BusTapSubscription {
    if (this.#closed) {
      throw new MediaStateError('ERR_MEDIA_CLOSED', 'conversation audio bus is closed');
    }
    this.#taps = [...this.#taps, tap];

    return {
      remove: () => {
        this.#taps = this.#taps.filter((t) => t !== tap);
      },
    };
  }

  /** Stops mixing and removes every participant; idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#taps = [];
    this.#subscription.unsubscribe();
    for (const participant of this.#list) {
      participant.leave();
    }
  }

  /** One clock tick: collect, mix, deliver (or, for a live frame that is late, wait a phase first). */
  #tick(lateMs: number, lagMs: number): void {
    // A snapshot (the list is replaced, not mutated, on leave), so a participant leaving from inside its own
    // sink does not disturb the loop. No closures or copies per tick: this runs for every call every 20 ms.
    const participants = this.#list;
    const lock = this.#lock;
    if (lock !== undefined) {
      const engaged = lock.engage(lagMs);
      if (engaged !== undefined) {
        // The lock stood down for an overloaded process, or follows again: the sources hear of it.
        for (const participant of participants) {
          participant.follow(engaged ? lock.terms : undefined);
        }
      }
    }
    // Checked whether or not the lock is stood down for overload: it waits for a late frame either way.
    const late = lock !== undefined && this.#lateFrame(participants);
    const wait = lock?.wait(late, lateMs) ?? 0;
    if (wait > 0 && this.#subscription.postpone(wait)) {
      return;
    }
    this.#ticks += 1;
    this.#mixTick(participants);
    if (lock !== undefined) {
      const shift = lock.ran(late, this.#liveWaitMs(participants));
      if (shift !== 0) {
        this.#subscription.shift(shift);
      }
    }
  }

  /** The tick's work proper. */
  #mixTick(participants: readonly BusParticipant[]): void {
    if (this.#taps.length === 0 && this.#allQuiet(participants)) {
      for (const participant of participants) {
        try {
          participant.idleTick();
        } catch (error) {
          this.#report(participant, error);
        }
      }

      return;
    }
    for (const participant of participants) {
      try {
        participant.collect();
      } catch (error) {
        this.#report(participant, error);
      }
    }
    if (this.#taps.length > 0) {
      this.#runTaps(participants);
    }
    this.#mixer.mix();
    for (const participant of participants) {
      if (!participant.left) {
        try {
          participant.deliver();
        } catch (error) {
          this.#report(participant, error);
        }
      }
    }
  }

  /** Whether a participant's live stream has not delivered this tick's frame yet. */
  #lateFrame(participants: readonly BusParticipant[]): boolean {
    for (const participant of participants) {
      try {
        if (participant.lateFrame()) {
          return true;
        }
      } catch (error) {
        this.#report(participant, error);
      }
    }

    return false;
  }

  /** The shortest wait of the live frames collected on this tick, in ms; NaN when there was none. */
  #liveWaitMs(participants: readonly BusParticipant[]): number {
    let min = Infinity;
    for (const participant of participants) {
      try {
        const wait = participant.liveWaitMs();
        // NaN (no live frame) never compares less.
        if (wait < min) {
          min = wait;
        }
      } catch (error) {
        this.#report(participant, error);
      }
    }

    return min === Infinity ? Number.NaN : min;
  }

  /** Whether every participant would only say silence this tick (so everybody would hear silence). */
  #allQuiet(participants: readonly BusParticipant[]): boolean {
    for (const participant of participants) {
      try {
        if (!participant.isQuiet()) {
          return false;
        }
      } catch (error) {
        this.#report(participant, error);

        return false;
      }
    }

    return true;
  }

  /** Hands the tick's contributions to every tap. */
  #runTaps(participants: readonly BusParticipant[]): void {
    const frames: BusTapFrame[] = [];
    for (const participant of participants) {
      const pcm = participant.contribution;
      if (pcm !== undefined && !participant.left) {
        frames.push({ id: participant.id, pcm });
      }
    }
    for (const tap of this.#taps) {
      try {
        tap(frames, this.#ticks);
      } catch (error) {
        this.#logger?.warn({ err: error }, 'bus tap failed');
        this.safeEmit('participanterror', 'tap', error);
      }
    }
  }

  /** Reports a participant's failed step instead of propagating it. */
  #report(participant: BusParticipant, error: unknown): void {
    this.#logger?.warn({ err: error, participant: participant.id }, 'bus participant failed');
    this.safeEmit('participanterror', participant.id, error);
  }
}
