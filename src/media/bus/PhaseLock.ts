import { type PaceFollowTerms } from '../playout/WaitWindow.js';

/** Options of a conversation bus's phase lock (`ConversationAudioBusOptions.phaseLock`). */
export interface PhaseLockOptions {
  /**
   * Least time, in milliseconds, that a live frame should have been waiting when its tick runs: the lock
   * moves the tick earlier only while every frame of a window waited at least this plus one phase.
   * @defaultValue 2
   */
  marginMs?: number;
  /**
   * Ticks watched before the tick moves earlier.
   * @defaultValue 25 (half a second)
   */
  windowTicks?: number;
  /**
   * Most phases one tick, run on time, waits for a live frame that is late; if it still has not come, the
   * tick runs without it and the phase goes back to where it was.
   * @defaultValue 5 (10 ms with the default clock)
   */
  maxPostponed?: number;
  /**
   * Phases in the clock's period: a tick that runs late (the process was busy) may wait until the phase
   * after the one now due, as long as that is within the period.
   * @defaultValue 10
   */
  phases?: number;
  /**
   * Most phases the tick moves earlier at the end of a window (each phase one tick interval shorter).
   * @defaultValue 3
   */
  maxEarlier?: number;
}

/** Counters of a {@link PhaseLock}. */
export interface PhaseLockStats {
  /** Phases ticks waited for late frames that then came (the phase moved later by as many). */
  later: number;
  /** Ticks that waited as long as allowed and ran without the late frame (the wait was undone). */
  gaveUp: number;
  /**
   * Ticks that ran late (the process was busy), found a frame missing, and waited for the process to read
   * its sockets; the frame was there, and the phase went back.
   */
  caughtUp: number;
  /** Phases the tick moved earlier because every frame had slack to spare. */
  earlier: number;
  /**
   * Times the lock stood down because the process was overloaded (see `PhaseLock.engage`): it then stops
   * moving the tick earlier, but still waits for late frames.
   */
  stoodDown: number;
  /** Shortest wait of the live frames over the last full window, in ms (undefined before one). */
  lastWindowMinWaitMs: number | undefined;
}

/**
 * The phase controller of one conversation's bus: it moves the bus's tick, in steps of one phase of the
 * shared media clock, to just after the frames of its live sources arrive. A frame then waits for its
 * tick a few milliseconds instead of anything up to a whole period.
 *
 * It moves later at once and earlier slowly, as a phase-locked loop would:
 * - at a tick where a live source's frame has not arrived yet, the tick waits a phase (up to
 *   `maxPostponed`); when the frame comes meanwhile, the bus keeps the later phase. When it does not
 *   come (lost, or the stream ended), the tick runs without it and the phase goes back: a lost packet
 *   leaves no delay behind;
 * - after `windowTicks` ticks without waiting, if every live frame of the window waited at least the
 *   margin plus a phase, the tick moves earlier by the whole phases of that slack (up to `maxEarlier`).
 *   A frame of standing delay, left by an underrun or by prebuffering, drains this way too, a few phases
 *   a window until the tick has moved a whole period earlier: each step is a slightly shorter tick
 *   interval, and nothing is cut from the audio.
 *
 * When the process is overloaded (the clock's wake-ups have been late by two phases on average), the lock
 * stands down (see {@link PhaseLock.engage}) until the process has caught up: it no longer moves the tick
 * earlier and its sources no longer shed on its terms, but it still waits for a late frame.
 *
 * It holds no timers and reads no clock: the bus asks it at each tick and applies its answers with
 * `ClockSubscription.postpone()` and `shift()`.
 */
