import { VoiceAudioError } from './VoiceAudioError.js';

/** Mono 16-bit PCM at a rate. */
export interface PcmAudio {
  readonly pcm: Int16Array;
  readonly sampleRate: number;
}

/**
 * Decodes a RIFF/WAVE file of 16-bit PCM (mono, or stereo mixed down to mono) by walking its chunks, so
 * that streamed WAVs whose sizes are placeholders (espeak-ng's `--stdout`, 0x7fffffff) decode too.
 */
export function decodeWav(bytes: Buffer): PcmAudio {
  if (
    bytes.length < 12 ||
    bytes.toString('ascii', 0, 4) !== 'RIFF' ||
    bytes.toString('ascii', 8, 12) !== 'WAVE'
  ) {
    throw new VoiceAudioError('ERR_AUDIO_FORMAT', 'not a WAV file (no RIFF/WAVE header)');
  }
  let offset = 12;
  let format: { channels: number; sampleRate: number; bits: number; tag: number } | null = null;
  // A bounded walk: every chunk moves the offset forward by at least eight bytes.
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const size = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = {
        tag: bytes.readUInt16LE(body),
        channels: bytes.readUInt16LE(body + 2),
        sampleRate: bytes.readUInt32LE(body + 4),
        bits: bytes.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (format === null) {
        throw new VoiceAudioError('ERR_AUDIO_FORMAT', 'WAV data chunk before its fmt chunk');
      }
      if (format.tag !== 1 || format.bits !== 16 || format.channels < 1 || format.channels > 2) {
        throw new VoiceAudioError(
          'ERR_AUDIO_FORMAT',
          `unsupported WAV (format ${format.tag}, ${format.bits} bits, ${format.channels} channels); 16-bit PCM mono or stereo is`,
        );
      }
      const end = Math.min(bytes.length, body + size);
      const frames = Math.floor((end - body) / (2 * format.channels));
      const pcm = new Int16Array(frames);
      for (let i = 0; i < frames; i++) {
        const at = body + i * 2 * format.channels;
        pcm[i] =
          format.channels === 1
            ? bytes.readInt16LE(at)
            : (bytes.readInt16LE(at) + bytes.readInt16LE(at + 2)) >> 1;
      }

      return { pcm, sampleRate: format.sampleRate };
    }
    offset = body + size + (size % 2);
  }
  throw new VoiceAudioError('ERR_AUDIO_FORMAT', 'WAV file without a data chunk');
}

/** Raw 16-bit little-endian mono PCM at `sampleRate`. */
export function decodeRaw(bytes: Buffer, sampleRate: number): PcmAudio {
  const pcm = new Int16Array(Math.floor(bytes.length / 2));
  for (let i = 0; i < pcm.length; i++) {
    pcm[i] = bytes.readInt16LE(i * 2);
  }

  return { pcm, sampleRate };
}
