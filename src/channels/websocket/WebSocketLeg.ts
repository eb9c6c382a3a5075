import { endianness } from 'node:os';
import { WebSocket, type RawData } from 'ws';
import { silentLogger, type Logger } from '../../log/index.js';
import {
  EnhancedEventEmitter,
  encodeL16LittleEndian,
  type BusParticipant,
  type BusSourcePace,
  type ConversationAudioBus,
} from '../../media/index.js';
import { AppPlayback } from './AppPlayback.js';
import { WebSocketChannelError } from './errors.js';
import { Heartbeat } from './Heartbeat.js';
import {
  connectedMessage,
  dtmfMessage,
  frameBytesFor,
  isDtmfDigit,
  type WebSocketAudioRate,
} from './protocol.js';
import { resolveLegOptions, type ResolvedLegOptions } from './resolveLegOptions.js';
import {
  type WebSocketDisconnectReason,
  type WebSocketLegEvents,
  type WebSocketLegOptions,
  type WebSocketLegStats,
  type WebSocketLegStatus,
} from './WebSocketLegTypes.js';
import { protocolCloseCode, rawToBuffer } from './wsData.js';

/** Whether this host stores an Int16Array as little-endian bytes (the wire format of the audio). */
const LITTLE_ENDIAN = endianness() === 'LE';

/** Close code when no close frame arrived (RFC 6455 section 7.4.1). */
const ABNORMAL_CLOSURE = 1006;

/** Most fragments one application message may come in (ws's client default is 16384). */
const MAX_FRAGMENTS = 256;

/** Most TCP chunks buffered while one frame is parsed (ws's client default is 262144). */
const MAX_BUFFERED_CHUNKS = 4096;

/**
 * One leg of a conversation carried over a WebSocket that confab dials to an application (the Vonage
 * `websocket` endpoint). It is the glue between the socket and the conversation audio bus:
 *
 * - on each clock tick the bus hands it the mix of the other participants, sent as one binary frame
 *   (`pushFrame`), unless the application has stopped reading: then frames beyond `maxBufferedMs` are
 *   dropped and counted rather than buffered without bound;
 * - application audio of any chunk size (odd lengths included) is re-framed by a {@link PlayoutQueue} and
 *   pulled by the bus one frame per tick (`pullFrame`);
 * - `clear` empties that queue and `notify` places a mark in it, answered when the audio before it has
 *   played; DTMF from the call goes out as `websocket:dtmf`;
 * - an unexpected close is retried with exponential backoff; the leg reports `connected`, `reconnecting`
 *   and finally `disconnected` once.
 *
 * Close cascade: `close()` (or a final disconnect) stops the retry and heartbeat timers, closes the socket
 * with 1000, drops queued playback, leaves the bus and emits `disconnected`; every step runs once.
 */
