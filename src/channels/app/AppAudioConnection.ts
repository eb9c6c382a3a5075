import { WebSocket, type RawData } from 'ws';
import type { Logger } from '../../log/index.js';
import { encodeL16LittleEndian, type BusSourcePace } from '../../media/index.js';
import type { LegEndpoint } from '../media/ConversationMediaHubTypes.js';
import { AppPlayback } from '../websocket/AppPlayback.js';
import { Heartbeat } from '../websocket/Heartbeat.js';
import {
  connectedMessage,
  dtmfMessage,
  isDtmfDigit,
  type WebSocketAudioRate,
} from '../websocket/protocol.js';

/** Tunables of one audio socket. */
export interface AppAudioConnectionOptions {
  /** Rate of the socket's L16 audio. */
  readonly sampleRate: WebSocketAudioRate;
  /** Ping period; a peer silent for two periods is terminated. */
  readonly pingIntervalMs: number;
  /** Bytes allowed to wait in the socket before frames to the client are dropped (about 1 s of audio). */
  readonly maxBufferedBytes: number;
  /** Bytes of client audio queued for playout at most. */
  readonly maxQueueBytes: number;
  /** Top-level keys added to the `websocket:connected` frame. */
  readonly connectedInfo: Readonly<Record<string, string>>;
  readonly logger: Logger;
}

/** Counters of one audio socket. */
export interface AppAudioConnectionStats {
  framesSent: number;
  /** Frames not sent because the client stopped reading. */
  framesDropped: number;
  audioMessages: number;
  audioBytes: number;
}

/**
 * One client's audio socket of `GET /v1/conversations/{id}/audio`, as the media hub sees it: a
 * {@link LegEndpoint} that sends the conversation's mix to the client as 20 ms binary L16 frames and plays
 * the client's binary messages (any size, re-framed by a playout queue) into the conversation, with the
 * `clear` and `notify` actions of the WebSocket channel. The protocol is the one of confab's WebSocket
 * channel (Vonage §4.4), only the direction of the dial is reversed.
 *
 * Close cascade: the socket closing (either side) runs `onClosed` once; {@link close} closes the socket.
 */
export class AppAudioConnection implements LegEndpoint {
  readonly sampleRate: number;
  readonly stats: AppAudioConnectionStats = {
    framesSent: 0,
    framesDropped: 0,
    audioMessages: 0,
    audioBytes: 0,
  };
  readonly #ws: WebSocket;
  readonly #options: AppAudioConnectionOptions;
  readonly #playback: AppPlayback;
  readonly #heartbeat: Heartbeat;
  #onClosed: ((code: number, reason: string) => void) | undefined;
  #closed = false;

  /**
   * Takes over an open socket and sends the `websocket:connected` frame at once, so it is the first frame
   * the client reads.
   */
  constructor(ws: WebSocket, options: AppAudioConnectionOptions) {
    this.#ws = ws;
    this.#options = options;
    this.sampleRate = options.sampleRate;
    this.#playback = new AppPlayback(
      { sampleRate: options.sampleRate, prebufferMs: 40, maxBytes: options.maxQueueBytes },
      {
        send: (text) => this.#sendText(text),
        onNotify: () => undefined,
        onCleared: () => undefined,
      },
    );
    this.#heartbeat = new Heartbeat(ws, options.pingIntervalMs, () => {
      options.logger.info('audio socket peer stopped answering pings');
    });
    ws.send(connectedMessage(options.sampleRate, options.connectedInfo));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.#heartbeat.alive();
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        this.stats.audioMessages += 1;
        this.stats.audioBytes += bytes.length;
        this.#playback.audio(bytes);
      } else {
        this.#playback.control(bytes.toString('utf8'));
      }
    });
    ws.on('error', (error) => {
      options.logger.debug({ err: error }, 'audio socket error');
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.#finish(code, reason.toString('utf8'));
    });
  }

  /** Whether the socket has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Runs once when the socket has ended, whichever side closed it. */
  onClosed(listener: (code: number, reason: string) => void): void {
    this.#onClosed = listener;
  }

  /** When the client's frames arrive, for the bus's phase lock. */
  get pace(): BusSourcePace {
    return this.#playback.pace;
  }

  /** The client's next 20 ms of audio, or undefined for silence. */
  pullFrame(): Int16Array | undefined {
    return this.#closed ? undefined : this.#playback.pull();
  }

  /** Sends one 20 ms frame of the conversation to the client, unless it stopped reading. */
  pushFrame(pcm: Int16Array): void {
    if (this.#ws.readyState !== WebSocket.OPEN) {
      return;
    }
    if (this.#ws.bufferedAmount >= this.#options.maxBufferedBytes) {
      this.stats.framesDropped += 1;
      return;
    }
    // A fresh buffer: an unmasked server frame may wait in the socket, and the hub reuses `pcm`.
    this.#ws.send(encodeL16LittleEndian(pcm));
    this.stats.framesSent += 1;
  }

  /** Tells the client a digit another participant pressed (`websocket:dtmf`). */
  sendDtmf(digit: string, durationMs: number): void {
    if (isDtmfDigit(digit)) {
      this.#sendText(dtmfMessage(digit, durationMs));
    }
  }

  /** Closes the socket (normal closure unless told otherwise); idempotent. */
  close(code = 1000, reason = ''): void {
    if (this.#ws.readyState === WebSocket.CONNECTING || this.#ws.readyState === WebSocket.OPEN) {
      this.#ws.close(code, reason);
      // A peer that never answers the close handshake is cut off.
      setTimeout(() => {
        this.#ws.terminate();
      }, 1000).unref();
    }
  }

  #sendText(text: string): boolean {
    if (this.#ws.readyState !== WebSocket.OPEN) {
      return false;
    }
    this.#ws.send(text);

    return true;
  }

  #finish(code: number, reason: string): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#heartbeat.stop();
    this.#playback.close();
    const listener = this.#onClosed;
    this.#onClosed = undefined;
    listener?.(code, reason);
  }
}
