import { type ConversationAudioBus } from '../bus/ConversationAudioBus.js';
import { type BusTapFrame, type BusTapSubscription } from '../bus/ConversationAudioBusTypes.js';
import { MediaStateError } from '../errors.js';
import { saturate } from '../mix/softLimit.js';
import { WavRecorder, type RecordingResult } from './WavRecorder.js';

/** Options of {@link ConversationRecorder.start}. */
export interface ConversationRecorderOptions {
  /** Directory the WAV file goes in (config `media.recordingsDir`). */
  directory: string;
  /** File name. @defaultValue `<random uuid>.wav` */
  fileName?: string;
  /**
   * `mixed`: one mono channel with everybody summed. `split`: stereo, `leftParticipantId` on the left and
   * the sum of everybody else on the right.
   * @defaultValue 'mixed'
   */
  mode?: 'mixed' | 'split';
  /** The participant recorded on the left in `split` mode (the caller's leg, typically). */
  leftParticipantId?: string;
  /** Frame duration of the bus. @defaultValue 20 */
  frameMs?: number;
  /** Passed to the {@link WavRecorder}. @defaultValue 4 MiB */
  maxPendingBytes?: number;
}

/**
 * Records a conversation's audio from its bus at the bus rate: it taps every participant's contribution
 * on each tick (so it hears exactly what was mixed, before the limiter) and writes one frame per tick,
 * silence included, so the file's timeline is the call's.
 *
 * Close cascade: {@link stop} removes the tap and closes the file; idempotent. Closing the bus stops the
 * taps but does not finish the file: the owner still calls `stop()` to get the {@link RecordingResult}.
 */
export class ConversationRecorder {
  readonly #recorder: WavRecorder;
  readonly #mode: 'mixed' | 'split';
  readonly #leftId: string | undefined;
  readonly #frameSamples: number;
  readonly #mono: Int16Array;
  readonly #stereo: Int16Array;
  #subscription: BusTapSubscription | undefined;
  #stopping: Promise<RecordingResult> | undefined;

  /** @private Use {@link ConversationRecorder.start}. */
  constructor(
    recorder: WavRecorder,
    mode: 'mixed' | 'split',
    leftId: string | undefined,
    frameSamples: number,
  ) {
    this.#recorder = recorder;
    this.#mode = mode;
    this.#leftId = leftId;
    this.#frameSamples = frameSamples;
    this.#mono = new Int16Array(frameSamples);
    this.#stereo = new Int16Array(frameSamples * 2);
  }

  /** Opens the file and starts tapping `bus` from its next tick. */
  static async start(
    bus: ConversationAudioBus,
    options: ConversationRecorderOptions,
  ): Promise<ConversationRecorder> {
    const mode = options.mode ?? 'mixed';
    if (mode === 'split' && options.leftParticipantId === undefined) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'a split recording needs leftParticipantId');
    }
    const recorder = await WavRecorder.open({
      directory: options.directory,
      fileName: options.fileName,
      sampleRate: bus.sampleRate,
      channels: mode === 'split' ? 2 : 1,
      maxPendingBytes: options.maxPendingBytes,
    });
    const frameSamples = Math.round((bus.sampleRate * (options.frameMs ?? 20)) / 1000);
    const conversationRecorder = new ConversationRecorder(
      recorder,
      mode,
      options.leftParticipantId,
      frameSamples,
    );
    try {
      conversationRecorder.#subscription = bus.tap((frames) => {
        conversationRecorder.#onTick(frames);
      });
    } catch (error) {
      await recorder.close();
      throw error;
    }

    return conversationRecorder;
  }

  /** Path of the file being written. */
  get path(): string {
    return this.#recorder.path;
  }

  /** Samples per channel dropped because the disk fell behind. */
  get droppedSamples(): number {
    return this.#recorder.droppedSamples;
  }

  /** Stops tapping and finishes the file; idempotent. */
  stop(): Promise<RecordingResult> {
    this.#subscription?.remove();
    this.#subscription = undefined;
    this.#stopping ??= this.#recorder.close();

    return this.#stopping;
  }

  /** One tick: sum (or split) the contributions and append them. */
  #onTick(frames: readonly BusTapFrame[]): void {
    const n = this.#frameSamples;
    if (this.#mode === 'mixed') {
      sumInto(this.#mono, frames, undefined, n);
      this.#recorder.write(this.#mono);

      return;
    }
    const left = frames.find((f) => f.id === this.#leftId)?.pcm;
    sumInto(this.#mono, frames, this.#leftId, n);
    for (let i = 0; i < n; i++) {
      this.#stereo[2 * i] = left?.[i] ?? 0;
      this.#stereo[2 * i + 1] = this.#mono[i] ?? 0;
    }
    this.#recorder.write(this.#stereo);
  }
}

/** Writes the saturated sum of every frame but `exceptId`'s into `out`. */
function sumInto(
  out: Int16Array,
  frames: readonly BusTapFrame[],
  exceptId: string | undefined,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (const frame of frames) {
      if (frame.id !== exceptId) {
        sum += frame.pcm[i] ?? 0;
      }
    }
    out[i] = saturate(sum);
  }
}
