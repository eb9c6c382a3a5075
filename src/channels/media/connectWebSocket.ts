import { type ChannelEndpoint, type Leg } from '../../domain/index.js';
import { silentLogger, type Logger } from '../../log/index.js';
import { type CallService } from '../../services/index.js';
import { WEBSOCKET_AUDIO_RATES, type JsonValue, type WebSocketAudioRate } from '../websocket/protocol.js';
import { WebSocketLeg } from '../websocket/WebSocketLeg.js';
import {
  type WebSocketDisconnectedInfo,
  type WebSocketReconnectOptions,
} from '../websocket/WebSocketLegTypes.js';
import { type ConversationMediaHub } from './ConversationMediaHub.js';
import { type LegAudio } from './ConversationMediaHubTypes.js';
import { MediaHubError } from './errors.js';

/** What {@link connectWebSocket} dials. */
export interface ConnectWebSocketRequest {
  /** The conversation the leg joins. */
  readonly conversationId: string;
  /** The application the leg belongs to. */
  readonly applicationId: string;
  /** The application's `ws://` or `wss://` URI. */
  readonly uri: string;
  /**
   * `audio/l16;rate=16000`, `…rate=8000` or `…rate=24000`.
   * @defaultValue 'audio/l16;rate=16000'
   */
  readonly contentType?: string;
  /** Custom headers, flattened into the `websocket:connected` message. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** The endpoint recorded as the leg's `from` (the caller of a bridged call, say). */
  readonly from?: ChannelEndpoint;
  /** Retry policy after an unexpected close (see `WebSocketLeg`). */
  readonly reconnect?: WebSocketReconnectOptions;
  /** Ping interval; 0 turns the heartbeat off. @defaultValue 15000 */
  readonly pingIntervalMs?: number;
  /** Logger. */
  readonly logger?: Logger;
}

/** A WebSocket leg dialled into a conversation. */
export interface ConnectedWebSocket {
  /** The leg record (type `websocket`). */
  readonly leg: Leg;
  /** The socket side. */
  readonly socket: WebSocketLeg;
  /** The leg's audio in the hub. */
  readonly audio: LegAudio;
  /** Resolves once the first connection is open; rejects when the leg ends before that. */
  readonly connected: Promise<void>;
  /** Resolves once the leg has ended for good and its final status was handed to the event pipeline. */
  readonly ended: Promise<WebSocketDisconnectedInfo>;
  /** Ends the leg from confab's side (status `completed`); idempotent. */
  close(): void;
}

/** The rate of an `audio/l16;rate=N` content type, or undefined when it is not one confab speaks. */
export function rateOfContentType(contentType: string): WebSocketAudioRate | undefined {
  const match = /^audio\/l16;\s*rate=(\d+)$/i.exec(contentType.trim());
  const rate = Number(match?.[1]);

  return WEBSOCKET_AUDIO_RATES.find((r) => r === rate);
}

/**
 * Dials a WebSocket application as a leg of a conversation (a number's `connect`, the NCCO `connect`
 * action): creates the `websocket` leg record, joins the socket to the conversation's audio on `hub`, and
 * records the leg's `leg:status:update` events as the socket lives: `started` now, `answered` when the
 * first connection opens, `reconnecting` each time it drops and is redialled (per `reconnect`) and
 * `answered` again when a retry connects, then `completed` (confab ended it), `disconnected` (the
 * application closed it, or it dropped and every retry failed) or `failed` (it never connected).
 *
 * Resolves once the leg exists and dialling has begun; await `connected` for the socket itself.
 */
export async function connectWebSocket(
  hub: ConversationMediaHub,
  calls: CallService,
  request: ConnectWebSocketRequest,
): Promise<ConnectedWebSocket> {
  const contentType = request.contentType ?? 'audio/l16;rate=16000';
  const rate = rateOfContentType(contentType);
  if (rate === undefined) {
    throw new MediaHubError(
      'ERR_HUB_INVALID_ARGUMENT',
      `content type ${contentType} is not audio/l16 at 8, 16 or 24 kHz`,
    );
  }
  const records = await calls.startWebSocket({
    applicationId: request.applicationId,
    conversationId: request.conversationId,
    uri: request.uri,
    contentType,
    headers: request.headers,
    from: request.from,
  });
  const logger = (request.logger ?? silentLogger()).child({
    legId: records.leg.id,
    conversationId: request.conversationId,
  });
  const record = (pending: Promise<void>): void => {
    pending.catch((err: unknown) => {
      logger.warn({ err }, 'websocket leg event not recorded');
    });
  };
  let socket: WebSocketLeg;
  let audio: LegAudio;
  try {
    socket = new WebSocketLeg({
      id: records.leg.id,
      uri: request.uri,
      sampleRate: rate,
      headers: (request.headers ?? {}) as Readonly<Record<string, JsonValue>>,
      reconnect: request.reconnect,
      pingIntervalMs: request.pingIntervalMs,
      logger,
    });
    audio = hub.attachWebSocket(socket, records.leg.id, request.conversationId);
  } catch (err) {
    record(calls.status(records, 'failed', { reason: (err as Error).message }));
    throw err;
  }
  let everConnected = false;
  socket.on('connected', (info) => {
    everConnected = true;
    record(
      info.reconnected
        ? calls.status(records, 'answered', { reason: `reconnected (connection ${info.connection})` })
        : calls.status(records, 'answered'),
    );
  });
  // Each drop the leg redials is a status of its own, so the conversation shows the leg going away and
  // coming back (or, after the last retry, ending `disconnected`). Retries of a first dial that never
  // connected are not: that leg stays `started` until it connects or fails.
  socket.on('reconnecting', (info) => {
    if (!everConnected) {
      return;
    }
    const why = `${info.code}${info.detail === '' ? '' : ` ${info.detail}`}`;
    record(
      calls.status(records, 'reconnecting', {
        reason: `retry ${info.attempt} in ${info.delayMs} ms after ${why}`,
      }),
    );
  });
  const ended = new Promise<WebSocketDisconnectedInfo>((resolve) => {
    socket.once('disconnected', (info) => {
      const detail = { reason: `${info.reason}: ${info.code}${info.detail === '' ? '' : ` ${info.detail}`}` };
      const status = !everConnected ? 'failed' : info.reason === 'local' ? 'completed' : 'disconnected';
      calls
        .status(records, status, detail)
        .catch((err: unknown) => {
          logger.warn({ err }, 'websocket leg final status not recorded');
        })
        .finally(() => {
          resolve(info);
        });
    });
  });
  const connected = socket.start();
  // A leg that never connects is reported through `ended`; nobody has to await `connected`.
  connected.catch(() => undefined);

  return {
    leg: records.leg,
    socket,
    audio,
    connected,
    ended,
    close: () => {
      socket.close();
    },
  };
}
