/** Test helpers shared by the bus and WebSocket tests: a continuous tone source and a frequency probe. */

/** A source of consecutive 20 ms frames of a sine tone, phase-continuous across frames. */
export function toneSource(hz: number, sampleRate: number, amplitude = 8000): () => Int16Array {
  const frameSamples = (sampleRate * 20) / 1000;
  let n = 0;

  return () => {
    const frame = new Int16Array(frameSamples);
    for (let i = 0; i < frameSamples; i++, n++) {
      frame[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * n) / sampleRate));
    }
    return frame;
  };
}

/** Joins frames into one signal. */
export function concat(frames: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((sum, f) => sum + f.length, 0));
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}

/**
 * Frequency of a tone from its positive-going zero crossings, interpolated between samples for sub-sample
 * precision: (crossings − 1) cycles between the first and last crossing.
 */
export function zeroCrossingHz(signal: Int16Array, sampleRate: number): number {
  const crossings: number[] = [];
  for (let i = 1; i < signal.length; i++) {
    const a = signal[i - 1]!;
    const b = signal[i]!;
    if (a < 0 && b >= 0) {
      crossings.push(i - 1 + -a / (b - a));
    }
  }
  if (crossings.length < 2) {
    return 0;
  }
  const span = crossings[crossings.length - 1]! - crossings[0]!;
  return ((crossings.length - 1) * sampleRate) / span;
}

/** Root-mean-square level of a signal. */
export function rms(signal: Int16Array): number {
  let sum = 0;
  for (const v of signal) {
    sum += v * v;
  }
  return signal.length === 0 ? 0 : Math.sqrt(sum / signal.length);
}
