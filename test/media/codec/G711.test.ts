import { describe, expect, it } from 'vitest';
import {
  ALAW_DECODE_TABLE,
  ALAW_SILENCE,
  ULAW_DECODE_TABLE,
  ULAW_SILENCE,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
} from '../../../src/media/codec/G711.js';
import { PCMA, PCMU, samplesPerFrame } from '../../../src/media/codec/AudioCodec.js';

const one = (sample: number, encode: (pcm: Int16Array) => Buffer): number =>
  encode(Int16Array.of(sample))[0]!;

describe('G.711 µ-law', () => {
  it('maps the reference codes', () => {
    expect(ULAW_DECODE_TABLE[0xff]).toBe(0);
    expect(ULAW_DECODE_TABLE[0x7f]).toBe(0);
    expect(ULAW_DECODE_TABLE[0x80]).toBe(32124);
    expect(ULAW_DECODE_TABLE[0x00]).toBe(-32124);
    expect(ULAW_DECODE_TABLE[0xfe]).toBe(8);
    expect(ULAW_DECODE_TABLE[0x7e]).toBe(-8);
    expect(ULAW_DECODE_TABLE[0xef]).toBe(132);
    expect(one(0, encodeUlaw)).toBe(ULAW_SILENCE);
    expect(one(32767, encodeUlaw)).toBe(0x80);
    expect(one(-32768, encodeUlaw)).toBe(0x00);
  });

  it('places segment boundaries where G.711 puts them', () => {
    // Segment starts of the positive half, in 16-bit units: each segment doubles the step size.
    const segmentStarts = [0, 132, 396, 924, 1980, 4092, 8316, 16764];
    for (const [segment, start] of segmentStarts.entries()) {
      expect(ULAW_DECODE_TABLE[0xff - segment * 16]).toBe(start);
      const step = ULAW_DECODE_TABLE[0xff - segment * 16 - 1]! - start;
      expect(step).toBe(8 << segment);
    }
  });

  it('round-trips every code (negative zero 0x7f comes back as 0xff)', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const back = encodeUlaw(decodeUlaw(codes));
    for (let code = 0; code < 256; code++) {
      expect(back[code]).toBe(code === 0x7f ? 0xff : code);
    }
  });

  it('keeps the quantisation error within half a step for every unclipped 16-bit input', () => {
    let worst = 0;
    for (let sample = -32635; sample <= 32635; sample++) {
      const code = one(sample, encodeUlaw);
      const step = 8 << ((~code >> 4) & 0x07);
      worst = Math.max(worst, Math.abs(ULAW_DECODE_TABLE[code]! - sample) / step);
    }
    expect(worst).toBe(0.5);
  });
});

describe('G.711 A-law', () => {
  it('maps the reference codes', () => {
    expect(ALAW_DECODE_TABLE[0xd5]).toBe(8);
    expect(ALAW_DECODE_TABLE[0x55]).toBe(-8);
    expect(ALAW_DECODE_TABLE[0xaa]).toBe(32256);
    expect(ALAW_DECODE_TABLE[0x2a]).toBe(-32256);
    expect(one(0, encodeAlaw)).toBe(ALAW_SILENCE);
    expect(one(-1, encodeAlaw)).toBe(0x55);
    expect(one(32767, encodeAlaw)).toBe(0xaa);
    expect(one(-32768, encodeAlaw)).toBe(0x2a);
  });

  it('places segment boundaries where G.711 puts them', () => {
    // Positive codes are (segment << 4 | step) ^ 0xd5; segments 0 and 1 share a step of 16.
    const segmentStarts = [8, 264, 528, 1056, 2112, 4224, 8448, 16896];
    for (const [segment, start] of segmentStarts.entries()) {
      expect(ALAW_DECODE_TABLE[(segment << 4) ^ 0xd5]).toBe(start);
      const step = ALAW_DECODE_TABLE[((segment << 4) | 1) ^ 0xd5]! - start;
      expect(step).toBe(segment < 2 ? 16 : 16 << (segment - 1));
    }
  });

  it('round-trips every code', () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(encodeAlaw(decodeAlaw(codes)))).toEqual(Array.from(codes));
  });

  it('keeps the quantisation error within half a step for every unclipped 16-bit input', () => {
    let worst = 0;
    for (let sample = -32256; sample <= 32256; sample++) {
      const code = one(sample, encodeAlaw);
      const segment = ((code ^ 0x55) >> 4) & 0x07;
      const step = segment < 2 ? 16 : 16 << (segment - 1);
      worst = Math.max(worst, Math.abs(ALAW_DECODE_TABLE[code]! - sample) / step);
    }
    expect(worst).toBe(0.5);
  });

  it('is odd-symmetric around zero', () => {
    for (let code = 0; code < 128; code++) {
      expect(ALAW_DECODE_TABLE[code]).toBe(-ALAW_DECODE_TABLE[code | 0x80]!);
    }
  });
});

describe('frame API', () => {
  it('encodes and decodes a 20 ms frame into caller buffers without allocating', () => {
    const n = samplesPerFrame(8000);
    expect(n).toBe(160);
    const pcm = Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * i) / 40)));
    const payload = Buffer.alloc(n);
    const decoded = new Int16Array(n);
    for (const codec of [PCMU, PCMA]) {
      expect(codec.encode(pcm, payload)).toBe(payload);
      expect(codec.decode(payload, decoded)).toBe(decoded);
      for (let i = 0; i < n; i++) {
        expect(Math.abs(decoded[i]! - pcm[i]!)).toBeLessThanOrEqual(Math.abs(pcm[i]!) / 16 + 16);
      }
    }
    expect(PCMU.staticPayloadType).toBe(0);
    expect(PCMA.staticPayloadType).toBe(8);
  });
});
