/** Measuring a tone in received audio frames, for the end-to-end media tests. */
import { concat, rms, zeroCrossingHz } from '../media/bus/audioProbe.js';

/** Runs of consecutive frames louder than `threshold` (RMS), longest first. */
export function voicedRuns(frames: readonly Int16Array[], threshold: number): Int16Array[][] {
  const runs: Int16Array[][] = [];
  let run: Int16Array[] = [];
  for (const frame of frames) {
    if (rms(frame) > threshold) {
      run.push(frame);
    } else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) {
    runs.push(run);
  }
  runs.sort((a, b) => b.length - a.length);

  return runs.length === 0 ? [[]] : runs;
}

/**
 * The frequency of a tone carried by consecutive frames: the median of zero-crossing estimates over 40 ms
 * windows, leaving out two frames at each end (onset and filter tails). A frame the path skipped or
 * repeated disturbs one window, not the estimate.
 */
export function toneHz(frames: readonly Int16Array[], sampleRate: number): number {
  return median(windowEstimates(frames, sampleRate));
}

/**
 * As {@link toneHz} over several runs of voiced frames (a path under load may break the tone into pieces):
 * the median of the window estimates of every run of at least six frames.
 */
export function toneHzOfRuns(runs: readonly (readonly Int16Array[])[], sampleRate: number): number {
  return median(runs.filter((run) => run.length >= 6).flatMap((run) => windowEstimates(run, sampleRate)));
}

/** Zero-crossing estimates over the 40 ms windows of a run, two frames at each end left out. */
function windowEstimates(frames: readonly Int16Array[], sampleRate: number): number[] {
  const inner = frames.length > 6 ? frames.slice(2, -2) : frames;
  const estimates: number[] = [];
  for (let i = 0; i + 1 < inner.length; i++) {
    estimates.push(zeroCrossingHz(concat([inner[i]!, inner[i + 1]!]), sampleRate));
  }

  return estimates;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);

  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
