// What the measured process of `npm run bench:media` reports for `--timeline`, one row per second of the
// window: shared by bench/mediaConfab.ts, which fills it, and bench/media.ts, which prints it.

/** One second of the measured window, as the confab process saw it. */
export interface TimelineRow {
  /** When the row was taken, in ms since the window opened. */
  atMs: number;
  /** What the counters summed over the calls rose by during the second (stand-downs, underruns…). */
  counters: Record<string, number>;
  /** The clock's highest average lag (`ClockTick.lagMs`) seen in the second, in ms. */
  maxLagMs: number;
  /** How late the latest tick of the second ran (`ClockTick.lateMs`), in ms. */
  maxLateMs: number;
  /** The event loop's worst delay in the second, in ms. */
  loopMaxMs: number;
  /** Garbage collections in the second (as `PerformanceObserver` reports them), and the longest, in ms. */
  gcCount: number;
  gcMaxMs: number;
  /** How long the main thread was ready to run but waited for a CPU in the second, in ms (NaN: unknown). */
  runQueueMs: number;
}
