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
 * Each `mix()` (once per clock tick) first looks for digital silence in every contribution, stopping at the
 * first sound. A silent frame adds nothing, so it is left out of the sums. A participant who hears exactly
 * one other speaker (either side of a two-party call, say) gets that speaker's frame through the limiter
 * in one pass, which leaves it untouched below the threshold: exactly what summing and limiting would
 * give. Otherwise the mixer sums every contribution once into an Int32 buffer and derives each output as
 * total − own, limited back to 16 bits, so the cost is linear in the number of participants; a
 * participant nobody else spoke to this tick gets silence without any arithmetic.
 */
export class Mixer {
  readonly #frameSamples: number;
  readonly #soft: boolean;
  readonly #threshold: number;
  readonly #participants = new Map<string, MixerParticipant>();
  // The participants as an array, replaced (never mutated) on add and remove, so mix() iterates without
  // copying.
  #list: readonly MixerParticipant[] = [];
  // Sums of 16-bit samples: exact in 32 bits for up to 65536 participants.
  readonly #total: Int32Array;
  readonly #selective: Int32Array;
  // Inputs taken in the current mix, parallel to the participant list (undefined: muted, absent or
  // digital silence).
  readonly #taken: (Int16Array | undefined)[] = [];

  /** @param options - frame size and limiter */
  constructor(options: MixerOptions = {}) {
    this.#frameSamples = options.frameSamples ?? 160;
    this.#soft = (options.limiter ?? 'soft') === 'soft';
    this.#threshold = options.limitThreshold ?? 24576;
    if (!(this.#frameSamples > 0) || !(this.#threshold > 0 && this.#threshold < 32767)) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'invalid mixer frame size or limit threshold');
    }
    this.#total = new Int32Array(this.#frameSamples);
    this.#selective = new Int32Array(this.#frameSamples);
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
      this.#list = this.#list.filter((other) => other !== p);
    });
    this.#participants.set(id, participant);
    this.#list = [...this.#list, participant];

    return participant;
  }

  /** The participant with `id`, if any. */
  getParticipant(id: string): MixerParticipant | undefined {
    return this.#participants.get(id);
  }

  /** Mixes this tick's frames: afterwards every participant's `output` holds what it should hear. */
  mix(): void {
    const participants = this.#list;
    const taken = this.#taken;
    if (taken.length !== participants.length) {
      // Only when somebody joined or left: setting an array's length is a runtime call.
      taken.length = participants.length;
    }
    // Participants whose frame is not digital silence: how many, and the first two of them.
    let speakers = 0;
    let first = -1;
    let second = -1;
    let restricted = false;
    for (let index = 0; index < participants.length; index++) {
      const participant = participants[index]!;
      restricted ||= participant.hears !== null || participant.heardBy !== null;
      const input = participant.takeInput();
      taken[index] = undefined;
      // Digital silence adds nothing: leaving it out of every sum changes no output.
      if (input === undefined || participant.muted || participant.inputIsSilent()) {
        continue;
      }
      taken[index] = input;
      if (speakers === 0) {
        first = index;
      } else if (speakers === 1) {
        second = index;
      }
      speakers += 1;
    }
    let summed = false;
    for (let index = 0; index < participants.length; index++) {
      const participant = participants[index]!;
      const output = participant.output;
      const own = taken[index];
      const others = speakers - (own === undefined ? 0 : 1);
      if (participant.earmuffed || others === 0) {
        // Nobody else spoke: silence, without the sum (exactly what the limiter would give).
        output.fill(0);
        continue;
      }
      if (restricted) {
        this.#mixSelectively(index, participants, taken, output);
        continue;
      }
      if (others === 1) {
        // One voice to hear: the limiter on that frame alone, which leaves it untouched below the threshold.
        const input = taken[first !== index ? first : second]!;
        if (this.#soft) {
          this.#limitSingle(input, output);
        } else {
          // A 16-bit frame never needs saturating.
          output.set(input);
        }
        continue;
      }
      if (!summed) {
        this.#sum(taken);
        summed = true;
      }
      this.#limit(this.#total, own, output);
    }
  }

  /** Sums every contribution taken this tick into the Int32 total. */
  #sum(taken: readonly (Int16Array | undefined)[]): void {
    const total = this.#total;
    const n = this.#frameSamples;
    let started = false;
    for (const input of taken) {
      if (input === undefined) {
        continue;
      }
      if (!started) {
        total.set(input);
        started = true;
      } else {
        for (let i = 0; i < n; i++) {
          total[i] = total[i]! + input[i]!;
        }
      }
    }
  }

  /**
   * The output of participant `index` when some participants hear, or are heard by, only listed others:
   * the sum of exactly the contributions it may hear (quadratic, so used only while such lists exist).
   */
  #mixSelectively(
    index: number,
    participants: readonly MixerParticipant[],
    taken: readonly (Int16Array | undefined)[],
    output: Int16Array,
  ): void {
    const listener = participants[index]!;
    const sum = this.#selective;
    sum.fill(0);
    for (let other = 0; other < participants.length; other++) {
      const input = taken[other];
      const speaker = participants[other]!;
      if (
        other === index ||
        input === undefined ||
        (listener.hears !== null && !listener.hears.has(speaker.id)) ||
        (speaker.heardBy !== null && !speaker.heardBy.has(listener.id))
      ) {
        continue;
      }
      for (let i = 0; i < sum.length; i++) {
        sum[i] = sum[i]! + input[i]!;
      }
    }
    this.#limit(sum, undefined, output);
  }

  /** Writes one speaker's frame through the soft limiter into `output`. */
  #limitSingle(input: Int16Array, output: Int16Array): void {
    const n = this.#frameSamples;
    const threshold = this.#threshold;
    for (let i = 0; i < n; i++) {
      const sample = input[i]!;
      output[i] = sample <= threshold && sample >= -threshold ? sample : softLimit(sample, threshold);
    }
  }

  /** Writes `total − own`, tamed to 16 bits, into `output`. */
  #limit(total: Int32Array, own: Int16Array | undefined, output: Int16Array): void {
    const n = this.#frameSamples;
    const threshold = this.#threshold;
    for (let i = 0; i < n; i++) {
      const sum = own === undefined ? total[i]! : total[i]! - own[i]!;
      if (sum <= threshold && sum >= -threshold) {
        output[i] = sum;
      } else {
        output[i] = this.#soft ? softLimit(sum, threshold) : saturate(sum);
      }
    }
  }
}
