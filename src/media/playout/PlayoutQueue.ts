import { MediaStateError } from '../errors.js';
import { EnhancedEventEmitter } from '../EnhancedEventEmitter.js';

/** Options of {@link PlayoutQueue}. */
export interface PlayoutQueueOptions {
  /**
   * Sampling rate of the queued PCM.
   * @defaultValue 8000
   */
  sampleRate?: number;
  /**
   * Frame duration handed out per tick.
   * @defaultValue 20
   */
  frameMs?: number;
  /**
   * Audio to accumulate before playback starts (and restarts after an underrun). If no more audio
   * arrives for this long, whatever is queued starts anyway, so short prompts are never stuck.
   * @defaultValue 40
   */
  prebufferMs?: number;
  /**
   * Most PCM bytes (2 per sample) held; audio beyond it is dropped and counted.
   * @defaultValue 5 MiB, about 5.5 min at 8 kHz
   */
  maxBytes?: number;
}

/** How a mark was resolved. */
export interface PlayoutMarkInfo {
  /** The label given to {@link PlayoutQueue.mark}. */
  name: string;
  /** True when the mark fired because the queue was cleared rather than played out. */
  cleared: boolean;
}

/** Events of {@link PlayoutQueue}. */
export interface PlayoutQueueEvents extends Record<string, unknown[]> {
  /** A mark was reached (or cleared). */
  mark: [PlayoutMarkInfo];
  /** Playback ran out of audio and fell back to silence. */
  underrun: [];
  /** A listener threw. */
  listenererror: [string, unknown];
}

/** What {@link PlayoutQueue.tick} hands out. */
export interface PlayoutFrame {
  /** One frame of PCM; silence (zeros) when `silence` is true. Valid until the next tick. */
  pcm: Int16Array;
  /** Whether the frame is filler rather than queued audio. */
  silence: boolean;
}

/** What {@link PlayoutQueue.clear} removed. */
export interface PlayoutClearResult {
  /** Samples dropped. */
  samples: number;
  /** PCM bytes dropped (2 per sample). */
  bytes: number;
  /** Milliseconds of audio dropped. */
  durationMs: number;
  /** Marks resolved as cleared. */
  marks: number;
}

/** Queue entries: a full frame of audio or a mark. */
type Entry =
  | { kind: 'audio'; pcm: Int16Array }
  | { kind: 'mark'; info: PlayoutMarkInfo; callback?: (info: PlayoutMarkInfo) => void };

/** Counters of a {@link PlayoutQueue}. */
export interface PlayoutQueueStats {
  /** Frames of real audio played. */
  playedFrames: number;
  /** Frames of silence played after playback had started once. */
  silenceFrames: number;
  /** Times playback ran dry. */
  underruns: number;
  /** Bytes refused because the cap was reached. */
  overflowBytes: number;
  /** Bytes currently queued (full frames plus the partial one). */
  queuedBytes: number;
}

/**
 * The outgoing audio queue of one leg (application → RTP), drained once per clock tick.
 *
 * Chunks of any size are re-framed into fixed frames; playback waits for `prebufferMs` of audio, plays
 * silence when the queue runs dry (and prebuffers again), can be flushed at once, and enforces a byte cap.
 * Marks placed between chunks fire exactly when everything queued before them has been played out: on the
 * tick after the last earlier frame was handed out (that frame has then finished playing). A mark forces
 * the partial frame before it out, padded with silence, so it never waits for audio queued after it.
 */
export class PlayoutQueue extends EnhancedEventEmitter<PlayoutQueueEvents> {
  readonly #frameSamples: number;
  readonly #frameMs: number;
  readonly #sampleRate: number;
  readonly #prebufferFrames: number;
  readonly #maxSamples: number;
  readonly #entries: Entry[] = [];
  // Index of the first live entry; compacted now and then instead of shifting on every tick.
  #head = 0;
  #partial: Int16Array;
  #partialLength = 0;
  #queuedFrames = 0;
  #playing = false;
  #idleTicks = 0;
  #enqueuedSinceTick = false;
  readonly #silence: Int16Array;
  readonly #stats = { playedFrames: 0, silenceFrames: 0, underruns: 0, overflowBytes: 0 };
  #everPlayed = false;
  // Spent frames kept for reuse, so steady playback allocates nothing per frame.
  readonly #pool: Int16Array[] = [];
  // The frame handed out by the last tick; the caller may read it until the next tick.
  #handedOut: Int16Array | undefined;

