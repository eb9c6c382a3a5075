import { describe, expect, it } from 'vitest';
import { MediaPacketError } from '../../../src/media/errors.js';
import {
  createRtpPacket,
  isRtcpPacket,
  parseRtp,
  serializePlainRtp,
  serializeRtp,
} from '../../../src/media/rtp/RtpPacket.js';

/** Builds a Buffer from a hex string with optional spaces. */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('parseRtp / serializeRtp', () => {
  it('parses a minimal PCMU packet and round-trips it', () => {
    const raw = hex('80 00 1234 00000a00 deadbeef' + 'ff'.repeat(160));
    const packet = parseRtp(raw);
    expect(packet.marker).toBe(false);
    expect(packet.payloadType).toBe(0);
    expect(packet.sequenceNumber).toBe(0x1234);
    expect(packet.timestamp).toBe(0xa00);
    expect(packet.ssrc).toBe(0xdeadbeef);
    expect(packet.csrcs).toEqual([]);
    expect(packet.extension).toBeUndefined();
    expect(packet.paddingSize).toBe(0);
    expect(packet.payload.length).toBe(160);
    expect(packet.payload.every((b) => b === 0xff)).toBe(true);
    expect(serializeRtp(packet).equals(raw)).toBe(true);
  });

  it('parses marker, high payload type, CSRCs, one-byte extension and padding', () => {
    // V=2 P=1 X=1 CC=2; M=1 PT=101; seq 0xffff; ts 0xffffffff; SSRC 1; CSRC 2,3; ext 0xBEDE len 1; payload; pad 4.
    const raw = hex(
      'b2 e5 ffff ffffffff 00000001 00000002 00000003 bede0001 10aa0000 0102 00000004'.replace(/ /g, ''),
    );
    const packet = parseRtp(raw);
    expect(packet.marker).toBe(true);
    expect(packet.payloadType).toBe(101);
    expect(packet.sequenceNumber).toBe(0xffff);
    expect(packet.timestamp).toBe(0xffffffff);
    expect(packet.ssrc).toBe(1);
    expect(packet.csrcs).toEqual([2, 3]);
    expect(packet.extension?.profile).toBe(0xbede);
    expect(packet.extension?.data.toString('hex')).toBe('10aa0000');
    expect(packet.payload.toString('hex')).toBe('0102');
    expect(packet.paddingSize).toBe(4);
    expect(serializeRtp(packet).equals(raw)).toBe(true);
  });

  it('accepts an extension block of zero words', () => {
    const raw = hex('90 08 0001 00000000 00000005 1000 0000 d5d5');
    const packet = parseRtp(raw);
    expect(packet.payloadType).toBe(8);
    expect(packet.extension?.profile).toBe(0x1000);
    expect(packet.extension?.data.length).toBe(0);
    expect(packet.payload.toString('hex')).toBe('d5d5');
    expect(serializeRtp(packet).equals(raw)).toBe(true);
  });

  it('serialises into a caller-supplied buffer at an offset', () => {
    const packet = createRtpPacket({
      payloadType: 0,
      sequenceNumber: 7,
      timestamp: 160,
      ssrc: 42,
      payload: Buffer.from([1, 2, 3]),
    });
    const target = Buffer.alloc(40, 0xee);
    const view = serializeRtp(packet, target, 5);
    expect(view.length).toBe(15);
    expect(target[4]).toBe(0xee);
    expect(parseRtp(view)).toMatchObject({ sequenceNumber: 7, timestamp: 160, ssrc: 42 });
  });

  const malformed: [string, string, string][] = [
    ['empty', '', 'ERR_RTP_TRUNCATED'],
    ['short header', '8000000100000000000000', 'ERR_RTP_TRUNCATED'],
    ['version 1', '40000001 00000000 00000000', 'ERR_RTP_VERSION'],
    ['CSRC list past end', '83000001 00000000 00000000 00000001', 'ERR_RTP_TRUNCATED'],
    ['extension header past end', '90000001 00000000 00000000 bede', 'ERR_RTP_EXTENSION'],
    ['extension words past end', '90000001 00000000 00000000 bede0002 00000000', 'ERR_RTP_EXTENSION'],
    ['padding count zero', 'a0000001 00000000 00000000 00', 'ERR_RTP_PADDING'],
    ['padding count too large', 'a0000001 00000000 00000000 0009', 'ERR_RTP_PADDING'],
  ];
  it.each(malformed)('rejects %s with a typed error', (_name, bytes, code) => {
    const parse = (): unknown => parseRtp(hex(bytes));
    expect(parse).toThrow(MediaPacketError);
    try {
      parse();
    } catch (error) {
      expect((error as MediaPacketError).code).toBe(code);
    }
  });

  it('never throws anything but MediaPacketError on random garbage', () => {
    let seed = 12345;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (let i = 0; i < 2000; i++) {
      const buf = Buffer.from(Array.from({ length: next() % 40 }, next));
      try {
        const packet = parseRtp(buf);
        const again = parseRtp(serializeRtp(packet));
        expect(again.sequenceNumber).toBe(packet.sequenceNumber);
        expect(again.payload.equals(packet.payload)).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(MediaPacketError);
      }
    }
  });

  it('refuses to build out-of-range fields', () => {
    const base = { payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: Buffer.alloc(0) };
    expect(() => serializeRtp(createRtpPacket({ ...base, payloadType: 128 }))).toThrow(MediaPacketError);
    expect(() => serializeRtp(createRtpPacket({ ...base, sequenceNumber: 65536 }))).toThrow(MediaPacketError);
    expect(() => serializeRtp(createRtpPacket({ ...base, csrcs: new Array<number>(16).fill(1) }))).toThrow(
      MediaPacketError,
    );
    expect(() =>
      serializeRtp(createRtpPacket({ ...base, extension: { profile: 0xbede, data: Buffer.alloc(3) } })),
    ).toThrow(MediaPacketError);
  });

  it('tells RTCP from RTP on a multiplexed port', () => {
    expect(isRtcpPacket(hex('80c8'))).toBe(true);
    expect(isRtcpPacket(hex('80ca'))).toBe(true);
    expect(isRtcpPacket(hex('8000'))).toBe(false);
    expect(isRtcpPacket(hex('80e5'))).toBe(false);
    expect(isRtcpPacket(hex('80'))).toBe(false);
  });
});

describe('serializePlainRtp', () => {
  it('gives the bytes serializeRtp gives for a packet with only the fixed header, with the same checks', () => {
    const payload = Buffer.from([1, 2, 3, 4, 5]);
    const fields = {
      payloadType: 101,
      sequenceNumber: 65535,
      timestamp: 0xfffffffe,
      ssrc: 0x1234abcd,
      payload,
    };
    for (const marker of [false, true]) {
      expect(serializePlainRtp(101, 65535, 0xfffffffe, 0x1234abcd, marker, payload)).toEqual(
        serializeRtp(createRtpPacket({ ...fields, marker })),
      );
    }
    expect(() => serializePlainRtp(128, 0, 0, 0, false, payload)).toThrow(/payload type 128/);
    expect(() => serializePlainRtp(0, 0, -1, 0, false, payload)).toThrow(/timestamp -1/);
  });
});
