import { type Logger } from '../../log/index.js';
import { type PlayoutQueueStats } from '../../media/index.js';
import { type JsonValue, type WebSocketAudioRate } from './protocol.js';

/** How a WebSocket leg retries after an unexpected close. */
export interface WebSocketReconnectOptions {
  /**
   * Consecutive failed connection attempts allowed before the leg gives up; 0 disables retrying. The count
   * starts again after each successful connection.
   * @defaultValue 3
   */
  attempts?: number;
  /**
   * Wait before the first retry; each further retry doubles it.
   * @defaultValue 500
   */
  initialDelayMs?: number;
  /**
   * Longest wait between retries.
   * @defaultValue 5000
   */
  maxDelayMs?: number;
}

/** Options of `WebSocketLeg`. */
export interface WebSocketLegOptions {
  /** Leg identifier: used in logs and as the participant id on the conversation audio bus. */
  id: string;
  /** The application's `ws://` or `wss://` URI. */
  uri: string;
  /**
   * Sampling rate of the L16 audio in both directions.
   * @defaultValue 16000
   */
  sampleRate?: WebSocketAudioRate;
  /** Custom headers, flattened into the `websocket:connected` message as top-level keys. */
  headers?: Readonly<Record<string, JsonValue>>;
  /** Retry policy after an unexpected close. */
  reconnect?: WebSocketReconnectOptions;
  /**
   * Largest message accepted from the application; a bigger one closes the socket with 1009.
   * @defaultValue 65536
   */
  maxMessageBytes?: number;
  /**
   * Audio allowed to wait in the socket's send buffer when the application reads too slowly; frames beyond
   * it are dropped and counted, so memory stays bounded.
   * @defaultValue 1000
   */
  maxBufferedMs?: number;
  /**
   * Application audio accumulated before playback starts.
   * @defaultValue 40
   */
  prebufferMs?: number;
  /**
   * Most application audio queued for playback; audio beyond it is dropped and counted.
   * @defaultValue 60000 (Vonage's own buffer is about a minute)
   */
  maxQueueMs?: number;
  /**
   * Longest wait for the opening handshake.
   * @defaultValue 10000
   */
  handshakeTimeoutMs?: number;
  /**
   * Interval of the ping heartbeat; a peer that has not answered the previous ping by the next one is
   * treated as gone (an unexpected close). 0 disables it.
   * @defaultValue 15000
   */
  pingIntervalMs?: number;
  /** Logger; a child bound to the leg id is derived from it. */
  logger?: Logger;
}

/** Where a WebSocket leg stands. */
export type WebSocketLegStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** Why a WebSocket leg ended. */
export type WebSocketDisconnectReason =
  /** `close()` was called. */
  | 'local'
  /** The application closed the socket normally (code 1000). */
  | 'remote'
  /** The connection failed or dropped and every retry failed too (or retrying is disabled). */
  | 'failed';

/** Payload of the `connected` event. */
export interface WebSocketConnectedInfo {
  /** Connections opened so far, this one included (1 for the first). */
  connection: number;
  /** Whether this connection replaces one that dropped. */
  reconnected: boolean;
}

/** Payload of the `reconnecting` event. */
export interface WebSocketReconnectingInfo {
  /** Which consecutive retry this is, from 1. */
  attempt: number;
  /** Wait before the retry. */
  delayMs: number;
  /** Close code of the connection that dropped (1006 when no close frame came, or the dial failed). */
  code: number;
  /** Close reason or the error that ended the connection. */
  detail: string;
}

/** Payload of the `disconnected` event. */
export interface WebSocketDisconnectedInfo {
  /** Why the leg ended. */
  reason: WebSocketDisconnectReason;
  /** The last close code seen (1000 for a local close). */
  code: number;
  /** Close reason or error text, possibly empty. */
  detail: string;
}

/** Payload of the `notify` event: a playback mark reached the application. */
export interface WebSocketNotifyInfo {
  /** The payload the application attached to its `notify` action. */
  payload: JsonValue | undefined;
  /** True when the mark was answered because a `clear` dropped the audio before it. */
  cleared: boolean;
}

/** Events of `WebSocketLeg`. */
export interface WebSocketLegEvents extends Record<string, unknown[]> {
  /** A connection opened and the `websocket:connected` message was sent. */
  connected: [WebSocketConnectedInfo];
  /** The connection dropped unexpectedly; a retry is scheduled. */
  reconnecting: [WebSocketReconnectingInfo];
  /** The leg ended for good; emitted once. */
  disconnected: [WebSocketDisconnectedInfo];
  /** A `websocket:notify` answer was sent. */
  notify: [WebSocketNotifyInfo];
  /** The application asked to clear playback; `droppedMs` of queued audio were discarded. */
  cleared: [{ droppedMs: number }];
  /** A listener threw. */
  listenererror: [string, unknown];
}

/** Counters of a `WebSocketLeg`. */
export interface WebSocketLegStats {
  /** Binary frames sent to the application. */
  framesSent: number;
  /** Frames dropped because the application was not reading (send buffer beyond `maxBufferedMs`). */
  framesDropped: number;
  /** Frames skipped because no connection was open (connecting or reconnecting). */
  framesSkipped: number;
  /** Largest `bufferedAmount` seen when sending, in bytes. */
  maxBufferedBytes: number;
  /** Binary messages received from the application. */
  audioMessages: number;
  /** Audio bytes received from the application. */
  audioBytes: number;
  /** Text messages that were not valid JSON or not a known action (ignored). */
  invalidMessages: number;
  /** Connections confab closed because the application broke the protocol (oversized message…). */
  protocolErrors: number;
  /** DTMF events sent. */
  dtmfSent: number;
  /** Connections opened after a drop. */
  reconnects: number;
  /** Playback queue counters (underruns, overflow…). */
  playout: PlayoutQueueStats;
}
