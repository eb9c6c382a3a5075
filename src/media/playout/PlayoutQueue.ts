import { MediaStateError } from '../errors.js';
import { EnhancedEventEmitter } from '../EnhancedEventEmitter.js';
import { isQuietFrame } from './quietFrame.js';
import { WaitWindow, type PaceFollowTerms } from './WaitWindow.js';

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
  /**
   * Slack, beyond the prebuffer, that every frame of a live stream must have had over a
   * {@link PlayoutQueueOptions.shedWindowTicks} window before the queue sheds a quiet frame of standing
   * delay (see {@link PlayoutQueue}).
   * @defaultValue 10
   */
  shedMarginMs?: number;
  /**
   * Ticks of steady playback over which standing delay is measured.
   * @defaultValue 250 (5 s)
   */
  shedWindowTicks?: number;
  /**
   * Monotonic time in milliseconds (tests give their own).
   * @defaultValue `performance.now`
   */
  now?: () => number;
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

/** Queue entries: a full frame of audio (with the time it was completed) or a mark. */
type Entry =
  | { kind: 'audio'; pcm: Int16Array; at: number }
  | { kind: 'mark'; info: PlayoutMarkInfo; callback?: (info: PlayoutMarkInfo) => void };

/** Counters of a {@link PlayoutQueue}. */
export interface PlayoutQueueStats {
  /** Frames of real audio played. */
  playedFrames: number;
  /** Frames of silence played after playback had started once. */
  silenceFrames: number;
  /** Quiet frames of a live stream left out to shed standing delay. */
  shedFrames: number;
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
 *
 * A live stream (an application sending audio as it happens, about one frame per tick) can be left with
 * more delay than the prebuffer asks for: after an underrun, a burst, or because of the phase at which its
 * frames meet the clock. When every frame of a stable window waited a frame longer than the prebuffer
 * needs, plus a margin, the queue leaves out the next quiet frame (one followed by more audio), so the
 * delay falls back without cutting into speech. While a bus follows the stream (see
 * {@link PlayoutQueue.follow}), every standing frame the window shows goes, one per quiet frame, and the
 * windows right after an underrun are short, so the frames a stalled sender's burst leaves behind go within
 * a few tenths of a second. Audio sent ahead of time (a prompt queued at once) is never shortened: it does
 * not arrive at the pace of the clock.
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
  readonly #stats = { playedFrames: 0, silenceFrames: 0, shedFrames: 0, underruns: 0, overflowBytes: 0 };
  readonly #now: () => number;
  // The standing-delay window: the waits of the frames played, and the frames completed meanwhile.
  readonly #waits: WaitWindow;
  #windowFrames = 0;
  // Frames of standing delay the last window showed that are still to go (one per quiet frame).
  #shedLeft = 0;
  #everPlayed = false;
  // When the last frame was completed, and how long the frame the last tick played had waited.
  #lastFrameAt = -Infinity;
  #lastWaitMs = Number.NaN;
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
    this.#now = options.now ?? (() => performance.now());
    this.#waits = new WaitWindow(options.shedWindowTicks ?? 250, options.shedMarginMs ?? 10);
  }

  /** Samples per frame. */
  get frameSamples(): number {
    return this.#frameSamples;
  }

  /** Whether audio is being played (false while prebuffering or idle). */
  get playing(): boolean {
    return this.#playing;
  }

  /**
   * Whether a live stream is playing: frames arrive about one per tick (one came within the last two
   * frame times) and are played as they come (no more than a frame beyond the prebuffer is queued). A
   * prompt sent ahead of time is not live.
   */
  get live(): boolean {
    return (
      this.#playing &&
      this.#queuedFrames <= this.#prebufferFrames + 1 &&
      this.#now() - this.#lastFrameAt < 2 * this.#frameMs
    );
  }

  /** Whether the next {@link tick} has a frame of audio to play (false while prebuffering). */
  get nextReady(): boolean {
    return this.#playing && this.#queuedFrames > 0;
  }

  /** How long the frame the last {@link tick} played had waited, in ms; NaN when it played silence. */
  get lastWaitMs(): number {
    return this.#lastWaitMs;
  }

  /**
   * Told that the bus pulling this queue follows its live stream and waits for late frames (`terms`), or
   * no longer does (undefined). While followed, the prebuffer is only a start-up cushion: a live stream's
   * standing delay is shed down to one frame plus the bus's margin, judged over the bus's window.
   */
  follow(terms: PaceFollowTerms | undefined): void {
    this.#waits.follow(terms);
    this.#windowFrames = 0;
    this.#shedLeft = 0;
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
    let now = Number.NaN;
    while (at < accepted) {
      const take = Math.min(this.#frameSamples - this.#partialLength, accepted - at);
      this.#partial.set(pcm.subarray(at, at + take), this.#partialLength);
      this.#partialLength += take;
      at += take;
      if (this.#partialLength === this.#frameSamples) {
        if (Number.isNaN(now)) {
          now = this.#now();
        }
        this.#pushPartial(now);
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
      this.#pushPartial(this.#now());
    }
    this.#entries.push({ kind: 'mark', info: { name, cleared: false }, callback });
  }

  /** Moves the (full or padded) partial frame, completed at `at`, into the queue. */
  #pushPartial(at: number): void {
    this.#entries.push({ kind: 'audio', pcm: this.#partial, at });
    this.#lastFrameAt = at;
    this.#queuedFrames += 1;
    this.#windowFrames += 1;
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
    this.#restartWindow();
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
    this.#lastWaitMs = Number.NaN;
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
    const now = this.#now();
    if (this.#playing && this.#queuedFrames === 0 && this.#partialLength > 0 && idle) {
      // Nothing more is coming for now: send the tail rather than hold it back.
      this.#partial.fill(0, this.#partialLength);
      this.#partialLength = this.#frameSamples;
      this.#pushPartial(now);
    }
    if (this.#playing) {
      let entry = this.#entries[this.#head];
      if (entry?.kind === 'audio') {
        const after = this.#entries[this.#head + 1];
        if (this.#shedLeft > 0 && after?.kind === 'audio' && isQuietFrame(entry.pcm)) {
          // A frame of standing delay goes, on a quiet frame, so that nobody hears it go.
          this.#recycle(entry.pcm);
          this.#head += 1;
          this.#queuedFrames -= 1;
          this.#stats.shedFrames += 1;
          // The window showed how many frames stand; the rest go at the next quiet frames.
          this.#restartWindow(false, this.#shedLeft - 1);
          entry = after;
        }
        this.#head += 1;
        this.#queuedFrames -= 1;
        this.#stats.playedFrames += 1;
        this.#everPlayed = true;
        this.#handedOut = entry.pcm;
        this.#lastWaitMs = now - entry.at;
        this.#measure(this.#lastWaitMs);

        return { pcm: entry.pcm, silence: false };
      }
      this.#playing = false;
      this.#idleTicks = 0;
      this.#stats.underruns += 1;
      this.#restartWindow(true);
      this.safeEmit('underrun');
    }
    if (this.#everPlayed) {
      this.#stats.silenceFrames += 1;
    }

    return { pcm: this.#silence, silence: true };
  }

  /**
   * Starts a new standing-delay window (after an underrun, a clear or a shed, the old waits no longer
   * apply), with `shedLeft` frames still to shed: none, but for the rest of those a shed's window showed.
   */
  #restartWindow(afterUnderrun = false, shedLeft = 0): void {
    this.#waits.restart(afterUnderrun);
    this.#windowFrames = 0;
    this.#shedLeft = shedLeft;
  }

  /** Counts how long a played frame waited; at the end of a window, decides whether delay is standing. */
  #measure(waitMs: number): void {
    const summary = this.#waits.add(waitMs);
    if (summary !== undefined) {
      // Live means about one frame arrived per tick played; a prompt queued ahead of time is not live.
      // (Within a frame for a short window: the one after an underrun, which the burst that ends it opens.)
      const live = Math.abs(this.#windowFrames - summary.count) <= Math.max(1, summary.count / 10);
      const floorFrames = this.#waits.followed ? 1 : this.#prebufferFrames;
      this.#shedLeft = live
        ? this.#waits.standingFrames(summary, floorFrames * this.#frameMs, this.#frameMs)
        : 0;
      this.#windowFrames = 0;
    }
  }
}
