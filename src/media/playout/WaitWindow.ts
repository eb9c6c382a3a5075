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
    this.restart();
  }

  /** Whether a bus follows the stream (see {@link follow}). */
  get followed(): boolean {
    return this.#terms !== undefined;
  }

  /** Drops the open window's measures (after an underrun or a shed, they no longer apply). */
  restart(): void {
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
    if (this.#count < (this.#terms?.windowTicks ?? this.#length)) {
      return undefined;
    }
    const summary = { min: this.#min, max: this.#max, count: this.#count };
    this.restart();

    return summary;
  }

  /**
   * Whether a closed window shows a frame of standing delay: every frame waited at least `floorMs` (a frame
   * more than the least the buffer must keep) plus the slack, so one frame less would still leave the slack.
   */
  hasStandingFrame(summary: WaitSummary, floorMs: number): boolean {
    const slack = this.#terms?.marginMs ?? Math.max(this.#marginMs, summary.max - summary.min);

    return summary.min >= floorMs + slack;
  }
}
