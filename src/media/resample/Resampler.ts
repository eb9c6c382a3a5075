import { MediaStateError } from '../errors.js';
import { designLowPass } from './lowPassDesign.js';

/** Options of {@link Resampler}. */
export interface ResamplerOptions {
  /** Input sampling rate in Hz (8000, 16000, 24000, 48000, or any other integer rate). */
  inputRate: number;
  /** Output sampling rate in Hz. */
  outputRate: number;
  /**
   * Stop-band attenuation of the anti-aliasing / anti-imaging filter, in dB.
   * @defaultValue 70
   */
  attenuationDb?: number;
  /**
   * Pass-band edge as a fraction of the lower rate's Nyquist frequency; the stop band starts at that
   * Nyquist frequency, so nothing aliases. 0.85 keeps 3.4 kHz of an 8 kHz stream intact.
   * @defaultValue 0.85
   */
  passbandFraction?: number;
}

/** Polyphase filter banks shared by every resampler of the same conversion. */
interface PolyphaseBanks {
  /** Interpolation factor L. */
  up: number;
  /** Decimation factor M. */
  down: number;
  /** Taps per bank (K). */
  tapsPerBank: number;
  /** L banks of K taps, bank p at offset p*K, already scaled by L. */
  taps: Float32Array;
  /** Group delay of the prototype filter, in seconds. */
  delaySeconds: number;
}

const bankCache = new Map<string, PolyphaseBanks>();

/** Greatest common divisor. */
function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Designs (or fetches from the cache) the polyphase banks for one conversion. */
function banksFor(
  inputRate: number,
  outputRate: number,
  attenuationDb: number,
  passband: number,
): PolyphaseBanks {
  const key = `${inputRate}:${outputRate}:${attenuationDb}:${passband}`;
  const cached = bankCache.get(key);
  if (cached !== undefined) {
    return cached;
  }
  const divisor = gcd(inputRate, outputRate);
  const up = outputRate / divisor;
  const down = inputRate / divisor;
  const nyquist = Math.min(inputRate, outputRate) / 2;
  const prototype = designLowPass({
    sampleRate: inputRate * up,
    passbandHz: nyquist * passband,
    stopbandHz: nyquist,
    attenuationDb,
    lengthMultiple: up,
  });
  const tapsPerBank = prototype.length / up;
  const taps = new Float32Array(prototype.length);
  for (let phase = 0; phase < up; phase++) {
    for (let k = 0; k < tapsPerBank; k++) {
      taps[phase * tapsPerBank + k] = (prototype[k * up + phase] ?? 0) * up;
    }
  }
  const banks: PolyphaseBanks = {
    up,
    down,
    tapsPerBank,
    taps,
    delaySeconds: (prototype.length - 1) / 2 / (inputRate * up),
  };
  bankCache.set(key, banks);

  return banks;
}

/**
 * A streaming rational-ratio resampler for 16-bit PCM (polyphase FIR, Kaiser-windowed sinc).
 *
 * Conceptually the input is padded with L−1 zeros per sample, low-passed at the lower rate's Nyquist
 * frequency and kept one sample in M; the polyphase form computes only the kept outputs, each from K taps
 * of one of the L filter banks. Input history and the phase carry over between calls, so 20 ms frames join
 * without clicks and a 160-sample frame at 8 kHz always yields 320 samples at 16 kHz.
 *
 * Taps are computed once per conversion and shared; the working buffer grows to the largest frame seen and
 * is then reused, so steady-state processing allocates only the output array (or nothing with `out`).
 */
export class Resampler {
  readonly #banks: PolyphaseBanks;
  readonly #inputRate: number;
  readonly #outputRate: number;
  // Holds K−1 samples of history followed by the current input.
  #buffer: Float32Array;
  // Phase p of the next output within its input sample (0..L−1).
  #phase = 0;
  // Index, relative to the start of the next input chunk, of the input sample the next output sits on.
  #position = 0;

