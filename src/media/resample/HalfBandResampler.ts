import { designHalfBand } from './lowPassDesign.js';

/** Side taps shared by every half-band resampler of the same design. */
const tapCache = new Map<string, Float64Array>();

/** The side taps a₁…a_J for one design (see `designHalfBand`), cached. */
function sideTapsFor(attenuationDb: number, passbandFraction: number): Float64Array {
  const key = `${attenuationDb}:${passbandFraction}`;
  let taps = tapCache.get(key);
  if (taps === undefined) {
    taps = designHalfBand({ attenuationDb, passbandFraction });
    tapCache.set(key, taps);
  }

  return taps;
}

/**
 * A streaming 2:1 or 1:2 resampler for 16-bit PCM built on a symmetric half-band FIR (8 ↔ 16 kHz,
 * 24 ↔ 48 kHz). Half of a half-band's taps are zero and the rest come in equal pairs, so:
 *
 * - interpolating, every even output is the input sample itself (the centre tap is exactly 1/2, times the
 *   gain of 2) and every odd output costs J multiplies over J pairs of samples;
 * - decimating, each output costs J + 1 multiplies over 4J − 1 samples.
 *
 * That is about a quarter of the work of the general polyphase filter for the same stop band. The
 * transition band is centred on the lower rate's Nyquist frequency, as in most telephony resamplers:
 * imaging and aliasing are held `attenuationDb` down outside it, and a tone inside it (above the pass band
 * of a narrowband call, 3.4 kHz at the defaults) may alias into it when decimating.
 *
 * Input history carries over between calls, so any chunking gives the same output. A run of digital
 * silence with silent history is passed through without filtering (the result is exactly zero anyway).
 * Built by {@link Resampler}; use that class.
 */
export class HalfBandResampler {
  readonly #upsample: boolean;
  // Coefficients applied to each symmetric pair: 2a_j when interpolating (gain 2), a_j when decimating.
  readonly #coefficients: Float64Array;
  readonly #sideTaps: number;
  // Samples of history kept before each chunk: 2J − 1 when interpolating, 4J − 2 when decimating.
  readonly #history: number;
  #buffer: Int16Array;
  // Decimating: index, relative to the next chunk, of the newest sample of the next output's window.
  #position = 0;
  // Trailing zero samples in the buffer (capped); when it covers the history the filter state is silent.
  #trailingZeros: number;

  /**
   * @param upsample - true for 1:2 (interpolation), false for 2:1 (decimation)
   * @param attenuationDb - stop-band attenuation in dB
   * @param passbandFraction - pass-band edge as a fraction of the lower rate's Nyquist frequency
   */
  constructor(upsample: boolean, attenuationDb: number, passbandFraction: number) {
    this.#upsample = upsample;
    const taps = sideTapsFor(attenuationDb, passbandFraction);
    this.#sideTaps = taps.length;
    this.#coefficients = Float64Array.from(taps, (a) => (upsample ? 2 * a : a));
    this.#history = upsample ? 2 * taps.length - 1 : 4 * taps.length - 2;
    this.#buffer = new Int16Array(this.#history + 960);
    this.#trailingZeros = this.#history;
  }

