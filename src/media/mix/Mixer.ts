import { MediaStateError } from '../errors.js';
import { MixerParticipant } from './MixerParticipant.js';
import { saturate, softLimit } from './softLimit.js';

/** Options of {@link Mixer}. */
export interface MixerOptions {
  /**
   * Samples per frame (20 ms at the mixing rate).
   * @defaultValue 160
   */
  frameSamples?: number;
  /**
   * How sums beyond 16 bits are tamed: `soft` (tanh knee above `limitThreshold`) or `saturate` (clamp).
   * @defaultValue 'soft'
   */
  limiter?: 'soft' | 'saturate';
  /**
   * Magnitude where the soft limiter starts acting.
   * @defaultValue 24576 (−2.5 dBFS)
   */
  limitThreshold?: number;
}

/**
 * An N-party audio mixer at one sample rate: each participant hears the sum of all the others, never
 * itself. Muted participants contribute nothing; earmuffed ones hear nothing.
 *
 * Each `mix()` (once per clock tick) sums every contribution once and derives each output as
 * total − own, so the cost is linear in the number of participants. Sums are kept in a Float64 buffer and
 * limited back to 16 bits per output.
 */
export class Mixer {
  readonly #frameSamples: number;
  readonly #soft: boolean;
  readonly #threshold: number;
  readonly #participants = new Map<string, MixerParticipant>();
  readonly #total: Float64Array;
  // Inputs taken in the current mix, parallel to the participant list.
  readonly #taken: (Int16Array | undefined)[] = [];

  /** @param options - frame size and limiter */
  constructor(options: MixerOptions = {}) {
    this.#frameSamples = options.frameSamples ?? 160;
    this.#soft = (options.limiter ?? 'soft') === 'soft';
    this.#threshold = options.limitThreshold ?? 24576;
    if (!(this.#frameSamples > 0) || !(this.#threshold > 0 && this.#threshold < 32767)) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'invalid mixer frame size or limit threshold');
    }
    this.#total = new Float64Array(this.#frameSamples);
  }

  /** Samples per frame. */
  get frameSamples(): number {
    return this.#frameSamples;
  }

  /** Number of participants. */
  get size(): number {
    return this.#participants.size;
  }

  /** Adds a participant; throws {@link MediaStateError} if the id is taken. */
  addParticipant(id: string): MixerParticipant {
    if (this.#participants.has(id)) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', `mixer participant ${id} already exists`);
    }
    const participant = new MixerParticipant(id, this.#frameSamples, (p) => {
      this.#participants.delete(p.id);
    });
    this.#participants.set(id, participant);

    return participant;
  }

  /** The participant with `id`, if any. */
  getParticipant(id: string): MixerParticipant | undefined {
    return this.#participants.get(id);
  }

  /** Mixes this tick's frames: afterwards every participant's `output` holds what it should hear. */
  mix(): void {
    const total = this.#total;
    const n = this.#frameSamples;
    total.fill(0);
    const participants = [...this.#participants.values()];
    this.#taken.length = participants.length;
    for (const [index, participant] of participants.entries()) {
      const input = participant.takeInput();
      const contributes = input !== undefined && !participant.muted;
      this.#taken[index] = contributes ? input : undefined;
      if (contributes) {
        for (let i = 0; i < n; i++) {
          total[i] = (total[i] ?? 0) + (input[i] ?? 0);
        }
      }
    }
    for (const [index, participant] of participants.entries()) {
      const output = participant.output;
      if (participant.earmuffed) {
        output.fill(0);
        continue;
      }
      const own = this.#taken[index];
      for (let i = 0; i < n; i++) {
        const sum = (total[i] ?? 0) - (own === undefined ? 0 : (own[i] ?? 0));
        output[i] = this.#soft ? softLimit(sum, this.#threshold) : saturate(sum);
      }
    }
  }
}
