import { describe, expect, it } from 'vitest';
import { Resampler } from '../../../src/media/resample/Resampler.js';
import { besselI0, designLowPass } from '../../../src/media/resample/lowPassDesign.js';

/** A sine of `seconds` at `rate`, amplitude `amplitude`, optionally delayed by `delay` seconds. */
function sine(rate: number, hz: number, seconds: number, amplitude = 16000): Int16Array {
  return Int16Array.from({ length: Math.round(rate * seconds) }, (_, n) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * hz * n) / rate)),
  );
}

/** Runs a signal through a resampler in 20 ms frames and joins the output. */
function inFrames(resampler: Resampler, signal: Int16Array): Int16Array {
  const frame = resampler.inputRate / 50;
  const parts: number[] = [];
  for (let at = 0; at < signal.length; at += frame) {
    parts.push(...resampler.process(signal.subarray(at, at + frame)));
  }
  return Int16Array.from(parts);
}

/** Amplitude of the `hz` component of `signal` (least-squares fit of a sine and a cosine). */
function toneAmplitude(signal: Int16Array, rate: number, hz: number, from: number): number {
  let s = 0;
  let c = 0;
  let n = 0;
  for (let i = from; i < signal.length; i++) {
    s += signal[i]! * Math.sin((2 * Math.PI * hz * i) / rate);
    c += signal[i]! * Math.cos((2 * Math.PI * hz * i) / rate);
    n += 1;
  }
  return (2 * Math.hypot(s, c)) / n;
}

/** Root mean square of `signal` from index `from`. */
function rms(signal: Int16Array, from: number): number {
  let sum = 0;
  for (let i = from; i < signal.length; i++) {
    sum += signal[i]! ** 2;
  }
  return Math.sqrt(sum / (signal.length - from));
}

describe('low-pass design', () => {
  it('computes I0 and a symmetric unity-gain filter', () => {
    expect(besselI0(0)).toBe(1);
    expect(besselI0(1)).toBeCloseTo(1.2660658777, 9);
    const taps = designLowPass({ sampleRate: 16000, passbandHz: 3400, stopbandHz: 4000, attenuationDb: 70 });
    expect(taps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let i = 0; i < taps.length; i++) {
      expect(taps[i]).toBeCloseTo(taps[taps.length - 1 - i]!, 12);
    }
  });
});

