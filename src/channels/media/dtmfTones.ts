/** Row (low) and column (high) frequencies of each DTMF key (ITU-T Q.23). */
const KEYS: Readonly<Record<string, readonly [number, number]>> = {
  '1': [697, 1209],
  '2': [697, 1336],
  '3': [697, 1477],
  A: [697, 1633],
  '4': [770, 1209],
  '5': [770, 1336],
  '6': [770, 1477],
  B: [770, 1633],
  '7': [852, 1209],
  '8': [852, 1336],
  '9': [852, 1477],
  C: [852, 1633],
  '*': [941, 1209],
  '0': [941, 1336],
  '#': [941, 1477],
  D: [941, 1633],
};

/** Amplitude of each of the two tones (about −10 dBFS each, well clear of clipping together). */
const AMPLITUDE = 7000;

/**
 * In-band DTMF for `digits` at `sampleRate`: each key `toneMs` of its two tones followed by `gapMs` of
 * silence, for legs that negotiated no RFC 4733 telephone-events. Unknown characters are skipped.
 */
export function dtmfTones(digits: string, sampleRate: number, toneMs = 100, gapMs = 60): Int16Array {
  const tone = Math.round((sampleRate * toneMs) / 1000);
  const step = tone + Math.round((sampleRate * gapMs) / 1000);
  const keys = [...digits].flatMap((d) => {
    const key = KEYS[d];
    return key === undefined ? [] : [key];
  });
  const out = new Int16Array(step * keys.length);
  keys.forEach(([low, high], k) => {
    for (let i = 0; i < tone; i++) {
      const t = i / sampleRate;
      out[k * step + i] = Math.round(
        AMPLITUDE * (Math.sin(2 * Math.PI * low * t) + Math.sin(2 * Math.PI * high * t)),
      );
    }
  });

  return out;
}
