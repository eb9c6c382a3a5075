/** How long frames waited in a buffer over one closed window. */
export interface WaitSummary {
  /** Shortest wait, in milliseconds. */
  min: number;
  /** Longest wait, in milliseconds. */
  max: number;
  /** Frames measured. */
  count: number;
}

/**
 * Measures how long the frames of a playout buffer wait, window by window, to tell standing delay from
 * protective delay. A frame of delay is standing when, over a whole window, every frame waited at least
 * that frame longer than the buffer must keep, with slack to spare: the margin, or the spread of the
 * window's waits when wider (the jitter seen, so that a stream that wanders keeps room to wander).
 */
export class WaitWindow {
  #length: number;
  #marginMs: number;
  #keepSpread = true;
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
   * Re-tunes the window and starts it over: frames per window, the slack, and whether the spread of the
   * waits must be kept as well (not when the buffer's owner waits for late frames itself, as a bus
   * following the stream does).
   */
  tune(length: number, marginMs: number, keepSpread: boolean): void {
    this.#length = length;
    this.#marginMs = marginMs;
    this.#keepSpread = keepSpread;
    this.restart();
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
    if (this.#count < this.#length) {
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
    const slack = this.#keepSpread ? Math.max(this.#marginMs, summary.max - summary.min) : this.#marginMs;

    return summary.min >= floorMs + slack;
  }
}
