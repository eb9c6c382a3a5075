import { describe, expect, it } from 'vitest';
import {
  clearedMessage,
  connectedMessage,
  contentTypeFor,
  dtmfMessage,
  frameBytesFor,
  isDtmfDigit,
  notifyMessage,
  parseControlMessage,
} from '../../../src/channels/websocket/protocol.js';

describe('WebSocket audio protocol messages', () => {
  it('builds the connected message with event and content type first and headers flattened', () => {
    expect(connectedMessage(16000, { user: 'alice', n: 3, nested: { a: [1] } })).toBe(
      '{"event":"websocket:connected","content-type":"audio/l16;rate=16000","user":"alice","n":3,"nested":{"a":[1]}}',
    );
    // Headers cannot disguise the frame.
    expect(connectedMessage(8000, { event: 'x', 'content-type': 'y', ok: true })).toBe(
      '{"event":"websocket:connected","content-type":"audio/l16;rate=8000","ok":true}',
    );
  });

  it('sizes frames and names content types per rate', () => {
    expect([8000, 16000, 24000].map((r) => frameBytesFor(r as 8000))).toEqual([320, 640, 960]);
    expect(contentTypeFor(24000)).toBe('audio/l16;rate=24000');
  });

  it('builds event messages byte for byte', () => {
    expect(dtmfMessage('5', 260)).toBe('{"event":"websocket:dtmf","digit":"5","duration":260}');
    expect(clearedMessage()).toBe('{"event":"websocket:cleared"}');
    expect(notifyMessage({ id: 7, tag: 'end' })).toBe(
      '{"event":"websocket:notify","payload":{"id":7,"tag":"end"}}',
    );
    expect(notifyMessage(undefined)).toBe('{"event":"websocket:notify"}');
  });

  it('round-trips a notify payload unchanged', () => {
    const raw = '{"action":"notify","payload":{"seq":12,"text":"héllo","list":[null,true,1.5]}}';
    const parsed = parseControlMessage(raw);
    expect(parsed?.action).toBe('notify');
    const answer = notifyMessage(parsed?.action === 'notify' ? parsed.payload : undefined);
    expect(answer).toBe(
      '{"event":"websocket:notify","payload":{"seq":12,"text":"héllo","list":[null,true,1.5]}}',
    );
  });

  it('parses clear and rejects junk without throwing', () => {
    expect(parseControlMessage('{"action":"clear"}')).toEqual({ action: 'clear' });
    for (const junk of [
      '',
      'nope{',
      '[1]',
      'null',
      '42',
      '{"action":"dance"}',
      '{"event":"websocket:dtmf"}',
    ]) {
      expect(parseControlMessage(junk)).toBeUndefined();
    }
  });

  it('accepts exactly the sixteen DTMF keys', () => {
    expect([...'0123456789*#ABCD'].every(isDtmfDigit)).toBe(true);
    for (const bad of ['', 'E', 'a', '55', ' ']) {
      expect(isDtmfDigit(bad)).toBe(false);
    }
  });
});
