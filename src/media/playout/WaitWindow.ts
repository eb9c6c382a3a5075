/** How long frames waited in a buffer over one closed window. */
export interface WaitSummary {
  /** Shortest wait, in milliseconds. */
  min: number;
  /** Longest wait, in milliseconds. */
  max: number;
  /** Frames measured. */
  count: number;
}

/** What a bus following a buffer's stream tells it (see {@link WaitWindow.follow}). */
export interface PaceFollowTerms {
  /** Slack, in ms, that the buffer must still leave its frames when it sheds a frame of standing delay. */
  marginMs: number;
  /** Ticks over which the bus watches waits before it moves earlier; the buffer's window while followed. */
  windowTicks: number;
}

/**
 * After an underrun of a followed stream, the next windows are short: RECOVERY_WINDOWS of
 * RECOVERY_WINDOW_FRAMES frames each. A sender that stalled, then caught up in a burst, leaves frames of
 * standing delay behind; the frames of the burst itself waited less (the first played at once), so the
 * first short window may not show the delay, but one of the next does, within a few tenths of a second
 * rather than the bus's whole window (half a second at its defaults) per frame of delay.
 */
const RECOVERY_WINDOWS = 3;
const RECOVERY_WINDOW_FRAMES = 5;

/**
 * Measures how long the frames of a playout buffer wait, window by window, to tell standing delay from
 * protective delay. A frame of delay is standing when, over a whole window, every frame waited at least
 * that frame longer than the buffer must keep, with slack to spare: the margin, or the spread of the
 * window's waits when wider (the jitter seen, so that a stream that wanders keeps room to wander).
 */
export class WaitWindow {
  readonly #length: number;
  readonly #marginMs: number;
  // The terms of a bus following the stream, which replace the window's own while they last.
  #terms: PaceFollowTerms | undefined;
  #count = 0;
  #min = Infinity;
  #max = 0;
  // Short windows still to come after an underrun (see RECOVERY_WINDOWS).
  #recoveryWindows = 0;

  /**
   * @param length - frames per window
   * @param marginMs - least slack a frame must keep after a frame of delay is shed
   */
  constructor(length: number, marginMs: number) {
    this.#length = length;
    this.#marginMs = marginMs;
  }

  /**
   * Takes the terms of a bus that follows the stream and waits for its late frames (undefined: none any
   * more), and starts the window over. While followed, the window is the bus's and the slack is its
   * margin alone: the spread of the waits need not be kept, since the bus absorbs that jitter.
   */
  follow(terms: PaceFollowTerms | undefined): void {
    this.#terms = terms;
    this.#recoveryWindows = 0;
    this.restart();
  }

  /** Whether a bus follows the stream (see {@link follow}). */
  get followed(): boolean {
    return this.#terms !== undefined;
  }

  /**
   * Drops the open window's measures (after an underrun or a shed, they no longer apply). After an
   * underrun (`afterUnderrun`) of a followed stream, the next windows are short ones; a shed meanwhile
   * leaves the short windows still due.
   */
  restart(afterUnderrun = false): void {
    this.#reset();
    if (afterUnderrun) {
      this.#recoveryWindows = this.#terms === undefined ? 0 : RECOVERY_WINDOWS;
    }
  }

  /** Empties the open window. */
  #reset(): void {
    this.#count = 0;
    this.#min = Infinity;
    this.#max = 0;
  }

  /** Adds a frame's wait; when that closes the window, returns its summary and opens the next. */
  add(waitMs: number): WaitSummary | undefined {
    if (waitMs < this.#min) {
      this.#min = waitMs;
    }
    if (waitMs > this.#max) {
      this.#max = waitMs;
    }
    this.#count += 1;
    const length = this.#terms?.windowTicks ?? this.#length;
    if (this.#count < (this.#recoveryWindows > 0 ? Math.min(RECOVERY_WINDOW_FRAMES, length) : length)) {
      return undefined;
    }
    const summary = { min: this.#min, max: this.#max, count: this.#count };
    this.#reset();
    if (this.#recoveryWindows > 0) {
      this.#recoveryWindows -= 1;
    }

    return summary;
  }

  /**
   * Whether a closed window shows a frame of standing delay: every frame waited at least `floorMs` (a frame
   * more than the least the buffer must keep) plus the slack, so one frame less would still leave the slack.
   */
  #hasStandingFrame(summary: WaitSummary, floorMs: number): boolean {
    return summary.min >= floorMs + this.#slack(summary);
  }

  /**
   * How many frames of standing delay (each `frameMs` long) a closed window shows: while a bus follows
   * the stream, every whole frame that all its frames could have done without, keeping the slack (a
   * burst after a stall leaves several); otherwise one at most per window.
   */
  standingFrames(summary: WaitSummary, floorMs: number, frameMs: number): number {
    if (!this.#hasStandingFrame(summary, floorMs)) {
      return 0;
    }

    return this.#terms === undefined
      ? 1
      : Math.floor((summary.min - floorMs - this.#slack(summary)) / frameMs) + 1;
  }

  /** The slack a shed must leave: the bus's margin while followed, else the margin or the window's spread. */
  #slack(summary: WaitSummary): number {
    return this.#terms?.marginMs ?? Math.max(this.#marginMs, summary.max - summary.min);
  }
}
