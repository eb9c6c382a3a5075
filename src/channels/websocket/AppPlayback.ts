import {
  PlayoutQueue,
  decodeL16LittleEndian,
  paceOf,
  type BusSourcePace,
  type PlayoutQueueStats,
} from '../../media/index.js';
import { clearedMessage, notifyMessage, parseControlMessage, type JsonValue } from './protocol.js';
import { type WebSocketNotifyInfo } from './WebSocketLegTypes.js';

/** Largest message, in samples, decoded into the reused scratch array. */
const MAX_SCRATCH_SAMPLES = 4800;

/** What {@link AppPlayback} needs from its leg. */
export interface AppPlaybackHooks {
  /** Sends a text message to the application; false when no connection is open. */
  send: (text: string) => boolean;
  /** A `websocket:notify` answer went out. */
  onNotify: (info: WebSocketNotifyInfo) => void;
  /** A `clear` dropped `droppedMs` of queued audio. */
  onCleared: (droppedMs: number) => void;
}

/**
 * The application → conversation direction of a WebSocket leg: audio messages of any size into a
 * {@link PlayoutQueue}, and the `clear` and `notify` actions that steer it.
 *
 * A message may end in half a sample (an odd byte count); that byte is kept and completed by the first
 * byte of the next message, so chunking never shifts the sample alignment. `notify` becomes a queue mark,
 * answered with the application's payload on the tick after the audio before it has been handed out.
 * `clear` drops the queue; marks still pending are answered first (reported as cleared), then
 * `websocket:cleared` goes out.
 */
export class AppPlayback {
  readonly #queue: PlayoutQueue;
  readonly #hooks: AppPlaybackHooks;
  readonly #payloads = new Map<string, JsonValue | undefined>();
  #markSeq = 0;
  #oddByte: number | undefined;
  // Decoded samples of the message being queued; grows to the largest message seen.
  #scratch = new Int16Array(0);
  #invalid = 0;
  #closed = false;

  /**
   * @param queue - options of the playout queue (rate, prebuffer, byte cap)
   * @param hooks - how to answer the application and report to the leg
   */
  constructor(queue: { sampleRate: number; prebufferMs: number; maxBytes: number }, hooks: AppPlaybackHooks) {
    this.#queue = new PlayoutQueue(queue);
    this.pace = paceOf(this.#queue);
    this.#hooks = hooks;
  }

  /** When the application's frames arrive, for the conversation bus's phase lock. */
  readonly pace: BusSourcePace;

  /** Milliseconds of audio waiting to be played. */
  get queuedMs(): number {
    return this.#queue.queuedMs;
  }

  /** Notify marks waiting for their audio to play. */
  get pendingNotifies(): number {
    return this.#payloads.size;
  }

  /** Text messages that were not valid JSON or not a known action. */
  get invalidMessages(): number {
    return this.#invalid;
  }

  /** Playout queue counters. */
  get stats(): PlayoutQueueStats {
    return this.#queue.stats;
  }

  /** Queues one binary message of little-endian L16 audio, of any length. */
  audio(bytes: Buffer): void {
    let data = bytes;
    if (this.#oddByte !== undefined) {
      data = Buffer.concat([Buffer.of(this.#oddByte), data]);
      this.#oddByte = undefined;
    }
    if (data.length % 2 === 1) {
      this.#oddByte = data[data.length - 1];
    }
    if (data.length >= 2) {
      // The queue copies what it is given, so one scratch array serves every message of up to 100 ms at
      // 48 kHz (a rare bigger one gets an array of its own rather than pinning memory for the whole leg).
      const samples = data.length >> 1;
      if (this.#scratch.length < samples && samples <= MAX_SCRATCH_SAMPLES) {
        this.#scratch = new Int16Array(samples);
      }
      // An odd trailing byte (kept above) is ignored by the decoder.
      this.#queue.enqueue(
        decodeL16LittleEndian(data, samples <= this.#scratch.length ? this.#scratch : undefined),
      );
    }
  }

  /** Handles one text message; junk is counted and ignored. */
  control(text: string): void {
    const message = parseControlMessage(text);
    if (message === undefined) {
      this.#invalid += 1;
      return;
    }
    if (message.action === 'clear') {
      this.#oddByte = undefined;
      const dropped = this.#queue.clear();
      this.#hooks.send(clearedMessage());
      this.#hooks.onCleared(dropped.durationMs);
      return;
    }
    this.#markSeq += 1;
    const name = String(this.#markSeq);
    this.#payloads.set(name, message.payload);
    this.#queue.mark(name, (info) => {
      const payload = this.#payloads.get(info.name);
      this.#payloads.delete(info.name);
      if (!this.#closed) {
        this.#hooks.send(notifyMessage(payload));
        this.#hooks.onNotify({ payload, cleared: info.cleared });
      }
    });
  }

  /** Forgets a half sample left by a connection that ended; called when a new connection opens. */
  resetAlignment(): void {
    this.#oddByte = undefined;
  }

  /** One clock tick: the frame to play, or undefined for silence. */
  pull(): Int16Array | undefined {
    const frame = this.#queue.tick();

    return frame.silence ? undefined : frame.pcm;
  }

  /** Drops everything without answering the application; idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#queue.clear();
    this.#payloads.clear();
  }
}
