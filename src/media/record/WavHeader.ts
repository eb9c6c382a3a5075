import { MediaPacketError } from '../errors.js';

/**
 * The canonical 44-byte header of a PCM WAV file (RIFF, one `fmt ` chunk, then `data`). All integers are
 * little-endian.
 *
 * ```
 *  offset  size  field
 *  0       4     "RIFF"
 *  4       4     RIFF chunk size = 36 + data size
 *  8       4     "WAVE"
 *  12      4     "fmt "
 *  16      4     fmt chunk size = 16
 *  20      2     audio format = 1 (PCM)
 *  22      2     channels
 *  24      4     sample rate
 *  28      4     byte rate = sample rate × block align
 *  32      2     block align = channels × bits / 8
 *  34      2     bits per sample = 16
 *  36      4     "data"
 *  40      4     data size in bytes
 *  44      …     interleaved samples (left first when stereo)
 * ```
 */
export const WAV_HEADER_SIZE = 44;

/** The fields of a 16-bit PCM WAV header. */
export interface WavFormat {
  /** 1 (mono) or 2 (stereo). */
  channels: number;
  /** Samples per second per channel. */
  sampleRate: number;
  /** Bytes of sample data following the header. */
  dataBytes: number;
  /** Bits per sample; confab writes 16. */
  bitsPerSample: number;
}

/** Builds the 44-byte header for `dataBytes` of 16-bit samples. */
export function buildWavHeader(format: Omit<WavFormat, 'bitsPerSample'>): Buffer {
  const header = Buffer.alloc(WAV_HEADER_SIZE);
  const blockAlign = format.channels * 2;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE((36 + format.dataBytes) >>> 0, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(format.channels, 22);
  header.writeUInt32LE(format.sampleRate, 24);
  header.writeUInt32LE(format.sampleRate * blockAlign, 28);
  header.writeUInt16LE(blockAlign, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(format.dataBytes >>> 0, 40);

  return header;
}

/**
 * Parses a canonical 44-byte PCM WAV header. Throws {@link MediaPacketError} `ERR_RTP_TRUNCATED` for a short
 * buffer and `ERR_RTP_FIELD_RANGE` for anything but that layout (the media room's generic packet codes).
 */
export function parseWavHeader(bytes: Uint8Array): WavFormat {
  if (bytes.length < WAV_HEADER_SIZE) {
    throw new MediaPacketError(
      'ERR_RTP_TRUNCATED',
      `WAV header needs ${WAV_HEADER_SIZE} bytes`,
      bytes.length,
    );
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, WAV_HEADER_SIZE);
  const tags: [number, string][] = [
    [0, 'RIFF'],
    [8, 'WAVE'],
    [12, 'fmt '],
    [36, 'data'],
  ];
  for (const [offset, tag] of tags) {
    if (buffer.toString('ascii', offset, offset + 4) !== tag) {
      throw new MediaPacketError('ERR_RTP_FIELD_RANGE', `WAV header lacks "${tag}"`, offset);
    }
  }
  if (buffer.readUInt16LE(20) !== 1 || buffer.readUInt32LE(16) !== 16) {
    throw new MediaPacketError('ERR_RTP_FIELD_RANGE', 'WAV file is not plain PCM', 20);
  }

  return {
    channels: buffer.readUInt16LE(22),
    sampleRate: buffer.readUInt32LE(24),
    dataBytes: buffer.readUInt32LE(40),
    bitsPerSample: buffer.readUInt16LE(34),
  };
}
