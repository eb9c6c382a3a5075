/** Full scale of 16-bit PCM. */
const FULL_SCALE = 32767;

/**
 * Maps a sum of samples onto 16 bits: identical below `threshold`, then a tanh knee that approaches full
 * scale without ever reaching past it. Loud overlaps are compressed instead of clipped into harsh square
 * tops; quiet speech passes bit-exact.
 *
 * @param value - the unclipped sum
 * @param threshold - magnitude where limiting starts, below 32767
 */
export function softLimit(value: number, threshold: number): number {
  const magnitude = value < 0 ? -value : value;
  if (magnitude <= threshold) {
    return value;
  }
  const headroom = FULL_SCALE - threshold;
  const limited = threshold + headroom * Math.tanh((magnitude - threshold) / headroom);
  const rounded = Math.round(limited);

  return value < 0 ? -rounded : rounded;
}

/** Clamps a sum of samples to the 16-bit range (hard clipping). */
export function saturate(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : value;
}