export class WebSocketLeg extends EnhancedEventEmitter<WebSocketLegEvents> {
  readonly #options: ResolvedLegOptions;
  readonly #logger: Logger;
  readonly #playback: AppPlayback;
  readonly #stats = {
    framesSent: 0,
    framesDropped: 0,
    framesSkipped: 0,
    maxBufferedBytes: 0,
    audioMessages: 0,
    audioBytes: 0,
    protocolErrors: 0,
    dtmfSent: 0,
    reconnects: 0,
  };
  #status: WebSocketLegStatus = 'idle';
  #socket: WebSocket | undefined;
  #connections = 0;
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #heartbeat: Heartbeat | undefined;
  #participant: BusParticipant | undefined;
  #closed = false;
  // A Buffer over the bytes of the last frame array the bus handed over. The bus hands over the same
  // reused array every tick, so the view is made once rather than by ws on every send.
  #viewedArray: Int16Array | undefined;
  #arrayView: Buffer | undefined;

  /** @param options - where to dial, audio format, retry policy and limits; checked at once */
  constructor(options: WebSocketLegOptions) {
    super();
    this.#options = resolveLegOptions(options);
    this.#logger = (options.logger ?? silentLogger()).child({ legId: options.id });
    this.#playback = new AppPlayback(
      {
        sampleRate: this.#options.rate,
        prebufferMs: this.#options.prebufferMs,
        maxBytes: this.#options.maxQueueBytes,
      },
      {
        send: (text) => this.#sendText(text),
        onNotify: (info) => this.safeEmit('notify', info),
        onCleared: (droppedMs) => this.safeEmit('cleared', { droppedMs }),
      },
    );
  }

  /** Leg identifier. */
  get id(): string {
    return this.#options.id;
  }

  /** Sampling rate of the audio in both directions. */
  get sampleRate(): WebSocketAudioRate {
    return this.#options.rate;
  }

  /** Bytes of one binary frame sent to the application. */
  get frameBytes(): number {
    return frameBytesFor(this.#options.rate);
  }

  /** Where the leg stands. */
  get status(): WebSocketLegStatus {
    return this.#status;
  }

  /** Whether the leg has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Milliseconds of application audio waiting to be played. */
  get queuedMs(): number {
    return this.#playback.queuedMs;
  }

  /** Notify marks waiting for their audio to play. */
  get pendingNotifies(): number {
    return this.#playback.pendingNotifies;
  }

  /** Bytes waiting in the open socket's send buffer (0 when no socket is open). */
  get bufferedAmount(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  /** Counters. */
  get stats(): WebSocketLegStats {
    return { ...this.#stats, invalidMessages: this.#playback.invalidMessages, playout: this.#playback.stats };
  }

  /**
   * Dials the application. Resolves once the first connection is open and announced; rejects with
   * {@link WebSocketChannelError} `ERR_WS_CLOSED` if the leg ends first.
   */
  start(): Promise<void> {
    if (this.#closed || this.#status !== 'idle') {
      return Promise.reject(
        new WebSocketChannelError('ERR_WS_CLOSED', `leg ${this.#options.id} was already started`),
      );
    }
    const ready = new Promise<void>((resolve, reject) => {
      const onConnected = (): void => {
        this.off('disconnected', onDisconnected);
        resolve();
      };
      const onDisconnected = (): void => {
        this.off('connected', onConnected);
        reject(
          new WebSocketChannelError('ERR_WS_CLOSED', `leg ${this.#options.id} ended before it connected`),
        );
      };
      this.once('connected', onConnected);
      this.once('disconnected', onDisconnected);
    });
    this.#dial();

    return ready;
  }

  /**
   * Joins `bus` as a participant at this leg's rate: the bus pulls application audio from the leg and
   * pushes the mix of the others to it. The leg leaves the bus when it closes.
   */
  attach(bus: ConversationAudioBus): BusParticipant {
    if (this.#closed) {
      throw new WebSocketChannelError('ERR_WS_CLOSED', `leg ${this.#options.id} is closed`);
    }
    this.#participant?.leave();
    this.#participant = bus.join(this.#options.id, {
      sampleRate: this.#options.rate,
      source: () => this.pullFrame(),
      sink: (pcm) => {
        this.pushFrame(pcm);
      },
      pace: this.pace,
    });

    return this.#participant;
  }

  /** When the application's frames arrive, for the bus's phase lock. */
  get pace(): BusSourcePace {
    return this.#playback.pace;
  }

  /** One clock tick of application audio: a frame to play, or undefined for silence. */
  pullFrame(): Int16Array | undefined {
    return this.#playback.pull();
  }

  /** Sends one frame of conversation audio to the application, or drops it (see the class comment). */
  pushFrame(pcm: Int16Array): void {
    const socket = this.#socket;
    if (socket?.readyState !== WebSocket.OPEN) {
      this.#stats.framesSkipped += 1;
      return;
    }
    const buffered = socket.bufferedAmount;
    if (buffered > this.#stats.maxBufferedBytes) {
      this.#stats.maxBufferedBytes = buffered;
    }
    if (buffered >= this.#options.maxBufferedBytes) {
      this.#stats.framesDropped += 1;
      return;
    }
    // On a little-endian host the samples already are L16 little-endian bytes: ws masks every frame a
    // client sends into a fresh buffer of its own (header and payload merged) before it returns, so the
    // bus's reused array can go as it is, with no encoding and no extra copy. (Only a random mask of all
    // zeros, one frame in 2^32, is sent unmasked from the array itself.) Elsewhere, a fresh buffer.
    socket.send(LITTLE_ENDIAN ? this.#bytesOf(pcm) : encodeL16LittleEndian(pcm));
    this.#stats.framesSent += 1;
  }

  /** The bytes of `pcm` as a Buffer (a view, no copy), reused while the bus hands over the same array. */
  #bytesOf(pcm: Int16Array): Buffer {
    if (pcm !== this.#viewedArray || this.#arrayView === undefined) {
      this.#viewedArray = pcm;
      this.#arrayView = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    }

    return this.#arrayView;
  }

  /**
   * Tells the application about a DTMF digit (one per message). Returns false when no connection is open.
   * Throws {@link WebSocketChannelError} `ERR_WS_INVALID_DIGIT` for anything but 0-9, *, #, A-D.
   */
  sendDtmf(digit: string, durationMs: number): boolean {
    if (!isDtmfDigit(digit) || !(durationMs >= 0)) {
      throw new WebSocketChannelError('ERR_WS_INVALID_DIGIT', `invalid DTMF digit ${JSON.stringify(digit)}`);
    }
    const sent = this.#sendText(dtmfMessage(digit, durationMs));
    if (sent) {
      this.#stats.dtmfSent += 1;
    }

    return sent;
  }

  /** Ends the leg: closes the socket normally and emits `disconnected` with reason `local`; idempotent. */
  close(): void {
    this.#finish('local', 1000, '');
  }

  /** Opens a connection (first dial or retry). */
  #dial(): void {
    this.#retryTimer = undefined;
    this.#status = this.#connections === 0 ? 'connecting' : 'reconnecting';
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.#options.uri, {
        maxPayload: this.#options.maxMessageBytes,
        // Audio messages arrive whole; a message in hundreds of pieces is an attack on memory, not audio.
        maxFragments: MAX_FRAGMENTS,
        maxBufferedChunks: MAX_BUFFERED_CHUNKS,
        handshakeTimeout: this.#options.handshakeTimeoutMs,
        perMessageDeflate: false,
      });
    } catch (error) {
      // The options were checked up front, so this is unexpected; end the leg rather than throw from a timer.
      this.#finish('failed', ABNORMAL_CLOSURE, error instanceof Error ? error.message : String(error));
      return;
    }
    this.#socket = socket;
    let lastError = '';
    // The code confab closed with when the application broke the protocol (a message too big…).
    let violationCode: number | undefined;
    socket.on('error', (error: Error & { code?: unknown }) => {
      lastError = error.message;
      violationCode = protocolCloseCode(error.code);
      if (violationCode !== undefined) {
        this.#stats.protocolErrors += 1;
      }
      this.#logger.debug({ err: error }, 'websocket error');
    });
    socket.on('open', () => {
      this.#onOpen(socket);
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (socket !== this.#socket) {
        // A late message on a socket the leg already let go of.
        return;
      }
      this.#heartbeat?.alive();
      const bytes = rawToBuffer(data);
      if (isBinary) {
        this.#stats.audioMessages += 1;
        this.#stats.audioBytes += bytes.length;
        this.#playback.audio(bytes);
      } else {
        this.#playback.control(bytes.toString('utf8'));
      }
    });
    socket.on('close', (code: number, reason: Buffer) => {
      const effective = code === ABNORMAL_CLOSURE && violationCode !== undefined ? violationCode : code;
      this.#onClose(socket, effective, reason.toString('utf8') || lastError);
    });
  }

  /** A connection opened: announce it and start the heartbeat. */
  #onOpen(socket: WebSocket): void {
    if (this.#closed || socket !== this.#socket) {
      return;
    }
    const reconnected = this.#connections > 0;
    this.#connections += 1;
    this.#failures = 0;
    this.#playback.resetAlignment();
    if (reconnected) {
      this.#stats.reconnects += 1;
    }
    this.#status = 'connected';
    socket.send(connectedMessage(this.#options.rate, this.#options.headers));
    this.#startHeartbeat(socket);
    this.#logger.info({ uri: this.#options.uri, connection: this.#connections }, 'websocket leg connected');
    this.safeEmit('connected', { connection: this.#connections, reconnected });
  }

  /** A connection ended: retry, or end the leg. */
  #onClose(socket: WebSocket, code: number, detail: string): void {
    if (socket !== this.#socket) {
      return;
    }
    this.#socket = undefined;
    this.#stopHeartbeat();
    if (this.#closed) {
      return;
    }
    if (code === 1000) {
      this.#finish('remote', code, detail);
      return;
    }
    this.#failures += 1;
    if (this.#failures > this.#options.attempts) {
      this.#finish('failed', code, detail);
      return;
    }
    const delayMs = Math.min(
      this.#options.maxDelayMs,
      this.#options.initialDelayMs * 2 ** (this.#failures - 1),
    );
    this.#status = 'reconnecting';
    this.#logger.warn({ code, detail, attempt: this.#failures, delayMs }, 'websocket leg dropped, retrying');
    this.#retryTimer = setTimeout(() => {
      this.#dial();
    }, delayMs);
    this.safeEmit('reconnecting', { attempt: this.#failures, delayMs, code, detail });
  }

  /** Sends a text message if a connection is open. */
  #sendText(text: string): boolean {
    const socket = this.#socket;
    if (socket?.readyState !== WebSocket.OPEN) {
      return false;
    }
    socket.send(text);

    return true;
  }

  /** Pings the application now and then; no pong (nor any message) by the next ping ends the connection. */
  #startHeartbeat(socket: WebSocket): void {
    this.#stopHeartbeat();
    if (this.#options.pingIntervalMs > 0) {
      this.#heartbeat = new Heartbeat(socket, this.#options.pingIntervalMs, () => {
        this.#logger.warn('websocket peer stopped answering pings');
      });
    }
  }

  /** Stops the heartbeat. */
  #stopHeartbeat(): void {
    this.#heartbeat?.stop();
    this.#heartbeat = undefined;
  }

  /** The end of the leg, whatever the cause; runs once. */
  #finish(reason: WebSocketDisconnectReason, code: number, detail: string): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#status = 'disconnected';
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    this.#stopHeartbeat();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket?.readyState === WebSocket.OPEN) {
      socket.close(1000);
    } else if (socket?.readyState === WebSocket.CONNECTING) {
      socket.terminate();
    }
    this.#playback.close();
    this.#participant?.leave();
    this.#participant = undefined;
    this.#logger.info({ reason, code, detail }, 'websocket leg disconnected');
    this.safeEmit('disconnected', { reason, code: code === 0 ? ABNORMAL_CLOSURE : code, detail });
  }
}
