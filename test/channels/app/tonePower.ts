/** Power of one frequency in a signal (the Goertzel algorithm), for telling two tones apart in a mix. */
export function tonePower(signal: Int16Array, hz: number, sampleRate: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let previous = 0;
  let beforePrevious = 0;
  for (const sample of signal) {
    const current = sample + coefficient * previous - beforePrevious;
    beforePrevious = previous;
    previous = current;
  }

  return (
    (previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious) /
    Math.max(1, signal.length)
  );
}
