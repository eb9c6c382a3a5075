import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  OPUS_CLOCK_RATE,
  OPUS_FRAME_SAMPLES,
  loadOpus,
  opusPacketSamples,
} from '../../../src/media/index.js';
import { concat, rms, toneSource, zeroCrossingHz } from '../bus/audioProbe.js';
import { pcmBytes, pcmSamples, rawOpus, requireOpus } from '../../support/opus.js';

/** SNR in dB of `decoded` against `original`, at the lag (codec delay) that lines them up best. */
function alignedSnrDb(original: Int16Array, decoded: Int16Array, maxLag: number): number {
  let best = -Infinity;
  const span = original.length - maxLag;
  for (let lag = 0; lag <= maxLag; lag++) {
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < span; i++) {
      const s = original[i]!;
      const e = decoded[i + lag]! - s;
      signal += s * s;
      noise += e * e;
    }
    best = Math.max(best, 10 * Math.log10(signal / Math.max(noise, 1)));
  }

  return best;
}

describe('opus codec (@discordjs/opus, RFC 7587)', () => {
  it('loads, and a 440 Hz tone encoded and decoded in 20 ms frames keeps its pitch and level', async () => {
    const factory = await requireOpus();
    const codec = factory.create();
    expect(codec).toMatchObject({ name: 'opus', clockRate: 48000, staticPayloadType: undefined });
    expect(OPUS_CLOCK_RATE).toBe(48000);
    expect(OPUS_FRAME_SAMPLES).toBe(960);

    const tone = toneSource(440, 48000);
    const sent: Int16Array[] = [];
    const got: Int16Array[] = [];
    const out = Buffer.alloc(1920);
    for (let i = 0; i < 50; i++) {
      const frame = tone();
      sent.push(frame);
      const packet = codec.encode(frame, out);
      expect(packet.length).toBeGreaterThan(0);
      expect(packet.length).toBeLessThan(400);
      expect(codec.payloadSamples?.(packet)).toBe(960);
      const decoded = codec.decode(packet, new Int16Array(960));
      expect(decoded.length).toBe(960);
      got.push(Int16Array.from(decoded));
    }
    // The first frames carry the encoder's look-ahead; the rest is the tone.
    const steady = concat(got.slice(5));
    expect(zeroCrossingHz(steady, 48000)).toBeGreaterThan(438);
    expect(zeroCrossingHz(steady, 48000)).toBeLessThan(442);
    expect(rms(steady) / rms(concat(sent))).toBeGreaterThan(0.8);
    expect(rms(steady) / rms(concat(sent))).toBeLessThan(1.2);
    const snr = alignedSnrDb(concat(sent.slice(5, 45)), concat(got.slice(5)), 960);
    expect(snr).toBeGreaterThan(15);
  });

  it('interoperates with a separate @discordjs/opus encoder and decoder (the test peer)', async () => {
    const codec = (await requireOpus()).create();
    const peer = rawOpus();
    const tone = toneSource(440, 48000);
    const fromPeer: Int16Array[] = [];
    const toPeer: Int16Array[] = [];
    for (let i = 0; i < 30; i++) {
      const frame = tone();
      fromPeer.push(Int16Array.from(codec.decode(peer.encode(pcmBytes(frame)))));
      toPeer.push(pcmSamples(peer.decode(codec.encode(frame))));
    }
    for (const decoded of [concat(fromPeer.slice(5)), concat(toPeer.slice(5))]) {
      expect(zeroCrossingHz(decoded, 48000)).toBeGreaterThan(438);
      expect(zeroCrossingHz(decoded, 48000)).toBeLessThan(442);
    }
  });

  it('keeps the state of each leg apart: two codecs from one factory are separate instances', async () => {
    const factory = await requireOpus();
    expect(factory.create()).not.toBe(factory.create());
  });

  it('reads the frame count of a packet from its TOC byte (RFC 6716 §3.1)', () => {
    // config 1 (SILK NB 20 ms), code 0: one frame.
    expect(opusPacketSamples(Uint8Array.of(1 << 3, 0))).toBe(960);
    // config 31 (CELT FB 20 ms), code 1: two frames.
    expect(opusPacketSamples(Uint8Array.of((31 << 3) | 1, 0))).toBe(1920);
    // config 16 (CELT NB 2.5 ms), code 3 with 4 frames.
    expect(opusPacketSamples(Uint8Array.of((16 << 3) | 3, 4))).toBe(480);
    // config 13 (hybrid SWB 20 ms).
    expect(opusPacketSamples(Uint8Array.of(13 << 3))).toBe(960);
    // config 3 (SILK NB 60 ms), code 3 with 3 frames: 180 ms, more than a packet may hold.
    expect(opusPacketSamples(Uint8Array.of((3 << 3) | 3, 3))).toBe(0);
    expect(opusPacketSamples(new Uint8Array(0))).toBe(0);
  });

  it('logs one line at load: available, or not offered and why', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    expect(await loadOpus(logger)).not.toBeNull();
    expect(await loadOpus(logger, { module: '@discordjs/no-such-opus' })).toBeNull();
    await new Promise((wake) => setImmediate(wake));
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { level: 30, codec: 'opus', implementation: '@discordjs/opus', msg: 'opus codec available' },
      {
        level: 40,
        codec: 'opus',
        module: '@discordjs/no-such-opus',
        reason: expect.stringMatching(/Cannot find (package|module)/) as unknown,
        msg: expect.stringMatching(/^opus is not offered/) as unknown,
      },
    ]);
  });
});