  /** @param options - rates and filter quality; throws {@link MediaStateError} for non-positive rates */
  constructor(options: ResamplerOptions) {
    const { inputRate, outputRate } = options;
    if (!Number.isInteger(inputRate) || !Number.isInteger(outputRate) || inputRate <= 0 || outputRate <= 0) {
      throw new MediaStateError(
        'ERR_MEDIA_INVALID_OPTION',
        `invalid resampling rates ${inputRate} → ${outputRate}`,
      );
    }
    this.#inputRate = inputRate;
    this.#outputRate = outputRate;
    this.#banks = banksFor(
      inputRate,
      outputRate,
      options.attenuationDb ?? 70,
      options.passbandFraction ?? 0.85,
    );
    this.#buffer = new Float32Array(this.#banks.tapsPerBank - 1 + 960);
  }

  /** Input rate in Hz. */
  get inputRate(): number {
    return this.#inputRate;
  }

  /** Output rate in Hz. */
  get outputRate(): number {
    return this.#outputRate;
  }

  /** Delay the filter adds, in seconds (output sample n reflects the input at n/outputRate − delay). */
  get delaySeconds(): number {
    return this.#inputRate === this.#outputRate ? 0 : this.#banks.delaySeconds;
  }

  /** Number of filter taps evaluated per output sample (a cost indicator). */
  get tapsPerOutput(): number {
    return this.#banks.tapsPerBank;
  }

  /** Upper bound on the number of samples {@link process} returns for `inputLength` input samples. */
  maxOutputLength(inputLength: number): number {
    return Math.ceil((inputLength * this.#banks.up) / this.#banks.down) + 1;
  }

  /** Forgets all history, as if freshly built. */
  reset(): void {
    this.#buffer.fill(0);
    this.#phase = 0;
    this.#position = 0;
  }

  /**
   * Resamples one chunk of any length. Writes into `out` when given (it must hold
   * {@link maxOutputLength} samples) and returns the filled part.
   */
  process(input: Int16Array, out?: Int16Array): Int16Array {
    if (this.#inputRate === this.#outputRate) {
      const copy = out ?? new Int16Array(input.length);
      copy.set(input);

      return copy.subarray(0, input.length);
    }
    const { up, down, tapsPerBank, taps } = this.#banks;
    const history = tapsPerBank - 1;
    if (this.#buffer.length < history + input.length) {
      const grown = new Float32Array(history + input.length);
      grown.set(this.#buffer.subarray(0, history));
      this.#buffer = grown;
    }
    const buffer = this.#buffer;
    for (let i = 0; i < input.length; i++) {
      buffer[history + i] = input[i] ?? 0;
    }
    const target = out ?? new Int16Array(this.maxOutputLength(input.length));
    let produced = 0;
    let phase = this.#phase;
    let position = this.#position;
    while (position < input.length) {
      const newest = history + position;
      const bank = phase * tapsPerBank;
      // Four independent partial sums let the CPU overlap the multiply-adds.
      let acc0 = 0;
      let acc1 = 0;
      let acc2 = 0;
      let acc3 = 0;
      let k = 0;
      for (; k + 3 < tapsPerBank; k += 4) {
        acc0 += (taps[bank + k] ?? 0) * (buffer[newest - k] ?? 0);
        acc1 += (taps[bank + k + 1] ?? 0) * (buffer[newest - k - 1] ?? 0);
        acc2 += (taps[bank + k + 2] ?? 0) * (buffer[newest - k - 2] ?? 0);
        acc3 += (taps[bank + k + 3] ?? 0) * (buffer[newest - k - 3] ?? 0);
      }
      for (; k < tapsPerBank; k++) {
        acc0 += (taps[bank + k] ?? 0) * (buffer[newest - k] ?? 0);
      }
      const rounded = Math.round(acc0 + acc1 + acc2 + acc3);
      target[produced++] = rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
      phase += down;
      while (phase >= up) {
        phase -= up;
        position += 1;
      }
    }
    this.#phase = phase;
    this.#position = position - input.length;
    // Keep the last K−1 input samples as history for the next chunk.
    buffer.copyWithin(0, input.length, input.length + history);

    return target.subarray(0, produced);
  }
}
