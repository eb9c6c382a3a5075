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

  it('describes dynamic and static payload types', () => {
    expect(l16Codec(16000).staticPayloadType).toBeUndefined();
    expect(l16Codec(44100).staticPayloadType).toBe(11);
    expect(l16Codec(16000).bytesPerSample).toBe(2);
  });
});
