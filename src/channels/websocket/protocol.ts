/*
 * The Vonage-style WebSocket audio protocol, as confab speaks it when it dials an application.
 *
 *   confab (client)                                   application (server)
 *   ───────────────                                   ────────────────────
 *   text   {"event":"websocket:connected",
 *           "content-type":"audio/l16;rate=16000",
 *           …custom headers flattened…}        ──►    first message, once per connection
 *   binary one 20 ms frame of L16 LE mono PCM  ──►    50 per second: 320 / 640 / 960 bytes
 *   text   {"event":"websocket:dtmf",
 *           "digit":"5","duration":260}        ──►    one digit per message
 *                                              ◄──    binary PCM, any length (re-framed to 20 ms)
 *                                              ◄──    text {"action":"clear"}
 *   text   {"event":"websocket:cleared"}       ──►    queued playback dropped
 *                                              ◄──    text {"action":"notify","payload":…}
 *   text   {"event":"websocket:notify",
 *           "payload":…}                       ──►    when the audio queued before it has played
 */

/** Any JSON value (what headers and notify payloads may carry). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Sampling rates the protocol offers. */
export type WebSocketAudioRate = 8000 | 16000 | 24000;

/** The rates of {@link WebSocketAudioRate}, for validation. */
export const WEBSOCKET_AUDIO_RATES: readonly WebSocketAudioRate[] = [8000, 16000, 24000];

/** Digits a `websocket:dtmf` event may carry. */
const DTMF_DIGITS = /^[0-9*#A-D]$/;

/** Keys the connected frame owns; custom headers cannot override them. */
const RESERVED_KEYS = new Set(['event', 'content-type']);

/** The content type announced for `rate`, such as `audio/l16;rate=16000`. */
export function contentTypeFor(rate: WebSocketAudioRate): string {
  return `audio/l16;rate=${rate}`;
}

/** Bytes in one 20 ms binary frame at `rate` (16-bit mono). */
export function frameBytesFor(rate: WebSocketAudioRate): number {
  return (rate / 50) * 2;
}

/**
 * The first text message of a connection: event and content type first, then each custom header as a
 * top-level key (there is no nested `headers` object). Headers named `event` or `content-type` are left
 * out so they cannot disguise the frame.
 */
export function connectedMessage(
  rate: WebSocketAudioRate,
  headers: Readonly<Record<string, JsonValue>>,
): string {
  const message: Record<string, JsonValue> = {
    event: 'websocket:connected',
    'content-type': contentTypeFor(rate),
  };
  for (const [key, value] of Object.entries(headers)) {
    if (!RESERVED_KEYS.has(key)) {
      message[key] = value;
    }
  }

  return JSON.stringify(message);
}

/** Whether `digit` is one DTMF key (0-9, *, #, A-D). */
export function isDtmfDigit(digit: string): boolean {
  return DTMF_DIGITS.test(digit);
}

/** A `websocket:dtmf` event for one digit. */
export function dtmfMessage(digit: string, durationMs: number): string {
  return JSON.stringify({ event: 'websocket:dtmf', digit, duration: Math.round(durationMs) });
}

/** The answer to `{"action":"clear"}`. */
export function clearedMessage(): string {
  return JSON.stringify({ event: 'websocket:cleared' });
}

/** The answer to `{"action":"notify"}`, carrying the payload back unchanged (omitted when none came). */
export function notifyMessage(payload: JsonValue | undefined): string {
  return JSON.stringify(
    payload === undefined ? { event: 'websocket:notify' } : { event: 'websocket:notify', payload },
  );
}

/** A control message the application sent. */
export type ControlMessage = { action: 'clear' } | { action: 'notify'; payload: JsonValue | undefined };

/**
 * Parses an application text message. Returns undefined for anything that is not valid JSON or not a
 * known action; the caller counts and ignores those rather than failing the leg.
 */
export function parseControlMessage(text: string): ControlMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return undefined;
  }
  const record = value as Record<string, unknown>;
  if (record.action === 'clear') {
    return { action: 'clear' };
  }
  if (record.action === 'notify') {
    // JSON.parse only ever yields JSON values, so the payload needs no further checking.
    return { action: 'notify', payload: record.payload as JsonValue | undefined };
  }

  return undefined;
}
