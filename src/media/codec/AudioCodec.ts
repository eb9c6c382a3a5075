import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from './G711.js';
import { decodeL16BigEndian, encodeL16BigEndian } from './L16.js';

/** An RTP audio payload format: converts 16-bit linear PCM frames to and from RTP payload bytes. */
export interface AudioCodec {
  /** Encoding name as in SDP `a=rtpmap` (PCMU, PCMA, L16, opus). */
  readonly name: string;
  /** Static RTP payload type (RFC 3551), or undefined when it must be negotiated dynamically. */
  readonly staticPayloadType: number | undefined;
  /** Sampling rate (and RTP clock rate) in Hz. */
  readonly clockRate: number;
  /**
   * Payload bytes per sample; for a variable-rate codec (opus) an upper bound, used only to size buffers.
   */
  readonly bytesPerSample: number;
  /**
   * Samples a payload decodes to, for codecs whose payload size does not follow from `bytesPerSample`
   * (opus reads it from the packet's TOC byte). Absent for constant-rate codecs.
   */
  readonly payloadSamples?: (payload: Uint8Array) => number;
  /** Encodes PCM to payload bytes, into `out` when given. */
  encode(pcm: Int16Array, out?: Buffer): Buffer;
  /** Decodes payload bytes to PCM, into `out` when given. */
  decode(payload: Uint8Array, out?: Int16Array): Int16Array;
}

/** G.711 µ-law at 8 kHz, static payload type 0. */
export const PCMU: AudioCodec = Object.freeze({
  name: 'PCMU',
  staticPayloadType: 0,
  clockRate: 8000,
  bytesPerSample: 1,
  encode: encodeUlaw,
  decode: decodeUlaw,
});

/** G.711 A-law at 8 kHz, static payload type 8. */
export const PCMA: AudioCodec = Object.freeze({
  name: 'PCMA',
  staticPayloadType: 8,
  clockRate: 8000,
  bytesPerSample: 1,
  encode: encodeAlaw,
  decode: decodeAlaw,
});

/**
 * Builds an L16 mono codec (network byte order) at `clockRate`. RFC 3551 gives static payload type 11 only
 * to 44.1 kHz mono; every other rate is dynamic.
 */
export function l16Codec(clockRate: number): AudioCodec {
  return Object.freeze({
    name: 'L16',
    staticPayloadType: clockRate === 44100 ? 11 : undefined,
    clockRate,
    bytesPerSample: 2,
    encode: encodeL16BigEndian,
    decode: decodeL16BigEndian,
  });
}

/** Samples in one frame of `frameMs` milliseconds at `clockRate`. */
export function samplesPerFrame(clockRate: number, frameMs = 20): number {
  return Math.round((clockRate * frameMs) / 1000);
}