export class PhaseLock {
  readonly #phaseMs: number;
  readonly #marginMs: number;
  readonly #windowTicks: number;
  readonly #maxPostponed: number;
  readonly #maxEarlier: number;
  readonly #phases: number;
  #postponed = 0;
  #engaged = true;
  // Whether the tick being waited for ran late: the process was behind, not (or not only) the frame.
  #behind = false;
  #windowCount = 0;
  #windowMin = Infinity;
  readonly #stats: PhaseLockStats = {
    later: 0,
    gaveUp: 0,
    caughtUp: 0,
    earlier: 0,
    stoodDown: 0,
    lastWindowMinWaitMs: undefined,
  };

  /**
   * @param phaseMs - length of one phase of the clock, in ms
   * @param options - margin, window and step limits
   */
  constructor(phaseMs: number, options: PhaseLockOptions = {}) {
    this.#phaseMs = phaseMs;
    this.#marginMs = options.marginMs ?? 2;
    this.#windowTicks = options.windowTicks ?? 25;
    this.#maxPostponed = options.maxPostponed ?? 5;
    this.#maxEarlier = options.maxEarlier ?? 3;
    this.#phases = options.phases ?? 10;
  }

  /**
   * The terms a followed source is told (see `BusSourcePace.follow`): it judges standing delay over the
   * lock's window, and needs no slack of its own, since the bus waits for its frames when they are late.
   * A frame is standing when every frame of a window would still have been on time a frame sooner.
   */
  get terms(): PaceFollowTerms {
    return { marginMs: 0, windowTicks: this.#windowTicks };
  }

  /** Whether the lock is following its sources (see {@link engage}). */
  get engaged(): boolean {
    return this.#engaged;
  }

  /**
   * At the start of every tick, with the clock's recent lateness (`ClockTick.lagMs`). Once the clock has
   * been behind by two phases on average, the process is overloaded: frames wait because the process is
   * late, not because of the phase, and tightening the tick to them (moving earlier, letting the sources
   * shed delay) would feed the overload. The lock then stands down until the lateness is back under a
   * phase. It still waits for a late frame meanwhile (see {@link wait}): an overloaded process reads its
   * sockets late, a tick placed just after its frames then finds them missing more often, and a wait of a
   * phase or two costs far less than an underrun, which leaves a whole frame of delay until it is shed.
   * Returns the new state when it changes (the bus tells its sources), else undefined.
   */
  engage(lagMs: number): boolean | undefined {
    const engaged = this.#engaged ? lagMs < 2 * this.#phaseMs : lagMs < this.#phaseMs;
    if (engaged === this.#engaged) {
      return undefined;
    }
    this.#engaged = engaged;
    // A wait under way carries on (the lock waits in either state), and is undone or kept as usual.
    this.#restart();
    if (!engaged) {
      this.#stats.stoodDown += 1;
    }

    return engaged;
  }

  /** Counters. */
  get stats(): PhaseLockStats {
    return { ...this.#stats };
  }

  /**
   * At the start of a tick: how many phases to wait because a live source's frame (`missing`) has not
   * arrived; 0 to run the tick now. The bus then postpones the tick instead of running it.
   *
   * A tick that runs `lateMs` behind its time (the process was busy) may find a frame missing that is
   * already in its socket, unread: it waits until the first phase not yet due, so that the process reads
   * its sockets before the tick runs again, which adds less than a phase to the lateness it already has.
   * That wait says nothing of the frame's timing, so the phase goes back afterwards.
   *
   * It waits whether the lock is engaged or stood down (see {@link engage}).
   */
  wait(missing: boolean, lateMs: number): number {
    if (!missing) {
      return 0;
    }
    const phases = 1 + Math.floor(Math.max(0, lateMs) / this.#phaseMs);
    if (phases > 1 || this.#behind) {
      if (this.#postponed + phases >= this.#phases) {
        return 0;
      }
      this.#behind = true;
    } else if (this.#postponed + phases > this.#maxPostponed) {
      return 0;
    }
    this.#postponed += phases;

    return phases;
  }

  /**
   * After a tick ran: `missing` tells whether a live frame was still absent, `minWaitMs` the shortest time
   * a live frame consumed on this tick had waited (NaN when none was). Returns the phases to shift the
   * bus's next tick by (negative: earlier), 0 for none.
   */
  ran(missing: boolean, minWaitMs: number): number {
    if (this.#postponed > 0) {
      const postponed = this.#postponed;
      const behind = this.#behind;
      this.#postponed = 0;
      this.#behind = false;
      this.#restart();
      if (missing) {
        // The frame never came: the wait protected nothing, so the tick goes back to its old phase.
        this.#stats.gaveUp += 1;

        return -postponed;
      }
      if (behind) {
        // The process was late, not the frame: the old phase still suits the source.
        this.#stats.caughtUp += 1;

        return -postponed;
      }
      this.#stats.later += postponed;

      return 0;
    }
    if (!this.#engaged) {
      return 0;
    }
    if (minWaitMs < this.#windowMin) {
      this.#windowMin = minWaitMs;
    }
    this.#windowCount += 1;
    if (this.#windowCount < this.#windowTicks) {
      return 0;
    }
    const slack = this.#windowMin - this.#marginMs;
    this.#stats.lastWindowMinWaitMs = Number.isFinite(this.#windowMin) ? this.#windowMin : undefined;
    this.#restart();
    // Every live frame of the window would still have been in time, with the margin, whole phases sooner.
    const phases = Number.isFinite(slack) ? Math.min(this.#maxEarlier, Math.floor(slack / this.#phaseMs)) : 0;
    if (phases <= 0) {
      return 0;
    }
    this.#stats.earlier += phases;

    return -phases;
  }

  /** Starts a new window. */
  #restart(): void {
    this.#windowCount = 0;
    this.#windowMin = Infinity;
  }
}
