import { Resampler, softLimit } from '../../media/index.js';
import { type PlaybackEnd, type Playback, type PlayOptions } from './ConversationMediaHubTypes.js';
import { MediaHubError } from './errors.js';

/** Where limiting starts, as in the conversation mixer. */
const LIMIT_THRESHOLD = 24576;

/** A float sum as one 16-bit sample, limited softly. */
function limit(value: number): number {
  return Math.round(softLimit(value, LIMIT_THRESHOLD));
}

/** One playback in a {@link PlaybackMixer}. */
interface Entry {
  readonly pcm: Int16Array;
  readonly gain: number;
  /** Plays left after the current one; Infinity loops forever. */
  loopsLeft: number;
  position: number;
  readonly resolve: (end: PlaybackEnd) => void;
}

/**
 * The audio played to one leg or one conversation: any number of playbacks at once, each resampled once
 * to the mixer's rate when it is added, then summed 20 ms at a time on the media clock. It owns no timer;
 * whoever holds it calls {@link mixInto} or {@link pull} on each tick.
 */
export class PlaybackMixer {
  readonly #sampleRate: number;
  readonly #frameSamples: number;
  readonly #sum: Float32Array;
  readonly #out: Int16Array;
  #entries: Entry[] = [];
  #closed = false;

  /** @param sampleRate - rate of the frames the mixer produces @param frameSamples - samples per frame */
  constructor(sampleRate: number, frameSamples: number) {
    this.#sampleRate = sampleRate;
    this.#frameSamples = frameSamples;
    this.#sum = new Float32Array(frameSamples);
    this.#out = new Int16Array(frameSamples);
  }

  /** Whether anything is playing. */
  get active(): boolean {
    return this.#entries.length > 0;
  }

  /** Starts playing `pcm` (mono, at `sampleRate`); it is copied, so the caller may reuse it. */
  add(pcm: Int16Array, sampleRate: number, options: PlayOptions = {}): Playback {
    const level = options.level ?? 0;
    const loop = options.loop ?? 1;
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) {
      throw new MediaHubError('ERR_HUB_INVALID_ARGUMENT', `invalid sample rate ${sampleRate}`);
    }
    if (!(level >= -1 && level <= 1)) {
      throw new MediaHubError('ERR_HUB_INVALID_ARGUMENT', `level ${level} is outside -1..1`);
    }
    if (!Number.isInteger(loop) || loop < 0) {
      throw new MediaHubError('ERR_HUB_INVALID_ARGUMENT', `loop ${loop} is not a count (0 = forever)`);
    }
    let resolve: (end: PlaybackEnd) => void = () => undefined;
    const done = new Promise<PlaybackEnd>((r) => {
      resolve = r;
    });
    const samples = this.#resample(pcm, sampleRate);
    if (this.#closed || samples.length === 0) {
      resolve(this.#closed ? 'stopped' : 'finished');

      return { done, stop: () => undefined };
    }
    const entry: Entry = {
      pcm: samples,
      gain: 1 + level,
      loopsLeft: loop === 0 ? Infinity : loop - 1,
      position: 0,
      resolve,
    };
    this.#entries = [...this.#entries, entry];

    return {
      done,
      stop: () => {
        this.#remove(entry, 'stopped');
      },
    };
  }

  /**
   * Adds this tick's playback audio to `frame` and writes the limited sum to `out`, advancing every
   * playback by one frame. Returns `frame` itself when nothing is playing.
   */
  mixInto(frame: Int16Array, out: Int16Array): Int16Array {
    if (this.#entries.length === 0) {
      return frame;
    }
    const sum = this.#sum;
    for (let i = 0; i < sum.length; i++) {
      sum[i] = frame[i] ?? 0;
    }
    this.#accumulate(sum);
    for (let i = 0; i < sum.length; i++) {
      out[i] = limit(sum[i] ?? 0);
    }

    return out;
  }

  /** This tick's playback audio alone, or undefined when nothing plays (a bus source). */
  pull(): Int16Array | undefined {
    if (this.#entries.length === 0) {
      return undefined;
    }
    this.#sum.fill(0);
    this.#accumulate(this.#sum);
    for (let i = 0; i < this.#sum.length; i++) {
      this.#out[i] = limit(this.#sum[i] ?? 0);
    }

    return this.#out;
  }

  /** Stops every playback (each resolves `stopped`). */
  clear(): void {
    for (const entry of this.#entries) {
      entry.resolve('stopped');
    }
    this.#entries = [];
  }

  /** Stops everything and refuses later playbacks (they resolve `stopped` at once); idempotent. */
  close(): void {
    this.#closed = true;
    this.clear();
  }

  /** Adds one frame of every playback to `sum` and retires those that ended. */
  #accumulate(sum: Float32Array): void {
    const ended: Entry[] = [];
    for (const entry of this.#entries) {
      let at = 0;
      while (at < this.#frameSamples) {
        const take = Math.min(this.#frameSamples - at, entry.pcm.length - entry.position);
        for (let i = 0; i < take; i++) {
          sum[at + i] = (sum[at + i] ?? 0) + (entry.pcm[entry.position + i] ?? 0) * entry.gain;
        }
        at += take;
        entry.position += take;
        if (entry.position < entry.pcm.length) {
          continue;
        }
        if (entry.loopsLeft <= 0) {
          ended.push(entry);
          break;
        }
        entry.loopsLeft -= 1;
        entry.position = 0;
      }
    }
    for (const entry of ended) {
      this.#remove(entry, 'finished');
    }
  }

  #remove(entry: Entry, end: PlaybackEnd): void {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e !== entry);
    if (this.#entries.length !== before) {
      entry.resolve(end);
    }
  }

  /** `pcm` at the mixer's rate; the filter's tail is flushed with silence so the end is not cut off. */
  #resample(pcm: Int16Array, sampleRate: number): Int16Array {
    if (sampleRate === this.#sampleRate) {
      return pcm.slice();
    }
    const resampler = new Resampler({ inputRate: sampleRate, outputRate: this.#sampleRate });
    const tail = Math.ceil(resampler.delaySeconds * sampleRate) + 1;
    const padded = new Int16Array(pcm.length + tail);
    padded.set(pcm);
    const out = resampler.process(padded);
    const skip = Math.round(resampler.delaySeconds * this.#sampleRate);
    const length = Math.round((pcm.length * this.#sampleRate) / sampleRate);

    return out.slice(skip, skip + length);
  }
}
