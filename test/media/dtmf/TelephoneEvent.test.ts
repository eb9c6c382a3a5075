import { describe, expect, it } from 'vitest';
import { MediaPacketError } from '../../../src/media/errors.js';
import {
  dtmfCharacter,
  dtmfEventCode,
  parseTelephoneEvent,
  serializeTelephoneEvent,
} from '../../../src/media/dtmf/TelephoneEvent.js';

describe('telephone-event payload', () => {
  it('parses every field and round-trips', () => {
    const raw = Buffer.from('058a0320', 'hex');
    const event = parseTelephoneEvent(raw);
    expect(event).toEqual({ event: 5, end: true, volume: 10, duration: 800 });
    expect(serializeTelephoneEvent(event).equals(raw)).toBe(true);
  });

  it('ignores the reserved bit and reads an update without E', () => {
    expect(parseTelephoneEvent(Buffer.from('0b7fffff', 'hex'))).toEqual({
      event: 11,
      end: false,
      volume: 63,
      duration: 65535,
    });
  });

  it('rejects short payloads and out-of-range fields with typed errors', () => {
    expect(() => parseTelephoneEvent(Buffer.from('0580', 'hex'))).toThrow(MediaPacketError);
    expect(() => serializeTelephoneEvent({ event: 1, end: false, volume: 64, duration: 0 })).toThrow(
      MediaPacketError,
    );
    expect(() => serializeTelephoneEvent({ event: 1, end: false, volume: 0, duration: 65536 })).toThrow(
      MediaPacketError,
    );
  });

  it('maps characters to codes and back', () => {
    const all = '0123456789*#ABCD!';
    expect([...all].map(dtmfEventCode)).toEqual([...Array(17).keys()]);
    expect([...Array(17).keys()].map((code) => dtmfCharacter(code)).join('')).toBe(all);
    expect(dtmfEventCode('a')).toBe(12);
    expect(dtmfCharacter(40)).toBeUndefined();
    expect(() => dtmfEventCode('x')).toThrow(MediaPacketError);
  });
});
