import { MediaStateError } from '../errors.js';

/**
 * One party of a {@link Mixer}: it writes the frame it says this tick and reads back the mix of everybody
 * else. Built only by `Mixer.addParticipant()`.
 */
export class MixerParticipant {
  /** Caller-chosen identifier (a leg id, typically). */
  readonly id: string;
  /** When true the participant contributes nothing to the others (its input is ignored). */
  muted = false;
  /** When true the participant hears nothing (its output is silence). */
  earmuffed = false;
  /** The only participants (by id) this one hears; null: everybody (the NCCO `canHear` list). */
  hears: ReadonlySet<string> | null = null;
  /** The only participants (by id) that hear this one; null: everybody (the NCCO `canSpeak` list). */
  heardBy: ReadonlySet<string> | null = null;
  readonly #frameSamples: number;
  readonly #input: Int16Array;
  // The input's samples two at a time, for the silence check.
  readonly #inputPairs: Int32Array;
  #hasInput = false;
  readonly #output: Int16Array;
  readonly #onRemove: (participant: MixerParticipant) => void;
  #removed = false;

  /**
   * @private Use `Mixer.addParticipant()`.
   * @param id - identifier
   * @param frameSamples - samples per frame of the mixer
   * @param onRemove - tells the mixer to forget this participant
   */
  constructor(id: string, frameSamples: number, onRemove: (participant: MixerParticipant) => void) {
    this.id = id;
    this.#frameSamples = frameSamples;
    this.#input = new Int16Array(frameSamples);
    this.#inputPairs = new Int32Array(this.#input.buffer, 0, frameSamples >> 1);
    this.#output = new Int16Array(frameSamples);
    this.#onRemove = onRemove;
  }

  /** The mix this participant hears, as of the last `Mixer.mix()`; reused between ticks. */
  get output(): Int16Array {
    return this.#output;
  }

  /** Whether a frame was written since the last mix. */
  get hasInput(): boolean {
    return this.#hasInput;
  }

  /** Whether the participant has left the mixer. */
  get removed(): boolean {
    return this.#removed;
  }

  /**
   * Supplies this tick's frame (copied). A participant that writes nothing in a tick contributes silence.
   * Throws {@link MediaStateError} when the frame has the wrong size or the participant was removed.
   */
  write(pcm: Int16Array): void {
    if (this.#removed) {
      throw new MediaStateError('ERR_MEDIA_CLOSED', `mixer participant ${this.id} was removed`);
    }
    if (pcm.length !== this.#frameSamples) {
      throw new MediaStateError(
        'ERR_MEDIA_FRAME_SIZE',
        `frame of ${pcm.length} samples, mixer expects ${this.#frameSamples}`,
      );
    }
    this.#input.set(pcm);
    this.#hasInput = true;
  }

  /** Leaves the mixer; idempotent. */
  remove(): void {
    if (this.#removed) {
      return;
    }
    this.#removed = true;
    this.#onRemove(this);
  }

  /**
   * @internal Whether the frame last written is digital silence. It stops at the first sound, and reads
   * two samples at a time, so a silent frame costs half a pass and a spoken one next to nothing.
   */
  inputIsSilent(): boolean {
    const pairs = this.#inputPairs;
    // An indexed loop: V8 (Node 20) runs for-of over a typed array several times slower.
    // eslint-disable-next-line @typescript-eslint/prefer-for-of
    for (let i = 0; i < pairs.length; i++) {
      if (pairs[i] !== 0) {
        return false;
      }
    }

    return (this.#frameSamples & 1) === 0 || this.#input[this.#frameSamples - 1] === 0;
  }

  /** @internal The frame written this tick, or undefined; consumed by the mixer. */
  takeInput(): Int16Array | undefined {
    if (!this.#hasInput) {
      return undefined;
    }
    this.#hasInput = false;

    return this.#input;
  }
}