describe('Resampler', () => {
  it('yields exact frame sizes for every pair of 8/16/24/48 kHz', () => {
    const rates = [8000, 16000, 24000, 48000];
    for (const inputRate of rates) {
      for (const outputRate of rates) {
        const r = new Resampler({ inputRate, outputRate });
        for (let i = 0; i < 5; i++) {
          expect(r.process(new Int16Array(inputRate / 50)).length).toBe(outputRate / 50);
        }
      }
    }
  });

  it('round-trips a 1 kHz sine 8 → 16 → 8 kHz at 60 dB SNR or better', () => {
    const up = new Resampler({ inputRate: 8000, outputRate: 16000 });
    const down = new Resampler({ inputRate: 16000, outputRate: 8000 });
    const input = sine(8000, 1000, 1);
    const output = inFrames(down, inFrames(up, input));
    expect(output.length).toBe(input.length);
    const delay = up.delaySeconds + down.delaySeconds;
    // Skip the warm-up: twice the total delay plus 5 ms.
    const from = Math.ceil((2 * delay + 0.005) * 8000);
    let signal = 0;
    let noise = 0;
    for (let n = from; n < output.length; n++) {
      const expected = 16000 * Math.sin(2 * Math.PI * 1000 * (n / 8000 - delay));
      signal += expected ** 2;
      noise += (output[n]! - expected) ** 2;
    }
    const snr = 10 * Math.log10(signal / noise);
    expect(snr).toBeGreaterThanOrEqual(60);
  });

  it('attenuates a 6 kHz tone by 50 dB or more when going 48 → 8 kHz', () => {
    const r = new Resampler({ inputRate: 48000, outputRate: 8000 });
    const output = inFrames(r, sine(48000, 6000, 0.5));
    const from = Math.ceil((2 * r.delaySeconds + 0.005) * 8000);
    const attenuation = 20 * Math.log10(16000 / (Math.SQRT2 * rms(output, from)));
    expect(attenuation).toBeGreaterThanOrEqual(50);
  });

  it('passes an in-band tone at unity gain when decimating', () => {
    const r = new Resampler({ inputRate: 48000, outputRate: 8000 });
    const output = inFrames(r, sine(48000, 1000, 0.5));
    const from = Math.ceil((2 * r.delaySeconds + 0.005) * 8000);
    expect(toneAmplitude(output, 8000, 1000, from) / 16000).toBeCloseTo(1, 3);
  });

  it('suppresses the image of a 1 kHz tone when interpolating 8 → 48 kHz', () => {
    const r = new Resampler({ inputRate: 8000, outputRate: 48000 });
    const output = inFrames(r, sine(8000, 1000, 0.5));
    const from = Math.ceil((2 * r.delaySeconds + 0.005) * 48000);
    const wanted = toneAmplitude(output, 48000, 1000, from);
    const image = toneAmplitude(output, 48000, 7000, from);
    expect(wanted / 16000).toBeCloseTo(1, 3);
    expect(20 * Math.log10(wanted / image)).toBeGreaterThanOrEqual(60);
  });

  it('gives the same output whatever the chunking (no clicks at frame boundaries)', () => {
    const input = sine(16000, 440, 0.3);
    const whole = new Resampler({ inputRate: 16000, outputRate: 24000 }).process(input);
    const chunked = new Resampler({ inputRate: 16000, outputRate: 24000 });
    const parts: number[] = [];
    const sizes = [1, 7, 320, 13, 100, 2000];
    let at = 0;
    for (let i = 0; at < input.length; i++) {
      const size = sizes[i % sizes.length]!;
      parts.push(...chunked.process(input.subarray(at, at + size)));
      at += size;
    }
    expect(parts.length).toBe(whole.length);
    expect(Int16Array.from(parts)).toEqual(whole);
  });

  it('writes into a caller buffer and saturates instead of wrapping', () => {
    const r = new Resampler({ inputRate: 8000, outputRate: 16000 });
    const out = new Int16Array(r.maxOutputLength(160));
    // A full-scale square wave overshoots (Gibbs); the output must clip, never wrap around.
    const square = Int16Array.from({ length: 160 }, (_, i) =>
      Math.floor(i / 10) % 2 === 0 ? 32767 : -32768,
    );
    let result = r.process(square, out);
    result = r.process(square, out);
    expect(result.buffer).toBe(out.buffer);
    const max = Math.max(...result);
    const min = Math.min(...result);
    expect(max).toBe(32767);
    expect(min).toBe(-32768);
  });

  it('passes through when both rates are equal, and rejects invalid rates', () => {
    const r = new Resampler({ inputRate: 16000, outputRate: 16000 });
    expect(Array.from(r.process(Int16Array.of(1, 2, 3)))).toEqual([1, 2, 3]);
    expect(r.delaySeconds).toBe(0);
    expect(() => new Resampler({ inputRate: 0, outputRate: 8000 })).toThrow(/invalid resampling rates/);
  });

  it('resets its history', () => {
    const r = new Resampler({ inputRate: 8000, outputRate: 16000 });
    const first = r.process(sine(8000, 500, 0.02));
    r.process(sine(8000, 700, 0.02));
    r.reset();
    expect(r.process(sine(8000, 500, 0.02))).toEqual(first);
  });

  it('runs 8 ↔ 16 kHz as a half-band filter: the round trip keeps 60 dB SNR, as does the full filter', () => {
    for (const transitionBand of ['centred', 'below-nyquist'] as const) {
      const up = new Resampler({ inputRate: 8000, outputRate: 16000, transitionBand });
      const down = new Resampler({ inputRate: 16000, outputRate: 8000, transitionBand });
      // The half-band filter needs a quarter of the multiplies of the full one.
      expect(up.tapsPerOutput).toBeLessThan(transitionBand === 'centred' ? 10 : 100);
      const input = sine(8000, 1000, 1);
      const output = inFrames(down, inFrames(up, input));
      const delay = up.delaySeconds + down.delaySeconds;
      const from = Math.ceil((2 * delay + 0.005) * 8000);
      let signal = 0;
      let noise = 0;
      for (let n = from; n < output.length; n++) {
        const expected = 16000 * Math.sin(2 * Math.PI * 1000 * (n / 8000 - delay));
        signal += expected ** 2;
        noise += (output[n]! - expected) ** 2;
      }
      expect(10 * Math.log10(signal / noise)).toBeGreaterThanOrEqual(60);
    }
  });

  it('keeps the input samples exactly when interpolating 8 → 16 kHz, and holds the image 65 dB down', () => {
    const r = new Resampler({ inputRate: 8000, outputRate: 16000 });
    const input = sine(8000, 1000, 0.5);
    const output = inFrames(r, input);
    const lag = Math.round(r.delaySeconds * 8000);
    for (let n = lag; n < input.length; n++) {
      expect(output[2 * n]).toBe(input[n - lag]);
    }
    const from = Math.ceil((2 * r.delaySeconds + 0.005) * 16000);
    const wanted = toneAmplitude(output, 16000, 1000, from);
    const image = toneAmplitude(output, 16000, 7000, from);
    expect(wanted / 16000).toBeCloseTo(1, 3);
    expect(20 * Math.log10(wanted / image)).toBeGreaterThanOrEqual(65);
  });

  it('attenuates a stop-band tone by 65 dB when decimating 16 → 8 kHz', () => {
    const r = new Resampler({ inputRate: 16000, outputRate: 8000 });
    const output = inFrames(r, sine(16000, 5000, 0.5));
    const from = Math.ceil((2 * r.delaySeconds + 0.005) * 8000);
    const attenuation = 20 * Math.log10(16000 / (Math.SQRT2 * rms(output, from)));
    expect(attenuation).toBeGreaterThanOrEqual(65);
  });

  it('gives the same output whatever the chunking through speech and digital silence, for every path', () => {
    const pairs = [
      [8000, 16000],
      [16000, 8000],
      [16000, 24000],
      [48000, 8000],
    ] as const;
    for (const [inputRate, outputRate] of pairs) {
      // Tone, 50 ms of digital silence (the filter may skip it), tone again.
      const tone = sine(inputRate, 440, 0.1);
      const input = new Int16Array(tone.length * 2 + inputRate / 20);
      input.set(tone);
      input.set(tone, tone.length + inputRate / 20);
      const whole = new Resampler({ inputRate, outputRate }).process(input);
      const chunked = new Resampler({ inputRate, outputRate });
      const parts: number[] = [];
      const sizes = [1, 7, inputRate / 50, 13, 100, 2000];
      let at = 0;
      for (let i = 0; at < input.length; i++) {
        const size = sizes[i % sizes.length]!;
        parts.push(...chunked.process(input.subarray(at, at + size)));
        at += size;
      }
      expect(Int16Array.from(parts)).toEqual(whole);
      // The silent stretch came out silent once the filter tail had passed.
      const tail = Math.ceil(2 * chunked.delaySeconds * outputRate) + 2;
      const silenceStart = Math.round((tone.length * outputRate) / inputRate) + tail;
      const silenceEnd = Math.round(((tone.length + inputRate / 20) * outputRate) / inputRate) - tail;
      expect(whole.subarray(silenceStart, silenceEnd).every((v) => v === 0)).toBe(true);
    }
  });
});
