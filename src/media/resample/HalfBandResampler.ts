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
   * Point p is centred between buffer[p + J − 1] and buffer[p + J], point p + 1 one sample later.
   */
  #interpolate(buffer: Float64Array, length: number, target: Int16Array): void {
    const sideTaps = this.#sideTaps;
    let p = 0;
    for (; p + 1 < length; p += 2) {
      const left = p + sideTaps - 1;
      target[2 * p] = buffer[left]!;
      target[2 * p + 2] = buffer[left + 1]!;
      this.#twoOutputs(buffer, left, left + 1, 1, 0, 0, target, 2 * p + 1, 2 * p + 3);
    }
    if (p < length) {
      const left = p + sideTaps - 1;
      target[2 * p] = buffer[left]!;
      target[2 * p + 1] = toInt16(this.#oneOutput(buffer, left, left + 1, 1, 0));
    }
  }

  /** One output per two input samples: half the centre plus J symmetric pairs. */
  #decimate(buffer: Float64Array, produced: number, target: Int16Array): void {
    // The window of the output whose newest sample is at chunk index `position` is centred 2J − 1 back.
    let centre = this.#position + this.#history - (2 * this.#sideTaps - 1);
    let q = 0;
    for (; q + 1 < produced; q += 2, centre += 4) {
      const half0 = 0.5 * buffer[centre]!;
      const half1 = 0.5 * buffer[centre + 2]!;
      this.#twoOutputs(buffer, centre - 1, centre + 1, 2, half0, half1, target, q, q + 1);
    }
    if (q < produced) {
      target[q] = toInt16(this.#oneOutput(buffer, centre - 1, centre + 1, 2, 0.5 * buffer[centre]!));
    }
  }

  /**
   * The filter's J symmetric pairs for two outputs at once, written (rounded) to target[at0] and
   * target[at1]. Tap j pairs buffer[low − j·stride] with buffer[high + j·stride] for the first output;
   * the second output's window is `stride` samples later. Both windows share every coefficient load and
   * most sample loads, and three taps go at a step (about 40 % faster than one output and one tap at a
   * time; the order of the additions changes the rounding of at most the last bit of a double).
   */
  #twoOutputs(
    buffer: Float64Array,
    low: number,
    high: number,
    stride: number,
    start0: number,
    start1: number,
    target: Int16Array,
    at0: number,
    at1: number,
  ): void {
    const coefficients = this.#coefficients;
    const sideTaps = this.#sideTaps;
    let acc0 = start0;
    let acc1 = start1;
    let j = 0;
    for (; j + 2 < sideTaps; j += 3) {
      const l = low - j * stride;
      const h = high + j * stride;
      const c0 = coefficients[j]!;
      const c1 = coefficients[j + 1]!;
      const c2 = coefficients[j + 2]!;
      const before = buffer[l + stride]!;
      const l0 = buffer[l]!;
      const l1 = buffer[l - stride]!;
      const l2 = buffer[l - 2 * stride]!;
      const h0 = buffer[h]!;
      const h1 = buffer[h + stride]!;
      const h2 = buffer[h + 2 * stride]!;
      const h3 = buffer[h + 3 * stride]!;
      acc0 += c0 * (l0 + h0) + c1 * (l1 + h1) + c2 * (l2 + h2);
      acc1 += c0 * (before + h1) + c1 * (l0 + h2) + c2 * (l1 + h3);
    }
    for (; j < sideTaps; j++) {
      const coefficient = coefficients[j]!;
      const l = low - j * stride;
      const h = high + j * stride;
      acc0 += coefficient * (buffer[l]! + buffer[h]!);
      acc1 += coefficient * (buffer[l + stride]! + buffer[h + stride]!);
    }
    target[at0] = toInt16(acc0);
    target[at1] = toInt16(acc1);
  }

  /** The J symmetric pairs for one output (see {@link #twoOutputs}), added to `start`. */
  #oneOutput(buffer: Float64Array, low: number, high: number, stride: number, start: number): number {
    const coefficients = this.#coefficients;
    let acc = start;
    for (let j = 0; j < this.#sideTaps; j++) {
      acc += coefficients[j]! * (buffer[low - j * stride]! + buffer[high + j * stride]!);
    }

    return acc;
  }
}

/**
 * Rounds a filter output to the nearest 16-bit sample, saturating: `saturate(Math.round(value))` of
 * `../mix/softLimit.js`, kept here on purpose. Called through the mixer's shared `saturate`, the filter
 * loops ran at half speed in some runs of a micro-benchmark (8 ↔ 16 kHz frame pairs, 2026-11-24).
 */
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
