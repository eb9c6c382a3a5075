import { EnhancedEventEmitter } from '../EnhancedEventEmitter.js';

/** Options of {@link DtmfToneDetector}. */
export interface DtmfToneDetectorOptions {
  /**
   * Sampling rate of the analysed PCM.
   * @defaultValue 8000
   */
  sampleRate?: number;
  /**
   * Analysis block length in milliseconds; a digit must be present in two consecutive blocks.
   * @defaultValue 20
   */
  blockMs?: number;
  /**
   * Smallest amplitude (16-bit units) each of the two tones must reach; 800 is about −32 dBm0.
   * @defaultValue 800
   */
  minAmplitude?: number;
  /**
   * Largest level by which the high-group tone may exceed the low one ("normal twist"), in dB.
   * @defaultValue 8
   */
  maxNormalTwistDb?: number;
  /**
   * Largest level by which the low-group tone may exceed the high one ("reverse twist"), in dB.
   * @defaultValue 4
   */
  maxReverseTwistDb?: number;
  /**
   * Share of the block's energy the two tones must carry; speech spreads its energy and fails this.
   * @defaultValue 0.7
   */
  minToneShare?: number;
}

/** A digit detected in audio. */
export interface DetectedTone {
  /** The DTMF character. */
  digit: string;
  /** How long the tone lasted, in milliseconds (a multiple of the block length). */
  durationMs: number;
}

/** Events of {@link DtmfToneDetector}. */
export interface DtmfToneDetectorEvents extends Record<string, unknown[]> {
  /** A tone was confirmed (present in two consecutive blocks). */
  start: [{ digit: string }];
  /** A confirmed tone ended; emitted exactly once per tone. */
  digit: [DetectedTone];
  /** A listener threw. */
  listenererror: [string, unknown];
}

const LOW_GROUP = [697, 770, 852, 941];
const HIGH_GROUP = [1209, 1336, 1477, 1633];
const KEYPAD = ['123A', '456B', '789C', '*0#D'];

/**
 * In-band DTMF detection (for peers that send tones inside the audio instead of RFC 4733 events).
 *
 * Each block is analysed with the Goertzel algorithm at the eight DTMF frequencies: the strongest tone
 * of each group must be loud enough, clearly stronger than the rest of its group, within twist limits,
 * and together the two must carry most of the block's energy. A digit starts after two consecutive
 * blocks agree and ends after two blocks without it, so a single noisy block neither starts nor splits a
 * digit.
 */
export class DtmfToneDetector extends EnhancedEventEmitter<DtmfToneDetectorEvents> {
  readonly #blockSamples: number;
  readonly #blockMs: number;
  readonly #coefficients: Float64Array;
  readonly #minPower: number;
  readonly #maxNormalTwist: number;
  readonly #maxReverseTwist: number;
  readonly #minShare: number;
  readonly #block: Float64Array;
  #filled = 0;
  #candidate: string | undefined;
  #current: string | undefined;
  #currentBlocks = 0;
  #missingBlocks = 0;

  /** @param options - rate, block size and detection thresholds */
  constructor(options: DtmfToneDetectorOptions = {}) {
    super();
    const sampleRate = options.sampleRate ?? 8000;
    this.#blockMs = options.blockMs ?? 20;
    this.#blockSamples = Math.round((sampleRate * this.#blockMs) / 1000);
    this.#coefficients = Float64Array.from(
      [...LOW_GROUP, ...HIGH_GROUP],
      (f) => 2 * Math.cos((2 * Math.PI * f) / sampleRate),
    );
    const amplitude = options.minAmplitude ?? 800;
    // Goertzel power of a sine of amplitude A over N samples is about (A·N/2)².
    this.#minPower = ((amplitude * this.#blockSamples) / 2) ** 2;
    this.#maxNormalTwist = 10 ** ((options.maxNormalTwistDb ?? 8) / 10);
    this.#maxReverseTwist = 10 ** ((options.maxReverseTwistDb ?? 4) / 10);
    this.#minShare = options.minToneShare ?? 0.7;
    this.#block = new Float64Array(this.#blockSamples);
  }

  /** Feeds PCM of any length; digits are reported through events. */
  process(pcm: Int16Array): void {
    // An indexed loop: V8 (Node 20) runs for-of over a typed array several times slower.
    // eslint-disable-next-line @typescript-eslint/prefer-for-of
    for (let i = 0; i < pcm.length; i++) {
      this.#block[this.#filled++] = pcm[i]!;
      if (this.#filled === this.#blockSamples) {
        this.#filled = 0;
        this.#onBlock(this.#analyse());
      }
    }
  }

  /** Returns the digit present in the current block, or undefined. */
  #analyse(): string | undefined {
    const n = this.#blockSamples;
    const block = this.#block;
    let energy = 0;
    for (let i = 0; i < n; i++) {
      energy += (block[i] ?? 0) ** 2;
    }
    const powers = new Float64Array(8);
    for (let f = 0; f < 8; f++) {
      const coefficient = this.#coefficients[f] ?? 0;
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const s = (block[i] ?? 0) + coefficient * s1 - s2;
        s2 = s1;
        s1 = s;
      }
      powers[f] = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
    }
    const low = strongest(powers, 0);
    const high = strongest(powers, 4);
    const lowPower = powers[low] ?? 0;
    const highPower = powers[high + 4] ?? 0;
    if (lowPower < this.#minPower || highPower < this.#minPower) {
      return undefined;
    }
    if (highPower > lowPower * this.#maxNormalTwist || lowPower > highPower * this.#maxReverseTwist) {
      return undefined;
    }
    // Each winner must beat the runner-up of its group by 6 dB (a factor of 4 in power).
    for (let f = 0; f < 4; f++) {
      if (
        (f !== low && (powers[f] ?? 0) * 4 > lowPower) ||
        (f !== high && (powers[f + 4] ?? 0) * 4 > highPower)
      ) {
        return undefined;
      }
    }
    // Goertzel power × 2/N estimates the energy a tone contributes to the block.
    const toneEnergy = ((lowPower + highPower) * 2) / n;
    if (toneEnergy < this.#minShare * energy) {
      return undefined;
    }

    return KEYPAD[low]?.[high];
  }

  /** Debounces block decisions into digit start and end events. */
  #onBlock(detected: string | undefined): void {
    if (this.#current !== undefined) {
      if (detected === this.#current) {
        this.#currentBlocks += 1 + this.#missingBlocks;
        this.#missingBlocks = 0;

        return;
      }
      this.#missingBlocks += 1;
      if (this.#missingBlocks < 2 && detected === undefined) {
        return;
      }
      this.safeEmit('digit', { digit: this.#current, durationMs: this.#currentBlocks * this.#blockMs });
      this.#current = undefined;
      this.#missingBlocks = 0;
    }
    if (detected !== undefined && detected === this.#candidate) {
      this.#current = detected;
      this.#currentBlocks = 2;
      this.#candidate = undefined;
      this.safeEmit('start', { digit: detected });

      return;
    }
    this.#candidate = detected;
  }
}

/** Index (0..3) of the largest of the four powers starting at `offset`. */
function strongest(powers: Float64Array, offset: number): number {
  let best = 0;
  for (let i = 1; i < 4; i++) {
    if ((powers[offset + i] ?? 0) > (powers[offset + best] ?? 0)) {
      best = i;
    }
  }

  return best;
}
