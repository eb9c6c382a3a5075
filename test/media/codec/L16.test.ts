import { describe, expect, it } from 'vitest';
import {
  decodeL16BigEndian,
  decodeL16LittleEndian,
  encodeL16BigEndian,
  encodeL16LittleEndian,
} from '../../../src/media/codec/L16.js';
import { l16Codec } from '../../../src/media/codec/AudioCodec.js';

describe('L16', () => {
  const samples = Int16Array.of(0, 1, -1, 0x1234, -32768, 32767);

  it('writes network byte order for RTP', () => {
    expect(encodeL16BigEndian(samples).toString('hex')).toBe('00000001ffff12348000' + '7fff');
  });

  it('writes little-endian for the WebSocket side', () => {
    expect(encodeL16LittleEndian(samples).toString('hex')).toBe('00000100ffff34120080' + 'ff7f');
  });

  it('round-trips both byte orders, including from an odd buffer offset', () => {
    expect(Array.from(decodeL16BigEndian(encodeL16BigEndian(samples)))).toEqual(Array.from(samples));
    const padded = Buffer.concat([Buffer.from([0xaa]), encodeL16LittleEndian(samples)]).subarray(1);
    expect(padded.byteOffset % 2).toBe(1);
    expect(Array.from(decodeL16LittleEndian(padded))).toEqual(Array.from(samples));
  });

  it('ignores an odd trailing byte', () => {
    expect(Array.from(decodeL16LittleEndian(Buffer.from([1, 0, 7])))).toEqual([1]);
  });

  it('decodes into and encodes from arrays that sit inside larger buffers', () => {
    const scratch = new Int16Array(10).fill(7);
    const bytes = encodeL16LittleEndian(samples);
    const decoded = decodeL16LittleEndian(bytes, scratch.subarray(2));
    expect(Array.from(decoded)).toEqual(Array.from(samples));
    // Only the decoded samples are written; the rest of the array is left as it was.
    expect(Array.from(scratch)).toEqual([7, 7, ...Array.from(samples), 7, 7]);
    const out = Buffer.alloc(16, 0xee);
    const encoded = encodeL16LittleEndian(scratch.subarray(2, 8), out.subarray(2, 14));
    expect(encoded.toString('hex')).toBe(bytes.toString('hex'));
    expect(out.subarray(0, 2).toString('hex') + out.subarray(14).toString('hex')).toBe('eeeeeeee');
  });

  it('describes dynamic and static payload types', () => {
    expect(l16Codec(16000).staticPayloadType).toBeUndefined();
    expect(l16Codec(44100).staticPayloadType).toBe(11);
    expect(l16Codec(16000).bytesPerSample).toBe(2);
  });
});
