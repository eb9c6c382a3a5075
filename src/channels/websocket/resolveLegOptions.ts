import { WebSocketChannelError } from './errors.js';
import { WEBSOCKET_AUDIO_RATES, type JsonValue, type WebSocketAudioRate } from './protocol.js';
import { type WebSocketLegOptions } from './WebSocketLegTypes.js';

/** {@link WebSocketLegOptions} with every default applied and every limit converted to bytes. */
export interface ResolvedLegOptions {
  readonly id: string;
  readonly uri: string;
  readonly rate: WebSocketAudioRate;
  readonly headers: Readonly<Record<string, JsonValue>>;
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxMessageBytes: number;
  /** `maxBufferedMs` of audio at the leg's rate, in bytes. */
  readonly maxBufferedBytes: number;
  readonly prebufferMs: number;
  /** `maxQueueMs` of audio at the leg's rate, in bytes. */
  readonly maxQueueBytes: number;
  readonly handshakeTimeoutMs: number;
  readonly pingIntervalMs: number;
}

/** Bytes of `ms` milliseconds of 16-bit mono audio at `rate`. */
const bytesOfAudio = (ms: number, rate: number): number => Math.round((ms * rate * 2) / 1000);

/**
 * Applies the defaults of {@link WebSocketLegOptions} and checks the result, reporting every problem in one
 * {@link WebSocketChannelError} `ERR_WS_INVALID_OPTION`. The result is frozen.
 */
export function resolveLegOptions(options: WebSocketLegOptions): ResolvedLegOptions {
  const rate = options.sampleRate ?? 16000;
  const resolved: ResolvedLegOptions = {
    id: options.id,
    uri: options.uri,
    rate,
    headers: { ...options.headers },
    attempts: options.reconnect?.attempts ?? 3,
    initialDelayMs: options.reconnect?.initialDelayMs ?? 500,
    maxDelayMs: options.reconnect?.maxDelayMs ?? 5000,
    maxMessageBytes: options.maxMessageBytes ?? 65536,
    maxBufferedBytes: bytesOfAudio(options.maxBufferedMs ?? 1000, rate),
    prebufferMs: options.prebufferMs ?? 40,
    maxQueueBytes: bytesOfAudio(options.maxQueueMs ?? 60000, rate),
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10000,
    pingIntervalMs: options.pingIntervalMs ?? 15000,
  };
  let scheme = '';
  let fragment = '';
  try {
    ({ protocol: scheme, hash: fragment } = new URL(resolved.uri));
  } catch {
    // Reported below with the other problems.
  }
  const problems: string[] = [];
  if (scheme !== 'ws:' && scheme !== 'wss:') {
    problems.push(`uri must be ws:// or wss:// (got ${JSON.stringify(resolved.uri)})`);
  }
  if (fragment !== '') {
    problems.push('uri must not carry a #fragment');
  }
  if (!WEBSOCKET_AUDIO_RATES.includes(rate)) {
    problems.push(`sampleRate must be one of ${WEBSOCKET_AUDIO_RATES.join(', ')}`);
  }
  const nonNegative = [
    resolved.attempts,
    resolved.initialDelayMs,
    resolved.maxDelayMs,
    resolved.pingIntervalMs,
    resolved.prebufferMs,
  ];
  if (!nonNegative.every((n) => Number.isFinite(n) && n >= 0)) {
    problems.push('reconnect, ping and prebuffer settings must be non-negative numbers');
  }
  const positive = [
    resolved.maxMessageBytes,
    resolved.maxBufferedBytes,
    resolved.maxQueueBytes,
    resolved.handshakeTimeoutMs,
  ];
  if (!positive.every((n) => n > 0)) {
    problems.push('maxMessageBytes, maxBufferedMs, maxQueueMs and handshakeTimeoutMs must be positive');
  }
  if (problems.length > 0) {
    throw new WebSocketChannelError(
      'ERR_WS_INVALID_OPTION',
      `invalid WebSocket leg options: ${problems.join('; ')}`,
    );
  }

  return Object.freeze(resolved);
}
