import { describe, expect, it } from 'vitest';
import { MediaPacketError } from '../../../src/media/errors.js';
import {
  extensionForm,
  parseHeaderExtensions,
  serializeHeaderExtensions,
} from '../../../src/media/rtp/RtpHeaderExtension.js';
import { parseRtp, serializeRtp } from '../../../src/media/rtp/RtpPacket.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 8285 header extensions', () => {
  it('parses the one-byte form with padding between elements', () => {
    // Element id 1 len 1 (0xaa), a padding byte, element id 2 len 3 (01 02 03), padding to 8 bytes.
    const raw = hex('90 00 0001 00000000 00000001 bede 0002 10aa 00 22010203 00 ffff');
    const packet = parseRtp(raw);
    expect(extensionForm(packet.extension!)).toBe('one-byte');
    const elements = parseHeaderExtensions(packet.extension!);
    expect(elements.map((e) => [e.id, e.data.toString('hex')])).toEqual([
      [1, 'aa'],
      [2, '010203'],
    ]);
    expect(packet.payload.toString('hex')).toBe('ffff');
    expect(serializeRtp(packet).equals(raw)).toBe(true);
  });

  it('stops at ID 15 in the one-byte form', () => {
    const elements = parseHeaderExtensions({ profile: 0xbede, data: hex('10aa f0 11 1111 0000') });
    expect(elements).toHaveLength(1);
  });

  it('parses the two-byte form, including empty elements', () => {
    const raw = hex('90 00 0001 00000000 00000001 1000 0002 0100 0202 abcd 0000');
    const packet = parseRtp(raw);
    expect(extensionForm(packet.extension!)).toBe('two-byte');
    const elements = parseHeaderExtensions(packet.extension!);
    expect(elements.map((e) => [e.id, e.data.toString('hex')])).toEqual([
      [1, ''],
      [2, 'abcd'],
    ]);
    expect(serializeRtp(packet).equals(raw)).toBe(true);
  });

  it('round-trips elements through serialize, choosing the form by content', () => {
    const oneByte = serializeHeaderExtensions([
      { id: 1, data: hex('aa') },
      { id: 14, data: Buffer.alloc(16, 7) },
    ]);
    expect(oneByte.profile).toBe(0xbede);
    expect(oneByte.data.length % 4).toBe(0);
    expect(parseHeaderExtensions(oneByte).map((e) => e.id)).toEqual([1, 14]);

    const twoByte = serializeHeaderExtensions([{ id: 200, data: Buffer.alloc(20, 1) }]);
    expect(twoByte.profile).toBe(0x1000);
    expect(parseHeaderExtensions(twoByte)[0]?.data.equals(Buffer.alloc(20, 1))).toBe(true);
  });

  it('rejects elements running past the block and foreign profiles', () => {
    expect(() => parseHeaderExtensions({ profile: 0xbede, data: hex('13aa0000') })).toThrow(MediaPacketError);
    expect(() => parseHeaderExtensions({ profile: 0x1000, data: hex('0105aabb') })).toThrow(MediaPacketError);
    expect(() => parseHeaderExtensions({ profile: 0x1000, data: hex('000001') })).toThrow(MediaPacketError);
    expect(() => parseHeaderExtensions({ profile: 0x1234, data: hex('') })).toThrow(MediaPacketError);
  });
});
