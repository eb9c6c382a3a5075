import { type Logger } from '../../log/index.js';
import { type AudioCodec } from './AudioCodec.js';

/*
 * Opus (RFC 6716) carried over RTP as RFC 7587 says: the RTP clock is always 48 kHz and the SDP names the
 * format `opus/48000/2` whatever is actually sent. confab encodes and decodes mono 48 kHz, one 20 ms
 * frame (960 samples) per packet; a mono decoder also plays a stereo stream (libopus downmixes it).
 *
 * The encoder is native code (`@discordjs/opus`, an optional dependency built from source at install
 * time), so it is loaded lazily with a dynamic import: where the build failed, {@link loadOpus} resolves
 * to null, logs one line saying why, and opus is simply not offered. An encoder and its decoder keep
 * state between frames, so every leg gets its own codec from {@link OpusCodecFactory.create}.
 */

/** RTP clock rate of opus (RFC 7587 §4.1). */
export const OPUS_CLOCK_RATE = 48000;

/** Samples in one 20 ms opus frame at 48 kHz. */
export const OPUS_FRAME_SAMPLES = 960;

/** Largest opus packet (RFC 6716 §3.4: 1275 bytes per frame, at most 3 frames of 20 ms per 60 ms). */
const OPUS_MAX_PACKET_BYTES = 3 * 1276;

/** libopus CTL requests (opus_defines.h). */
const OPUS_SET_BITRATE_REQUEST = 4002;
const OPUS_SET_INBAND_FEC_REQUEST = 4012;
const OPUS_SET_PACKET_LOSS_PERC_REQUEST = 4014;

/** Options of one opus codec instance. */
export interface OpusCodecOptions {
  /**
   * Encode in-band forward error correction (LBRR data a receiver can use to rebuild a lost packet);
   * costs bitrate, so it is off unless asked for.
   * @defaultValue false
   */
  readonly fec?: boolean;
  /** Expected packet loss in percent, which tunes the FEC (only used with `fec`). @defaultValue 10 */
  readonly expectedLossPercent?: number;
  /** Target bitrate in bits per second. @defaultValue 32000 (wideband speech, comfortably) */
  readonly bitrate?: number;
}

/** Builds opus codecs; each leg needs its own (encoder and decoder state). */
export interface OpusCodecFactory {
  /** Where the native code came from, for logs. */
  readonly implementation: string;
  /** A new mono 48 kHz opus codec with its own encoder and decoder. */
  create(options?: OpusCodecOptions): AudioCodec;
}

/** The part of `@discordjs/opus`'s `OpusEncoder` (encoder and decoder in one object) that confab uses. */
interface NativeOpus {
  encode(pcm: Buffer): Buffer;
  decode(packet: Buffer): Buffer;
  applyEncoderCTL(ctl: number, value: number): void;
}

/** The constructor exported by `@discordjs/opus`. */
type NativeOpusConstructor = new (rate: number, channels: number) => NativeOpus;

/** Imports done so far, by package name: the native module is loaded once per process. */
const imports = new Map<string, Promise<OpusCodecFactory>>();

/**
 * Loads `@discordjs/opus` (once per process) and checks it can encode and decode a frame. Resolves to a
 * factory, or to null when the module is missing or broken; each call logs one line (info when opus is
 * available, warn with the reason when it is not offered), so call it once, at startup.
 * @param options.module - the package to load instead (tests point it at a missing one)
 */
export async function loadOpus(
  logger?: Logger,
  options: { readonly module?: string } = {},
): Promise<OpusCodecFactory | null> {
  const specifier = options.module ?? '@discordjs/opus';
  let pending = imports.get(specifier);
  if (pending === undefined) {
    pending = importOpus(specifier);
    imports.set(specifier, pending);
  }
  try {
    const factory = await pending;
    logger?.info({ codec: 'opus', implementation: factory.implementation }, 'opus codec available');

    return factory;
  } catch (err) {
    const reason = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
    logger?.warn(
      { codec: 'opus', module: specifier, reason },
      'opus is not offered: its native module could not be loaded (did its build fail at install?)',
    );

    return null;
  }
}

