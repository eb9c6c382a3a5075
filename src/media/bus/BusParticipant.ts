import { MediaStateError } from '../errors.js';
import { type MixerParticipant } from '../mix/MixerParticipant.js';
import { Resampler } from '../resample/Resampler.js';
import { type BusSink, type BusSource, type BusSourcePace } from './ConversationAudioBusTypes.js';
import { type PaceFollowTerms } from '../playout/WaitWindow.js';

/**
 * One leg on a {@link ConversationAudioBus}: where its audio comes from, where its mix-minus goes, and its
 * mute and earmuff switches. Built only by `ConversationAudioBus.join()`.
 *
 * The participant owns the two resamplers between its own rate and the bus rate, so their filter history
 * carries from one tick to the next and frames join without clicks.
 */
export class BusParticipant {
  /** Caller-chosen identifier (a leg id, typically). */
  readonly id: string;
  /** Sampling rate of the participant's own audio, in Hz. */
  readonly sampleRate: number;
  readonly #mixer: MixerParticipant;
  readonly #source: BusSource | undefined;
  readonly #sink: BusSink | undefined;
  readonly #quiet: (() => boolean) | undefined;
  readonly #idle: (() => void) | undefined;
  readonly #pace: BusSourcePace | undefined;
  readonly #frameSamples: number;
  readonly #busFrameSamples: number;
  readonly #up: Resampler | undefined;
  readonly #down: Resampler | undefined;
  // Scratch buffers sized for the resamplers, reused every tick.
  readonly #upScratch: Int16Array;
  readonly #downScratch: Int16Array;
  readonly #busFrame: Int16Array;
  readonly #ownFrame: Int16Array;
  readonly #silence: Int16Array;
  // Whether the previous tick carried audio; one silent frame then flushes the resampler's tail.
  #hadAudio = false;
  readonly #onLeave: (participant: BusParticipant) => void;
  #left = false;
  // The bus-rate frame this participant gave the mixer on the current tick, for taps (recorders).
  #contribution: Int16Array | undefined;

  /**
   * @private Use `ConversationAudioBus.join()`.
   * @param init - identity, rates, mixer slot, source, sink and the bus's leave hook
   */
  constructor(init: {
    id: string;
    sampleRate: number;
    busRate: number;
    frameMs: number;
    mixer: MixerParticipant;
    source: BusSource | undefined;
    sink: BusSink | undefined;
    quiet?: (() => boolean) | undefined;
    idle?: (() => void) | undefined;
    pace?: BusSourcePace | undefined;
    onLeave: (participant: BusParticipant) => void;
  }) {
    this.#quiet = init.quiet;
    this.#idle = init.idle;
    this.#pace = init.pace;
    this.id = init.id;
    this.sampleRate = init.sampleRate;
    this.#mixer = init.mixer;
    this.#source = init.source;
    this.#sink = init.sink;
    this.#onLeave = init.onLeave;
    this.#frameSamples = Math.round((init.sampleRate * init.frameMs) / 1000);
    this.#busFrameSamples = Math.round((init.busRate * init.frameMs) / 1000);
    if (init.sampleRate !== init.busRate) {
      this.#up = new Resampler({ inputRate: init.sampleRate, outputRate: init.busRate });
      this.#down = new Resampler({ inputRate: init.busRate, outputRate: init.sampleRate });
    }
    this.#upScratch = new Int16Array(this.#up?.maxOutputLength(this.#frameSamples) ?? 0);
    this.#downScratch = new Int16Array(this.#down?.maxOutputLength(this.#busFrameSamples) ?? 0);
    this.#busFrame = new Int16Array(this.#busFrameSamples);
    this.#ownFrame = new Int16Array(this.#frameSamples);
    this.#silence = new Int16Array(this.#frameSamples);
  }

  /** @internal Whether the participant has nothing to say this tick and may skip hearing silence. */
  isQuiet(): boolean {
    return this.#quiet !== undefined && this.#quiet();
  }

  /** @internal Whether this participant plays a live stream whose frame for this tick has not arrived. */
  lateFrame(): boolean {
    const pace = this.#pace;

    return pace !== undefined && pace.live() && !pace.ready();
  }

