import { MediaStateError } from '../errors.js';
import { HalfBandResampler } from './HalfBandResampler.js';
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
   * Pass-band edge as a fraction of the lower rate's Nyquist frequency. 0.85 keeps 3.4 kHz of an 8 kHz
   * stream intact.
   * @defaultValue 0.85
   */
  passbandFraction?: number;
  /**
   * Where the transition band lies. `centred` (the default, as in most telephony resamplers) centres it
   * on the lower rate's Nyquist frequency: images and aliases of everything in the pass band are held
   * `attenuationDb` down, and only a tone inside the transition band (3.4–4.6 kHz around an 8 kHz
   * stream) can alias into it; the filter is half as long, and a 2:1 ratio runs as a half-band filter at
   * about a quarter of the cost. `below-nyquist` ends the stop band at that Nyquist frequency, so nothing
   * at all aliases, at twice the cost of `centred`'s general path.
   * @defaultValue 'centred'
   */
  transitionBand?: 'centred' | 'below-nyquist';
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
  centred: boolean,
): PolyphaseBanks {
  const key = `${inputRate}:${outputRate}:${attenuationDb}:${passband}:${centred}`;
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
    stopbandHz: centred ? nyquist * (2 - passband) : nyquist,
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
 * A streaming rational-ratio resampler for 16-bit PCM (polyphase FIR, Kaiser-windowed sinc; 2:1 and 1:2
 * run as a half-band filter, see {@link HalfBandResampler}).
 *
 * Conceptually the input is padded with L−1 zeros per sample, low-passed at the lower rate's Nyquist
 * frequency and kept one sample in M; the polyphase form computes only the kept outputs, each from K taps
 * of one of the L filter banks. Input history and the phase carry over between calls, so 20 ms frames join
 * without clicks and a 160-sample frame at 8 kHz always yields 320 samples at 16 kHz.
 *
 * Taps are computed once per conversion and shared; the working buffer grows to the largest frame seen and
 * is then reused, so steady-state processing allocates only the output array (or nothing with `out`).
 * Digital silence after silent history skips the filter (its output is exactly zero).
 */
export class Resampler {
  readonly #banks: PolyphaseBanks | undefined;
  readonly #halfBand: HalfBandResampler | undefined;
  readonly #inputRate: number;
  readonly #outputRate: number;
  // Holds K−1 samples of history followed by the current input.
  #buffer: Float32Array;
  // Phase p of the next output within its input sample (0..L−1).
  #phase = 0;
  // Index, relative to the start of the next input chunk, of the input sample the next output sits on.
  #position = 0;
  // Trailing zero samples in the buffer (capped at the history length); see HalfBandResampler.
  #trailingZeros = 0;

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
    const attenuationDb = options.attenuationDb ?? 70;
    const passband = options.passbandFraction ?? 0.85;
    const centred = (options.transitionBand ?? 'centred') === 'centred';
    if (centred && (inputRate === 2 * outputRate || outputRate === 2 * inputRate)) {
      this.#halfBand = new HalfBandResampler(outputRate > inputRate, attenuationDb, passband);
      this.#buffer = new Float32Array(0);
    } else {
      this.#banks = banksFor(inputRate, outputRate, attenuationDb, passband, centred);
      this.#buffer = new Float32Array(this.#banks.tapsPerBank - 1 + 960);
      this.#trailingZeros = this.#banks.tapsPerBank - 1;
    }
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
    if (this.#halfBand !== undefined) {
      return this.#halfBand.delaySeconds(this.#inputRate);
    }

    return this.#inputRate === this.#outputRate ? 0 : (this.#banks?.delaySeconds ?? 0);
  }

  /** Number of filter multiplies per output sample (a cost indicator). */
  get tapsPerOutput(): number {
    return this.#halfBand?.tapsPerOutput ?? this.#banks?.tapsPerBank ?? 0;
  }

  /** Upper bound on the number of samples {@link process} returns for `inputLength` input samples. */
  maxOutputLength(inputLength: number): number {
    if (this.#halfBand !== undefined) {
      return this.#halfBand.maxOutputLength(inputLength);
    }
    const banks = this.#banks;

    return banks === undefined ? inputLength : Math.ceil((inputLength * banks.up) / banks.down) + 1;
  }

  /** Forgets all history, as if freshly built. */
  reset(): void {
    this.#halfBand?.reset();
    this.#buffer.fill(0);
    this.#phase = 0;
    this.#position = 0;
    this.#trailingZeros = this.#banks === undefined ? 0 : this.#banks.tapsPerBank - 1;
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
    if (this.#halfBand !== undefined) {
      const target = out ?? new Int16Array(this.#halfBand.maxOutputLength(input.length));

      const produced = this.#halfBand.process(input, target);

      // No new view in the steady state (a whole 20 ms frame fills the caller's buffer exactly).
      return produced === target.length ? target : target.subarray(0, produced);
    }
    // Set whenever the rates differ and no half-band filter was chosen.
    const banks = this.#banks!;
    const { up, down, tapsPerBank, taps } = banks;
    const history = tapsPerBank - 1;
    if (this.#buffer.length < history + input.length) {
      const grown = new Float32Array(history + input.length);
      grown.set(this.#buffer.subarray(0, history));
      this.#buffer = grown;
    }
    const buffer = this.#buffer;
    let lastSound = -1;
    for (let i = 0; i < input.length; i++) {
      const sample = input[i] ?? 0;
      buffer[history + i] = sample;
      if (sample !== 0) {
        lastSound = i;
      }
    }
    const silent = lastSound < 0 && this.#trailingZeros >= history;
    this.#trailingZeros =
      lastSound < 0 ? Math.min(history, this.#trailingZeros + input.length) : input.length - 1 - lastSound;
    const target = out ?? new Int16Array(this.maxOutputLength(input.length));
    let produced = 0;
    let phase = this.#phase;
    let position = this.#position;
    while (silent && position < input.length) {
      // Silence in, silent history: every output is exactly zero, so only the phase needs advancing.
      target[produced++] = 0;
      phase += down;
      while (phase >= up) {
        phase -= up;
        position += 1;
      }
    }
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
