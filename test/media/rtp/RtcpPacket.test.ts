import { describe, expect, it } from 'vitest';
import { MediaPacketError } from '../../../src/media/errors.js';
import { parseRtcp, serializeRtcp } from '../../../src/media/rtp/RtcpPacket.js';
import { type RtcpReceiverReport, type RtcpSenderReport } from '../../../src/media/rtp/RtcpTypes.js';
import { ntpFromUnixMs, ntpMiddle32 } from '../../../src/media/rtp/ntp.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const REPORT_BLOCK = '11223344 05 fffffe 0001ffff 00000010 aabbccdd 00010000';
const SR = `81c8000c 00000abc e8f0a0b0 80000000 00001f40 00000032 00001f40 ${REPORT_BLOCK}`;
// SDES: one chunk, CNAME "abc" (2+3 bytes) then 3 null octets: 4 + 5 + 3 = 12 bytes, length 3.
const SDES = '81ca0003 00000abc 0103616263 000000';
const BYE = '81cb0002 00000abc 03627965';

describe('parseRtcp / serializeRtcp', () => {
  it('parses a compound SR + SDES + BYE with every field', () => {
    const raw = hex(SR + SDES + BYE);
    const packets = parseRtcp(raw);
    expect(packets.map((p) => p.type)).toEqual(['sr', 'sdes', 'bye']);
    const sr = packets[0] as RtcpSenderReport;
    expect(sr).toMatchObject({
      ssrc: 0xabc,
      ntpSeconds: 0xe8f0a0b0,
      ntpFraction: 0x80000000,
      rtpTimestamp: 8000,
      packetCount: 50,
      octetCount: 8000,
      paddingSize: 0,
    });
    expect(sr.profileExtension.length).toBe(0);
    expect(sr.reports).toEqual([
      {
        ssrc: 0x11223344,
        fractionLost: 5,
        cumulativeLost: -2,
        highestSequence: 0x1ffff,
        jitter: 16,
        lastSenderReport: 0xaabbccdd,
        delaySinceLastSenderReport: 0x10000,
      },
    ]);
    expect(packets[1]).toEqual({
      type: 'sdes',
      chunks: [{ ssrc: 0xabc, items: [{ type: 1, text: 'abc' }] }],
      paddingSize: 0,
    });
    expect(packets[2]).toEqual({ type: 'bye', ssrcs: [0xabc], reason: 'bye', paddingSize: 0 });
    expect(serializeRtcp(packets).equals(raw)).toBe(true);
  });

  it('parses an RR with two blocks, an SDES with two chunks, and a BYE without reason', () => {
    const rr = `82c9000d 00000001 ${REPORT_BLOCK} ${REPORT_BLOCK.replace('11223344', '55667788')}`;
    // Chunk 1: CNAME "ab" (4 bytes) + NAME "x" (3 bytes) + 1 null = 12; chunk 2: CNAME "wxyz" (6) + 2 nulls = 12.
    const sdes = '82ca0006 00000001 01026162 020178 00 00000002 01047778797a 0000';
    const bye = '82cb0002 00000001 00000002';
    const raw = hex(rr + sdes + bye);
    const packets = parseRtcp(raw);
    const report = packets[0] as RtcpReceiverReport;
    expect(report.type).toBe('rr');
    expect(report.ssrc).toBe(1);
    expect(report.reports.map((r) => r.ssrc)).toEqual([0x11223344, 0x55667788]);
    expect(packets[1]).toMatchObject({
      chunks: [
        {
          ssrc: 1,
          items: [
            { type: 1, text: 'ab' },
            { type: 2, text: 'x' },
          ],
        },
        { ssrc: 2, items: [{ type: 1, text: 'wxyz' }] },
      ],
    });
    expect(packets[2]).toMatchObject({ type: 'bye', ssrcs: [1, 2], reason: undefined });
    expect(serializeRtcp(packets).equals(raw)).toBe(true);
  });

  it('handles an empty RR, padding on the last packet and unknown packet types', () => {
    const raw = hex('80c90001 00000007 ' + '80cc0002 6e616d65 00000001 ' + 'a1cb0002 00000007 00000004');
    const packets = parseRtcp(raw);
    expect(packets[0]).toMatchObject({ type: 'rr', ssrc: 7, reports: [] });
    expect(packets[1]).toMatchObject({ type: 'other', packetType: 204, count: 0 });
    expect(packets[2]).toMatchObject({ type: 'bye', ssrcs: [7], reason: undefined, paddingSize: 4 });
    expect(serializeRtcp(packets).equals(raw)).toBe(true);
  });

  const malformed: [string, string, string][] = [
    ['empty', '', 'ERR_RTCP_TRUNCATED'],
    ['short header', '80c8', 'ERR_RTCP_TRUNCATED'],
    ['trailing bytes', '80c90001 00000007 80', 'ERR_RTCP_TRUNCATED'],
    ['version 0', '00c90001 00000007', 'ERR_RTCP_VERSION'],
    ['length past end', '80c90005 00000007', 'ERR_RTCP_LENGTH'],
    ['SR without sender info', '80c80001 00000007', 'ERR_RTCP_TRUNCATED'],
    ['RR with missing block', '81c90001 00000007', 'ERR_RTCP_TRUNCATED'],
    ['SDES without terminator', '81ca0002 00000001 01026162', 'ERR_RTCP_TRUNCATED'],
    ['SDES item past end', '81ca0002 00000001 01096162', 'ERR_RTCP_TRUNCATED'],
    ['BYE reason past end', '81cb0002 00000001 09616263', 'ERR_RTCP_TRUNCATED'],
    ['padding larger than body', 'a0c90001 00000009', 'ERR_RTCP_PADDING'],
  ];
  it.each(malformed)('rejects %s with a typed error', (_name, bytes, code) => {
    let caught: unknown;
    try {
      parseRtcp(hex(bytes));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MediaPacketError);
    expect((caught as MediaPacketError).code).toBe(code);
  });

  it('never throws anything but MediaPacketError on random garbage', () => {
    let seed = 99;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    for (let i = 0; i < 2000; i++) {
      const body = Array.from({ length: next() % 48 }, next);
      const buf = Buffer.from([0x80 | (next() & 0x3f), 200 + (next() % 5), 0, next() % 12, ...body]);
      try {
        parseRtcp(buf);
      } catch (error) {
        expect(error).toBeInstanceOf(MediaPacketError);
      }
    }
  });

  it('refuses out-of-range fields when building', () => {
    const block = { ssrc: 1, fractionLost: 0, cumulativeLost: 0x800000, highestSequence: 0, jitter: 0 };
    expect(() =>
      serializeRtcp([
        {
          type: 'rr',
          ssrc: 1,
          reports: [{ ...block, lastSenderReport: 0, delaySinceLastSenderReport: 0 }],
          profileExtension: Buffer.alloc(0),
          paddingSize: 0,
        },
      ]),
    ).toThrow(MediaPacketError);
    expect(() =>
      serializeRtcp([{ type: 'other', packetType: 204, count: 0, body: Buffer.alloc(3), paddingSize: 0 }]),
    ).toThrow(MediaPacketError);
    expect(() =>
      serializeRtcp([{ type: 'bye', ssrcs: [2 ** 32], reason: undefined, paddingSize: 0 }]),
    ).toThrow(MediaPacketError);
    expect(() =>
      serializeRtcp([
        { type: 'rr', ssrc: -1, reports: [], profileExtension: Buffer.alloc(0), paddingSize: 0 },
      ]),
    ).toThrow(MediaPacketError);
  });
});

describe('NTP helpers', () => {
  it('converts Unix milliseconds and extracts the middle 32 bits', () => {
    const ntp = ntpFromUnixMs(1_500);
    expect(ntp.seconds).toBe(2_208_988_801);
    expect(ntp.fraction).toBe(0x80000000);
    expect(ntpMiddle32({ seconds: 0x1234abcd, fraction: 0x5678ffff })).toBe(0xabcd5678);
  });
});