  /** @internal How long the live frame collected on this tick had waited, in ms; NaN when there was none. */
  liveWaitMs(): number {
    const pace = this.#pace;

    return pace?.live() === true ? pace.lastWaitMs() : Number.NaN;
  }

  /** @internal Tells the source's pace that the bus follows it (on `terms`) or no longer does (undefined). */
  follow(terms: PaceFollowTerms | undefined): void {
    this.#pace?.follow?.(terms);
  }

  /** @internal A tick on which the whole bus is quiet. */
  idleTick(): void {
    this.#idle?.();
  }

  /** Samples in one frame at the participant's own rate. */
  get frameSamples(): number {
    return this.#frameSamples;
  }

  /** When true the participant contributes nothing: the others do not hear it. */
  get muted(): boolean {
    return this.#mixer.muted;
  }

  set muted(value: boolean) {
    this.#mixer.muted = value;
  }

  /**
   * Restricts whom this participant hears (`hears`, the NCCO `canHear` list) and who hears it (`heardBy`,
   * `canSpeak`), by participant id; null lifts a restriction.
   */
  setAudibility(hears: readonly string[] | null, heardBy: readonly string[] | null): void {
    this.#mixer.hears = hears === null ? null : new Set(hears);
    this.#mixer.heardBy = heardBy === null ? null : new Set(heardBy);
  }

  /** When true the participant hears nothing: its sink receives silence. */
  get earmuffed(): boolean {
    return this.#mixer.earmuffed;
  }

  set earmuffed(value: boolean) {
    this.#mixer.earmuffed = value;
  }

  /** Whether the participant has left the bus. */
  get left(): boolean {
    return this.#left;
  }

  /** Leaves the bus; idempotent. */
  leave(): void {
    if (this.#left) {
      return;
    }
    this.#left = true;
    this.#pace?.follow?.(undefined);
    this.#mixer.remove();
    this.#onLeave(this);
  }

  /** @internal First half of a tick: pulls this participant's frame and hands it to the mixer. */
  collect(): void {
    this.#contribution = undefined;
    const frame = this.#source?.();
    if (frame !== undefined && frame.length !== this.#frameSamples) {
      throw new MediaStateError(
        'ERR_MEDIA_FRAME_SIZE',
        `bus participant ${this.id} gave ${frame.length} samples, expected ${this.#frameSamples}`,
      );
    }
    let input = frame;
    if (input === undefined) {
      if (!this.#hadAudio) {
        return;
      }
      // Run one frame of silence through the filter so the end of the last word is not cut off.
      input = this.#silence;
    }
    this.#hadAudio = frame !== undefined;
    if (this.#up === undefined) {
      this.#mixer.write(input);
      this.#contribution = input;
      return;
    }
    const resampled = this.#up.process(input, this.#upScratch);
    this.#contribution = fit(resampled, this.#busFrame);
    this.#mixer.write(this.#contribution);
  }

  /**
   * @internal The frame (at the bus rate) this participant contributes on the current tick, or undefined
   * when it is silent or muted. Valid only until the next tick.
   */
  get contribution(): Int16Array | undefined {
    return this.#mixer.muted ? undefined : this.#contribution;
  }

  /** @internal Second half of a tick: converts this participant's mix-minus and hands it to the sink. */
  deliver(): void {
    if (this.#sink === undefined) {
      return;
    }
    const mix = this.#mixer.output;
    if (this.#down === undefined) {
      this.#sink(mix);
      return;
    }
    const resampled = this.#down.process(mix, this.#downScratch);
    this.#sink(fit(resampled, this.#ownFrame));
  }
}

/**
 * Returns `samples` when it is exactly one frame long, else copies it into the fixed-size `frame`, padding
 * with zeros or cutting the excess. For the rates confab uses (8, 16, 24, 48 kHz) a 20 ms frame always
 * converts to exactly one 20 ms frame, so the copy only happens for unusual rate pairs.
 */
function fit(samples: Int16Array, frame: Int16Array): Int16Array {
  if (samples.length === frame.length) {
    // The usual case: the resampler's scratch already holds exactly one frame (valid until the next tick).
    return samples;
  }
  if (samples.length > frame.length) {
    frame.set(samples.subarray(0, frame.length));
  } else {
    frame.set(samples);
    frame.fill(0, samples.length);
  }

  return frame;
}
