import { ConversationRecorder, saturate, WavRecorder, type RecordingResult } from '../../media/index.js';
import type { LegAudio, LegAudioTap } from './ConversationMediaHubTypes.js';

/** How often a conversation recording checks whether its bus is still there. */
const BUS_POLL_MS = 250;

/** What a recording captures, as {@link MediaRecording.start} is told. */
export interface MediaRecordingTarget {
  /** One leg (what it said and heard), or the conversation's whole bus. */
  readonly leg?: LegAudio;
  /** The conversation's bus (its contributions), when recording the whole conversation. */
  readonly bus?: Parameters<typeof ConversationRecorder.start>[0];
  /** `mixed` mono, or `split` stereo (the leg / `leftId` on the left, the others on the right). */
  readonly mode: 'mixed' | 'split';
  /** In a split conversation recording, the participant on the left. */
  readonly leftId?: string;
  readonly directory: string;
  readonly fileName: string;
}

/**
 * @private One recording in progress: a leg's two directions through its tap, or a conversation's bus
 * through a {@link ConversationRecorder}. `ended` resolves once, with the finished file, when it is
 * stopped or when what it records goes away (the leg closes, the bus closes).
 */
export class MediaRecording {
  readonly ended: Promise<RecordingResult>;
  #stop: () => void = () => undefined;

  private constructor(ended: Promise<RecordingResult>) {
    this.ended = ended;
  }

  /** Opens the file and starts capturing from the next tick. */
  static async start(target: MediaRecordingTarget): Promise<MediaRecording> {
    if (target.leg !== undefined) {
      return MediaRecording.#startLeg(target.leg, target);
    }
    if (target.bus === undefined) {
      throw new TypeError('a recording needs a leg or a bus');
    }
    const bus = target.bus;
    const recorder = await ConversationRecorder.start(bus, {
      directory: target.directory,
      fileName: target.fileName,
      mode: target.mode,
      leftParticipantId: target.mode === 'split' ? target.leftId : undefined,
    });
    let finish: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const poll = setInterval(() => {
      if (bus.closed) {
        finish();
      }
    }, BUS_POLL_MS);
    poll.unref();
    const recording = new MediaRecording(
      stopped.then(() => {
        clearInterval(poll);

        return recorder.stop();
      }),
    );
    recording.#stop = finish;

    return recording;
  }

  static async #startLeg(leg: LegAudio, target: MediaRecordingTarget): Promise<MediaRecording> {
    const channels = target.mode === 'split' ? 2 : 1;
    const wav = await WavRecorder.open({
      directory: target.directory,
      fileName: target.fileName,
      sampleRate: leg.sampleRate,
      channels,
    });
    const frameSamples = Math.round(leg.sampleRate / 50);
    const out = new Int16Array(frameSamples * channels);
    let tap: LegAudioTap | undefined = leg.tap((said, heard) => {
      if (channels === 1) {
        for (let i = 0; i < frameSamples; i++) {
          out[i] = saturate((said[i] ?? 0) + (heard[i] ?? 0));
        }
      } else {
        for (let i = 0; i < frameSamples; i++) {
          out[2 * i] = said[i] ?? 0;
          out[2 * i + 1] = heard[i] ?? 0;
        }
      }
      wav.write(out);
    });
    let finish: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const onClose = (): void => {
      finish();
    };
    leg.once('close', onClose);
    if (leg.closed) {
      finish();
    }
    const recording = new MediaRecording(
      stopped.then(() => {
        leg.off('close', onClose);
        tap?.close();
        tap = undefined;

        return wav.close();
      }),
    );
    recording.#stop = finish;

    return recording;
  }

  /** Stops capturing and finishes the file (see `ended`); idempotent. */
  stop(): Promise<RecordingResult> {
    this.#stop();

    return this.ended;
  }
}