/** Imports the native module and proves it works on one frame of silence. */
async function importOpus(specifier: string): Promise<OpusCodecFactory> {
  // A variable specifier keeps TypeScript from requiring the optional package's types at build time.
  const mod = (await import(specifier)) as {
    OpusEncoder?: NativeOpusConstructor;
    default?: { OpusEncoder?: NativeOpusConstructor };
  };
  const Native = mod.OpusEncoder ?? mod.default?.OpusEncoder;
  if (typeof Native !== 'function') {
    throw new Error('@discordjs/opus has no OpusEncoder export');
  }
  const probe = new Native(OPUS_CLOCK_RATE, 1);
  const decoded = probe.decode(probe.encode(Buffer.alloc(OPUS_FRAME_SAMPLES * 2)));
  if (decoded.length !== OPUS_FRAME_SAMPLES * 2) {
    throw new Error(`@discordjs/opus decoded ${decoded.length} bytes for one 20 ms frame`);
  }

  return {
    implementation: specifier,
    create: (options) => opusCodec(new Native(OPUS_CLOCK_RATE, 1), options),
  };
}

/** Wraps one native encoder/decoder as an {@link AudioCodec}. */
function opusCodec(native: NativeOpus, options: OpusCodecOptions = {}): AudioCodec {
  native.applyEncoderCTL(OPUS_SET_BITRATE_REQUEST, options.bitrate ?? 32000);
  native.applyEncoderCTL(OPUS_SET_INBAND_FEC_REQUEST, options.fec === true ? 1 : 0);
  if (options.fec === true) {
    native.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC_REQUEST, options.expectedLossPercent ?? 10);
  }
  // The native binding reads PCM from a Buffer; one reused per codec saves an allocation per frame.
  let pcmBytes = Buffer.alloc(OPUS_FRAME_SAMPLES * 2);

  return Object.freeze({
    name: 'opus',
    staticPayloadType: undefined,
    clockRate: OPUS_CLOCK_RATE,
    // Opus is variable-rate: 2 bytes per sample only bounds a frame's payload (a 20 ms packet is far smaller).
    bytesPerSample: 2,
    payloadSamples: opusPacketSamples,
    encode(pcm: Int16Array, out?: Buffer): Buffer {
      if (pcmBytes.length !== pcm.length * 2) {
        pcmBytes = Buffer.alloc(pcm.length * 2);
      }
      for (let i = 0; i < pcm.length; i++) {
        pcmBytes.writeInt16LE(pcm[i] ?? 0, 2 * i);
      }
      const packet = native.encode(pcmBytes);
      if (out === undefined || out.length < packet.length) {
        return packet;
      }
      packet.copy(out);

      return out.subarray(0, packet.length);
    },
    decode(payload: Uint8Array, out?: Int16Array): Int16Array {
      const bytes = Buffer.isBuffer(payload)
        ? payload
        : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      const decoded = native.decode(bytes);
      const count = decoded.length >> 1;
      const target = out ?? new Int16Array(count);
      const n = Math.min(count, target.length);
      for (let i = 0; i < n; i++) {
        target[i] = decoded.readInt16LE(2 * i);
      }

      return target.length === n ? target : target.subarray(0, n);
    },
  });
}

/** Frame length in 48 kHz samples of each TOC configuration (RFC 6716 §3.1, table 2). */
const FRAME_SAMPLES_BY_CONFIG: readonly number[] = [
  // SILK-only, NB/MB/WB: 10, 20, 40, 60 ms.
  480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880,
  // Hybrid, SWB/FB: 10, 20 ms.
  480, 960, 480, 960,
  // CELT-only, NB/WB/SWB/FB: 2.5, 5, 10, 20 ms.
  120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960,
];

/**
 * Samples (at 48 kHz, per channel) an opus packet decodes to, read from its TOC byte (RFC 6716 §3.1);
 * 0 for an empty or malformed packet.
 */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined || packet.length > OPUS_MAX_PACKET_BYTES) {
    return 0;
  }
  const perFrame = FRAME_SAMPLES_BY_CONFIG[toc >> 3] ?? 0;
  const code = toc & 0x03;
  let frames = 1;
  if (code === 1 || code === 2) {
    frames = 2;
  } else if (code === 3) {
    frames = (packet[1] ?? 0) & 0x3f;
  }
  const samples = perFrame * frames;

  // RFC 6716 §3.2.5: a packet never holds more than 120 ms of audio.
  return samples > 5760 ? 0 : samples;
}
