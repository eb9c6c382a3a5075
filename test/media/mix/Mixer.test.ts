import { describe, expect, it } from 'vitest';
import { Mixer } from '../../../src/media/mix/Mixer.js';
import { saturate, softLimit } from '../../../src/media/mix/softLimit.js';

/** One 20 ms frame (160 samples at 8 kHz) of a tone. */
const tone = (hz: number, amplitude: number): Int16Array =>
  Int16Array.from({ length: 160 }, (_, n) => Math.round(amplitude * Math.sin((2 * Math.PI * hz * n) / 8000)));

/** Amplitude of the `hz` component of a frame. */
function level(frame: Int16Array, hz: number): number {
  let s = 0;
  let c = 0;
  for (let n = 0; n < frame.length; n++) {
    s += frame[n]! * Math.sin((2 * Math.PI * hz * n) / 8000);
    c += frame[n]! * Math.cos((2 * Math.PI * hz * n) / 8000);
  }
  return (2 * Math.hypot(s, c)) / frame.length;
}

describe('Mixer', () => {
  it('honours hears and heardBy lists (canHear, canSpeak), and mixes everybody again when they are lifted', () => {
    const mixer = new Mixer();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => mixer.addParticipant(id)) as [
      ReturnType<Mixer['addParticipant']>,
      ReturnType<Mixer['addParticipant']>,
      ReturnType<Mixer['addParticipant']>,
    ];
    const speak = (): void => {
      a.write(tone(400, 4000));
      b.write(tone(1000, 4000));
      c.write(tone(2000, 4000));
      mixer.mix();
    };
    // a hears only b; c is heard only by b (a whisper).
    a.hears = new Set(['b']);
    c.heardBy = new Set(['b']);
    speak();
    expect(level(a.output, 1000)).toBeCloseTo(4000, -1);
    expect(level(a.output, 2000)).toBeLessThan(1);
    expect(level(b.output, 400)).toBeCloseTo(4000, -1);
    expect(level(b.output, 2000)).toBeCloseTo(4000, -1);
    expect(level(c.output, 400)).toBeCloseTo(4000, -1);
    expect(level(c.output, 1000)).toBeCloseTo(4000, -1);
    expect(level(c.output, 2000)).toBeLessThan(1);
    a.hears = null;
    c.heardBy = null;
    speak();
    expect(level(a.output, 2000)).toBeCloseTo(4000, -1);
  });

  it('gives each participant the sum of the others, never itself', () => {
    const mixer = new Mixer();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => mixer.addParticipant(id)) as [
      ReturnType<Mixer['addParticipant']>,
      ReturnType<Mixer['addParticipant']>,
      ReturnType<Mixer['addParticipant']>,
    ];
    // 400 Hz, 1000 Hz and 2000 Hz complete whole cycles in 20 ms, so the levels measure cleanly.
    a.write(tone(400, 4000));
    b.write(tone(1000, 4000));
    c.write(tone(2000, 4000));
    mixer.mix();
    expect(level(a.output, 400)).toBeLessThan(1);
    expect(level(a.output, 1000)).toBeCloseTo(4000, -1);
    expect(level(a.output, 2000)).toBeCloseTo(4000, -1);
    expect(level(b.output, 1000)).toBeLessThan(1);
    expect(level(b.output, 400)).toBeCloseTo(4000, -1);
    expect(level(c.output, 2000)).toBeLessThan(1);
    // Below the limiter threshold the mix is bit-exact.
    const expected = tone(1000, 4000).map((v, i) => v + tone(2000, 4000)[i]!);
    expect(Array.from(a.output)).toEqual(Array.from(expected));
  });

  it('honours mute (contributes nothing) and earmuff (hears nothing)', () => {
    const mixer = new Mixer();
    const a = mixer.addParticipant('a');
    const b = mixer.addParticipant('b');
    const c = mixer.addParticipant('c');
    b.muted = true;
    c.earmuffed = true;
    a.write(tone(400, 3000));
    b.write(tone(1000, 3000));
    c.write(tone(2000, 3000));
    mixer.mix();
    expect(level(a.output, 1000)).toBeLessThan(1);
    expect(level(a.output, 2000)).toBeCloseTo(3000, -1);
    expect(level(b.output, 400)).toBeCloseTo(3000, -1);
    expect(level(b.output, 2000)).toBeCloseTo(3000, -1);
    expect(c.output.every((s) => s === 0)).toBe(true);
  });

  it('treats a participant that wrote nothing as silent, and forgets input after each mix', () => {
    const mixer = new Mixer();
    const a = mixer.addParticipant('a');
    const b = mixer.addParticipant('b');
    a.write(tone(400, 3000));
    mixer.mix();
    expect(level(b.output, 400)).toBeCloseTo(3000, -1);
    mixer.mix();
    expect(b.output.every((s) => s === 0)).toBe(true);
  });

  it('hears a frame whose only sound is one sample, wherever it lies, even in a frame of odd length', () => {
    for (const frameSamples of [160, 161]) {
      for (const at of [0, 1, 80, 81, frameSamples - 2, frameSamples - 1]) {
        const mixer = new Mixer({ frameSamples });
        const a = mixer.addParticipant('a');
        const b = mixer.addParticipant('b');
        const click = new Int16Array(frameSamples);
        click[at] = -7;
        a.write(click);
        b.write(new Int16Array(frameSamples));
        mixer.mix();
        expect(Array.from(b.output)).toEqual(Array.from(click));
        expect(a.output.every((s) => s === 0)).toBe(true);
      }
    }
  });

  it('never wraps around when loud parties overlap', () => {
    for (const limiter of ['soft', 'saturate'] as const) {
      const mixer = new Mixer({ limiter });
      const parties = Array.from({ length: 4 }, (_, i) => mixer.addParticipant(`p${i}`));
      const listener = mixer.addParticipant('listener');
      for (const party of parties) {
        party.write(tone(400, 30000));
      }
      mixer.mix();
      const out = listener.output;
      const peak = Math.max(...out);
      const trough = Math.min(...out);
      expect(peak).toBeLessThanOrEqual(32767);
      expect(peak).toBeGreaterThan(30000);
      expect(trough).toBeGreaterThanOrEqual(-32768);
      // The waveform keeps its sign: no wrap-around from positive to negative.
      for (let n = 0; n < 160; n++) {
        const expectedSign = Math.sign(tone(400, 30000)[n]!);
        expect(Math.sign(out[n]!)).toBe(expectedSign);
      }
    }
  });

  it('matches the definition (the others summed, then limited) whether one, two or more others speak', () => {
    // Frames that exercise each path: digital silence, quiet speech, a lone speaker above the limiter's
    // threshold (soft-limited on its own), and overlaps that need the sum.
    const frames = [
      new Int16Array(160),
      tone(400, 3000),
      tone(1000, 30000),
      Int16Array.from({ length: 160 }, (_, n) => (n === 80 ? -32768 : 0)),
      tone(2000, 20000),
    ];
    for (const limiter of ['soft', 'saturate'] as const) {
      for (const count of [2, 3, 4]) {
        const mixer = new Mixer({ limiter });
        const parties = Array.from({ length: count }, (_, i) => mixer.addParticipant(`p${i}`));
        for (let round = 0; round < 60; round++) {
          // A deterministic spread of who says what; some say nothing at all.
          const said = parties.map((_, i) =>
            (round * 7 + i * 3) % 7 < 5 ? frames[(round + i * 2) % 5] : undefined,
          );
          parties.forEach((party, i) => {
            const frame = said[i];
            if (frame !== undefined) {
              party.write(frame);
            }
          });
          mixer.mix();
          parties.forEach((party, i) => {
            const expected = Array.from({ length: 160 }, (_, n) => {
              let sum = 0;
              said.forEach((frame, j) => {
                sum += j === i || frame === undefined ? 0 : frame[n]!;
              });
              return limiter === 'soft' ? softLimit(sum, 24576) : saturate(sum);
            });
            expect(Array.from(party.output)).toEqual(expected);
          });
        }
      }
    }
  });

  it('removes participants and validates frames and ids', () => {
    const mixer = new Mixer();
    const a = mixer.addParticipant('a');
    expect(() => mixer.addParticipant('a')).toThrow(/already exists/);
    expect(() => a.write(new Int16Array(10))).toThrow(/expects 160/);
    a.remove();
    a.remove();
    expect(mixer.size).toBe(0);
    expect(mixer.getParticipant('a')).toBeUndefined();
    expect(() => a.write(new Int16Array(160))).toThrow(/removed/);
  });
});

describe('limiters', () => {
  it('leaves quiet samples alone and stays monotonic and bounded above the threshold', () => {
    expect(softLimit(1000, 24576)).toBe(1000);
    expect(softLimit(-24576, 24576)).toBe(-24576);
    let previous = 24576;
    for (let v = 24577; v < 200000; v += 97) {
      const y = softLimit(v, 24576);
      expect(y).toBeGreaterThanOrEqual(previous);
      expect(y).toBeLessThanOrEqual(32767);
      expect(softLimit(-v, 24576)).toBe(-y);
      previous = y;
    }
    expect(saturate(40000)).toBe(32767);
    expect(saturate(-40000)).toBe(-32768);
    expect(saturate(123)).toBe(123);
  });
});
