import { describe, expect, it } from 'vitest';
import { DtmfToneDetector, type DetectedTone } from '../../../src/media/dtmf/DtmfToneDetector.js';

const FREQUENCIES: Record<string, [number, number]> = {
  '1': [697, 1209],
  '5': [770, 1336],
  '9': [852, 1477],
  '0': [941, 1336],
  '#': [941, 1477],
  D: [941, 1633],
};

/** `ms` of a DTMF digit at 8 kHz with per-tone amplitude `amplitude` (and optional extra high-tone gain). */
function dtmf(digit: string, ms: number, amplitude = 6000, highGain = 1): number[] {
  const [low, high] = FREQUENCIES[digit]!;
  return Array.from({ length: (ms * 8000) / 1000 }, (_, n) =>
    Math.round(
      amplitude * Math.sin((2 * Math.PI * low * n) / 8000) +
        highGain * amplitude * Math.sin((2 * Math.PI * high * n) / 8000),
    ),
  );
}

const silence = (ms: number): number[] => new Array<number>((ms * 8000) / 1000).fill(0);

/** Feeds a signal in 20 ms frames and returns the detected digits. */
function detect(signal: number[], detector = new DtmfToneDetector()): DetectedTone[] {
  const digits: DetectedTone[] = [];
  detector.on('digit', (d) => digits.push(d));
  const pcm = Int16Array.from(signal);
  for (let at = 0; at < pcm.length; at += 160) {
    detector.process(pcm.subarray(at, at + 160));
  }
  return digits;
}

describe('DtmfToneDetector', () => {
  it('detects a sequence of digits with their durations', () => {
    const signal = [
      ...silence(60),
      ...dtmf('1', 100),
      ...silence(60),
      ...dtmf('5', 80),
      ...silence(60),
      ...dtmf('#', 200),
      ...silence(60),
      ...dtmf('D', 60),
      ...silence(100),
    ];
    const digits = detect(signal);
    expect(digits.map((d) => d.digit).join('')).toBe('15#D');
    expect(digits.map((d) => d.durationMs)).toEqual([100, 80, 200, 60]);
  });

  it('tolerates tones that are not aligned with blocks', () => {
    const digits = detect([
      ...silence(7),
      ...dtmf('9', 90),
      ...silence(73),
      ...dtmf('0', 90),
      ...silence(60),
    ]);
    expect(digits.map((d) => d.digit).join('')).toBe('90');
  });

  it('ignores tones too short, too quiet or too twisted', () => {
    expect(detect([...dtmf('1', 20), ...silence(100)])).toEqual([]);
    expect(detect([...dtmf('1', 100, 300), ...silence(100)])).toEqual([]);
    expect(detect([...dtmf('1', 100, 3000, 4), ...silence(100)])).toEqual([]);
    expect(detect([...dtmf('1', 100, 6000, 0.25), ...silence(100)])).toEqual([]);
  });

  it('does not fire on single tones, non-DTMF pairs or noise', () => {
    const tone = (hz: number, n: number): number => 8000 * Math.sin((2 * Math.PI * hz * n) / 8000);
    const single = Array.from({ length: 8000 }, (_, n) => Math.round(tone(1000, n)));
    const pair = Array.from({ length: 8000 }, (_, n) => Math.round(tone(500, n) + tone(1100, n)));
    let seed = 7;
    const noise = Array.from({ length: 8000 }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed % 16000) - 8000;
    });
    expect(detect(single)).toEqual([]);
    expect(detect(pair)).toEqual([]);
    expect(detect(noise)).toEqual([]);
  });

  it('is not split by one bad block inside a long tone', () => {
    const tone = dtmf('5', 200);
    // Zero one 20 ms block in the middle of the tone.
    tone.fill(0, 800, 960);
    const digits = detect([...tone, ...silence(100)]);
    expect(digits).toEqual([{ digit: '5', durationMs: 200 }]);
  });

  it('works at 16 kHz', () => {
    const detector = new DtmfToneDetector({ sampleRate: 16000 });
    const digits: string[] = [];
    detector.on('digit', (d) => digits.push(d.digit));
    const [low, high] = FREQUENCIES['#']!;
    const pcm = Int16Array.from({ length: 16000 * 0.12 }, (_, n) =>
      Math.round(
        6000 * Math.sin((2 * Math.PI * low * n) / 16000) + 6000 * Math.sin((2 * Math.PI * high * n) / 16000),
      ),
    );
    detector.process(pcm);
    detector.process(new Int16Array(16000 * 0.1));
    expect(digits).toEqual(['#']);
  });
});
