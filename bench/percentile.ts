// The percentile pick the media bench scripts share.

/** The value at percentile `p` (0–100) of `values` (any order; not modified), NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);

  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
