import { designHalfBand } from './lowPassDesign.js';

/** Side taps shared by every half-band resampler of the same design. */
const tapCache = new Map<string, Float64Array>();

/**
 * The one working buffer of every half-band resampler (history, then the current chunk, as doubles; it
 * grows to the largest chunk seen). Chunks are processed one at a time on this thread, and sharing it
 * keeps a single hot buffer in the cache instead of one per call.
 */
let work = new Float64Array(1024);

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
  // The last input samples, carried into the next chunk's window. They are doubles, as in the working
  // buffer: the filter loops read each sample many times, and reading a double needs no conversion.
  readonly #tail: Float64Array;
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
    this.#tail = new Float64Array(this.#history);
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
    this.#tail.fill(0);
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
    if (work.length < history + length) {
      work = new Float64Array(history + length);
    }
    const buffer = work;
    const tail = this.#tail;
    for (let i = 0; i < history; i++) {
      buffer[i] = tail[i]!;
    }
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
    for (let i = 0; i < history; i++) {
      tail[i] = buffer[length + i]!;
    }

    return produced;
  }

  /** Outputs for a chunk of `length` input samples. */
  #outputCount(length: number): number {
    if (this.#upsample) {
      return 2 * length;
    }
    // Decimating: one output at each of position, position + 2, … below length.
    const position = this.#position;

    return position < length ? ((length - position - 1) >> 1) + 1 : 0;
  }

  /** Decimating, moves the position of the next output on past a chunk that gave `produced` outputs. */
  #advance(length: number, produced: number): void {
    if (!this.#upsample) {
      this.#position = this.#position + 2 * produced - length;
    }
  }

  /**
   * Two outputs per input sample: the sample itself, then the half-way point between it and the next.
   *
   * The loops make two half-way points at a time, three taps at a step: the two windows are one sample
   * apart, so each coefficient and most samples are loaded once for both. (About 40 % faster than one
   * point and one tap at a time; the order of the additions changes the rounding of at most the last
   * bit, never the result's 16 bits in practice.)
   */
  #interpolate(buffer: Float64Array, length: number, target: Int16Array): void {
    const coefficients = this.#coefficients;
    const sideTaps = this.#sideTaps;
    let p = 0;
    for (; p + 1 < length; p += 2) {
      // Point p is centred between buffer[left] and buffer[left + 1]; point p + 1 one sample later.
      const left = p + sideTaps - 1;
      let acc0 = 0;
      let acc1 = 0;
      let j = 0;
      for (; j + 2 < sideTaps; j += 3) {
        const low = left - j;
        const high = left + 1 + j;
        const c0 = coefficients[j]!;
        const c1 = coefficients[j + 1]!;
        const c2 = coefficients[j + 2]!;
        const before = buffer[low + 1]!;
        const l0 = buffer[low]!;
        const l1 = buffer[low - 1]!;
        const l2 = buffer[low - 2]!;
        const h0 = buffer[high]!;
        const h1 = buffer[high + 1]!;
        const h2 = buffer[high + 2]!;
        const h3 = buffer[high + 3]!;
        acc0 += c0 * (l0 + h0) + c1 * (l1 + h1) + c2 * (l2 + h2);
        acc1 += c0 * (before + h1) + c1 * (l0 + h2) + c2 * (l1 + h3);
      }
      for (; j < sideTaps; j++) {
        const coefficient = coefficients[j]!;
        const low = left - j;
        const high = left + 1 + j;
        acc0 += coefficient * (buffer[low]! + buffer[high]!);
        acc1 += coefficient * (buffer[low + 1]! + buffer[high + 1]!);
      }
      target[2 * p] = buffer[left]!;
      target[2 * p + 1] = toInt16(acc0);
      target[2 * p + 2] = buffer[left + 1]!;
      target[2 * p + 3] = toInt16(acc1);
    }
    if (p < length) {
      const left = p + sideTaps - 1;
      let acc = 0;
      for (let j = 0; j < sideTaps; j++) {
        acc += coefficients[j]! * (buffer[left - j]! + buffer[left + 1 + j]!);
      }
      target[2 * p] = buffer[left]!;
      target[2 * p + 1] = toInt16(acc);
    }
  }

  /**
   * One output per two input samples: half the centre plus J symmetric pairs. Two outputs at a time,
   * three taps at a step, as in {@link #interpolate}: the windows are two samples apart.
   */
  #decimate(buffer: Float64Array, produced: number, target: Int16Array): void {
    const coefficients = this.#coefficients;
    const sideTaps = this.#sideTaps;
    // The window of the output whose newest sample is at chunk index `position` is centred 2J − 1 back.
    let centre = this.#position + this.#history - (2 * sideTaps - 1);
    let q = 0;
    for (; q + 1 < produced; q += 2, centre += 4) {
      let acc0 = 0.5 * buffer[centre]!;
      let acc1 = 0.5 * buffer[centre + 2]!;
      let j = 0;
      for (; j + 2 < sideTaps; j += 3) {
        const low = centre - 2 * j - 1;
        const high = centre + 2 * j + 1;
        const c0 = coefficients[j]!;
        const c1 = coefficients[j + 1]!;
        const c2 = coefficients[j + 2]!;
        const before = buffer[low + 2]!;
        const l0 = buffer[low]!;
        const l1 = buffer[low - 2]!;
        const l2 = buffer[low - 4]!;
        const h0 = buffer[high]!;
        const h1 = buffer[high + 2]!;
        const h2 = buffer[high + 4]!;
        const h3 = buffer[high + 6]!;
        acc0 += c0 * (l0 + h0) + c1 * (l1 + h1) + c2 * (l2 + h2);
        acc1 += c0 * (before + h1) + c1 * (l0 + h2) + c2 * (l1 + h3);
      }
      for (; j < sideTaps; j++) {
        const coefficient = coefficients[j]!;
        const low = centre - 2 * j - 1;
        const high = centre + 2 * j + 1;
        acc0 += coefficient * (buffer[low]! + buffer[high]!);
        acc1 += coefficient * (buffer[low + 2]! + buffer[high + 2]!);
      }
      target[q] = toInt16(acc0);
      target[q + 1] = toInt16(acc1);
    }
    if (q < produced) {
      let acc = 0.5 * buffer[centre]!;
      for (let j = 0; j < sideTaps; j++) {
        acc += coefficients[j]! * (buffer[centre - 2 * j - 1]! + buffer[centre + 2 * j + 1]!);
      }
      target[q] = toInt16(acc);
    }
  }
}

/** Rounds a filter output to the nearest 16-bit sample, saturating. */
function toInt16(value: number): number {
  const rounded = Math.round(value);

  return rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
}

/** Number of zero samples at the end of `samples`. */
function trailingZeros(samples: Int16Array): number {
  let i = samples.length;
  while (i > 0 && samples[i - 1] === 0) {
    i -= 1;
  }

  return samples.length - i;
}