  /** @param options - rate, framing, prebuffer and cap */
  constructor(options: PlayoutQueueOptions = {}) {
    super();
    this.#sampleRate = options.sampleRate ?? 8000;
    this.#frameMs = options.frameMs ?? 20;
    this.#frameSamples = Math.round((this.#sampleRate * this.#frameMs) / 1000);
    if (!(this.#frameSamples > 0)) {
      throw new MediaStateError('ERR_MEDIA_INVALID_OPTION', 'playout frame size must be positive');
    }
    this.#prebufferFrames = Math.ceil((options.prebufferMs ?? 40) / this.#frameMs);
    this.#maxSamples = Math.floor((options.maxBytes ?? 5 * 1024 * 1024) / 2);
    this.#partial = new Int16Array(this.#frameSamples);
    this.#silence = new Int16Array(this.#frameSamples);
  }

  /** Samples per frame. */
  get frameSamples(): number {
    return this.#frameSamples;
  }

  /** Whether audio is being played (false while prebuffering or idle). */
  get playing(): boolean {
    return this.#playing;
  }

  /** Milliseconds of audio queued. */
  get queuedMs(): number {
    return ((this.#queuedSamples() * 1000) / this.#sampleRate) | 0;
  }

  /** Counters. */
  get stats(): PlayoutQueueStats {
    return { ...this.#stats, queuedBytes: this.#queuedSamples() * 2 };
  }

  /** Samples held in full frames and the partial frame. */
  #queuedSamples(): number {
    return this.#queuedFrames * this.#frameSamples + this.#partialLength;
  }

  /**
   * Appends PCM of any length (copied, so the caller may reuse its buffer). Returns the number of samples
   * accepted; the rest exceeded the byte cap and was dropped.
   */
  enqueue(pcm: Int16Array): number {
    const room = Math.max(0, this.#maxSamples - this.#queuedSamples());
    const accepted = Math.min(room, pcm.length);
    this.#stats.overflowBytes += (pcm.length - accepted) * 2;
    let at = 0;
    while (at < accepted) {
      const take = Math.min(this.#frameSamples - this.#partialLength, accepted - at);
      this.#partial.set(pcm.subarray(at, at + take), this.#partialLength);
      this.#partialLength += take;
      at += take;
      if (this.#partialLength === this.#frameSamples) {
        this.#pushPartial();
      }
    }
    if (accepted > 0) {
      this.#enqueuedSinceTick = true;
    }

    return accepted;
  }

  /**
   * Places a mark after the audio queued so far. `callback` (and the `mark` event) fire once that audio
   * has played out, or with `cleared: true` if the queue is cleared first.
   */
  mark(name: string, callback?: (info: PlayoutMarkInfo) => void): void {
    if (this.#partialLength > 0) {
      this.#partial.fill(0, this.#partialLength);
      this.#partialLength = this.#frameSamples;
      this.#pushPartial();
    }
    this.#entries.push({ kind: 'mark', info: { name, cleared: false }, callback });
  }

  /** Moves the (full or padded) partial frame into the queue. */
  #pushPartial(): void {
    this.#entries.push({ kind: 'audio', pcm: this.#partial });
    this.#queuedFrames += 1;
    this.#partial = this.#pool.pop() ?? new Int16Array(this.#frameSamples);
    this.#partialLength = 0;
  }

  /** Keeps a spent frame for reuse (a few at most, so a big clear does not pin memory). */
  #recycle(frame: Int16Array): void {
    if (this.#pool.length < 8) {
      this.#pool.push(frame);
    }
  }

  /**
   * Drops all queued audio at once (barge-in). Pending marks fire with `cleared: true`. Returns what was
   * dropped.
   */
  clear(): PlayoutClearResult {
    const samples = this.#queuedSamples();
    const marks: PlayoutMarkInfo[] = [];
    const callbacks: [PlayoutMarkInfo, ((info: PlayoutMarkInfo) => void) | undefined][] = [];
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i];
      if (entry?.kind === 'audio') {
        this.#recycle(entry.pcm);
      } else if (entry?.kind === 'mark') {
        const info = { name: entry.info.name, cleared: true };
        marks.push(info);
        callbacks.push([info, entry.callback]);
      }
    }
    this.#entries.length = 0;
    this.#head = 0;
    this.#queuedFrames = 0;
    this.#partialLength = 0;
    this.#playing = false;
    for (const [info, callback] of callbacks) {
      this.#fireMark(info, callback);
    }

    return {
      samples,
      bytes: samples * 2,
      durationMs: (samples * 1000) / this.#sampleRate,
      marks: marks.length,
    };
  }

  /** Runs a mark's callback and event, isolating errors. */
  #fireMark(info: PlayoutMarkInfo, callback: ((info: PlayoutMarkInfo) => void) | undefined): void {
    if (callback !== undefined) {
      try {
        callback(info);
      } catch (error) {
        this.safeEmit('listenererror', 'mark', error);
      }
    }
    this.safeEmit('mark', info);
  }

  /** Fires the marks at the head of the queue (everything before them has been handed out). */
  #fireHeadMarks(): void {
    for (;;) {
      const entry = this.#entries[this.#head];
      if (entry?.kind !== 'mark') {
        break;
      }
      this.#head += 1;
      this.#fireMark(entry.info, entry.callback);
    }
    if (this.#head > 64 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Called once per frame interval by the media clock: returns the frame to send now. */
  tick(): PlayoutFrame {
    if (this.#handedOut !== undefined) {
      this.#recycle(this.#handedOut);
      this.#handedOut = undefined;
    }
    this.#fireHeadMarks();
    const idle = !this.#enqueuedSinceTick;
    this.#enqueuedSinceTick = false;
    if (!this.#playing) {
      this.#idleTicks = idle ? this.#idleTicks + 1 : 0;
      const ready =
        this.#queuedFrames >= this.#prebufferFrames ||
        (this.#queuedSamples() > 0 && this.#idleTicks >= this.#prebufferFrames);
      if (ready) {
        this.#playing = true;
      }
    }
    if (this.#playing && this.#queuedFrames === 0 && this.#partialLength > 0 && idle) {
      // Nothing more is coming for now: send the tail rather than hold it back.
      this.#partial.fill(0, this.#partialLength);
      this.#partialLength = this.#frameSamples;
      this.#pushPartial();
    }
    if (this.#playing) {
      const entry = this.#entries[this.#head];
      if (entry?.kind === 'audio') {
        this.#head += 1;
        this.#queuedFrames -= 1;
        this.#stats.playedFrames += 1;
        this.#everPlayed = true;
        this.#handedOut = entry.pcm;

        return { pcm: entry.pcm, silence: false };
      }
      this.#playing = false;
      this.#idleTicks = 0;
      this.#stats.underruns += 1;
      this.safeEmit('underrun');
    }
    if (this.#everPlayed) {
      this.#stats.silenceFrames += 1;
    }

    return { pcm: this.#silence, silence: true };
  }
}
