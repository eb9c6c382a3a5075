/**
 * @discordjs/opus for the opus tests: confab's codec factory, and the raw native encoder a test peer uses
 * to speak opus on its own. A missing module fails the test (never a skip): under CI=true it must be built.
 */
import { createRequire } from 'node:module';
import { loadOpus, type OpusCodecFactory } from '../../src/media/index.js';

/** The native `OpusEncoder` of @discordjs/opus (it encodes and decodes). */
export interface RawOpus {
  encode(pcm: Buffer): Buffer;
  decode(packet: Buffer): Buffer;
}

function missing(cause: unknown): Error {
  const where =
    process.env.CI === 'true'
      ? 'CI must build it (npm install with npm_config_nodedir=/usr)'
      : 'install it (npm install; it builds from source with npm_config_nodedir=/usr)';

  return new Error(`@discordjs/opus is not available: ${where}`, { cause });
}

/** confab's opus factory; throws when @discordjs/opus cannot be loaded. */
export async function requireOpus(): Promise<OpusCodecFactory> {
  const factory = await loadOpus();
  if (factory === null) {
    throw missing(undefined);
  }

  return factory;
}

/** A raw @discordjs/opus encoder/decoder (mono unless told), independent of confab's wrapper. */
export function rawOpus(sampleRate = 48000, channels = 1): RawOpus {
  const require = createRequire(import.meta.url);
  try {
    const { OpusEncoder } = require('@discordjs/opus') as {
      OpusEncoder: new (rate: number, channels: number) => RawOpus;
    };

    return new OpusEncoder(sampleRate, channels);
  } catch (error) {
    throw missing(error);
  }
}

/** Samples as the little-endian bytes @discordjs/opus reads. */
export function pcmBytes(pcm: Int16Array): Buffer {
  const out = Buffer.alloc(pcm.length * 2);
  pcm.forEach((s, i) => out.writeInt16LE(s, 2 * i));

  return out;
}

/** Little-endian bytes from @discordjs/opus as samples. */
export function pcmSamples(bytes: Buffer): Int16Array {
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) {
    out[i] = bytes.readInt16LE(2 * i);
  }

  return out;
}