  /**
   * Delay the filter adds, in seconds, given the input rate: J input samples when interpolating,
   * 2J − 1 input samples when decimating.
   */
  delaySeconds(inputRate: number): number {
    return (this.#upsample ? this.#sideTaps : 2 * this.#sideTaps - 1) / inputRate;
  }

  /** Multiplies per output sample, on average (a cost indicator). */
  get tapsPerOutput(): number {
    return this.#upsample ? this.#sideTaps / 2 : this.#sideTaps + 1;
  }

  /** Upper bound on the number of samples {@link process} returns for `inputLength` input samples. */
  maxOutputLength(inputLength: number): number {
    return this.#upsample ? 2 * inputLength : (inputLength + 1) >> 1;
  }

  /** Forgets all history, as if freshly built. */
  reset(): void {
    this.#buffer.fill(0);
    this.#position = 0;
    this.#trailingZeros = this.#history;
  }

  /** Resamples one chunk into `target` (which holds {@link maxOutputLength} samples); returns the count. */
  process(input: Int16Array, target: Int16Array): number {
    const length = input.length;
    const history = this.#history;
    const inputZeros = trailingZeros(input);
    if (inputZeros === length && this.#trailingZeros >= history) {
      // Silence in, silent history: the output is exactly zero, and the history (all zeros) stays as it is.
      this.#trailingZeros = Math.min(history, this.#trailingZeros + length);
      const produced = this.#outputCount(length);
      target.fill(0, 0, produced);
      this.#advance(length, produced);

      return produced;
    }
    if (this.#buffer.length < history + length) {
      const grown = new Int16Array(history + length);
      grown.set(this.#buffer.subarray(0, history));
      this.#buffer = grown;
    }
    const buffer = this.#buffer;
    buffer.set(input, history);
    this.#trailingZeros =
      inputZeros === length ? Math.min(history, this.#trailingZeros + length) : inputZeros;
    const produced = this.#outputCount(length);
    if (this.#upsample) {
      this.#interpolate(buffer, length, target);
    } else {
      this.#decimate(buffer, produced, target);
    }
    this.#advance(length, produced);
    // Keep the last samples as history for the next chunk.
    buffer.copyWithin(0, length, length + history);

    return produced;
  }

  /** Outputs for a chunk of `length` input samples. */
  #outputCount(length: number): number {
    if (this.#upsample) {
      return 2 * length;
    }
    let produced = 0;
    for (let position = this.#position; position < length; position += 2) {
      produced += 1;
    }

    return produced;
  }

  /** Decimating, moves the position of the next output on past a chunk that gave `produced` outputs. */
  #advance(length: number, produced: number): void {
    if (!this.#upsample) {
      this.#position = this.#position + 2 * produced - length;
    }
  }

  /** Two outputs per input sample: the sample itself, then the half-way point between it and the next. */
  #interpolate(buffer: Int16Array, length: number, target: Int16Array): void {
    const coefficients = this.#coefficients;
    const sideTaps = this.#sideTaps;
    for (let p = 0; p < length; p++) {
      // Pair p is centred between buffer[p + J − 1] and buffer[p + J].
      const left = p + sideTaps - 1;
      let acc0 = 0;
      let acc1 = 0;
      let j = 0;
      for (; j + 1 < sideTaps; j += 2) {
        acc0 += coefficients[j]! * (buffer[left - j]! + buffer[left + 1 + j]!);
        acc1 += coefficients[j + 1]! * (buffer[left - j - 1]! + buffer[left + 2 + j]!);
      }
      if (j < sideTaps) {
        acc0 += coefficients[j]! * (buffer[left - j]! + buffer[left + 1 + j]!);
      }
      const rounded = Math.round(acc0 + acc1);
      target[2 * p] = buffer[left]!;
      target[2 * p + 1] = rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
    }
  }

  /** One output per two input samples: half the centre plus J symmetric pairs. */
  #decimate(buffer: Int16Array, produced: number, target: Int16Array): void {
    const coefficients = this.#coefficients;
    const sideTaps = this.#sideTaps;
    // The window of the output whose newest sample is at chunk index `position` is centred 2J − 1 back.
    let centre = this.#position + this.#history - (2 * sideTaps - 1);
    for (let q = 0; q < produced; q++, centre += 2) {
      let acc0 = 0.5 * buffer[centre]!;
      let acc1 = 0;
      let j = 0;
      for (; j + 1 < sideTaps; j += 2) {
        const d0 = 2 * j + 1;
        acc0 += coefficients[j]! * (buffer[centre - d0]! + buffer[centre + d0]!);
        acc1 += coefficients[j + 1]! * (buffer[centre - d0 - 2]! + buffer[centre + d0 + 2]!);
      }
      if (j < sideTaps) {
        const d0 = 2 * j + 1;
        acc0 += coefficients[j]! * (buffer[centre - d0]! + buffer[centre + d0]!);
      }
      const rounded = Math.round(acc0 + acc1);
      target[q] = rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
    }
  }
}

/** Number of zero samples at the end of `samples`. */
function trailingZeros(samples: Int16Array): number {
  let i = samples.length;
  while (i > 0 && samples[i - 1] === 0) {
    i -= 1;
  }

  return samples.length - i;
}
