import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MediaPacketError,
  MediaStateError,
  WAV_HEADER_SIZE,
  WavRecorder,
  buildWavHeader,
  parseWavHeader,
} from '../../../src/media/index.js';
import { concat, toneSource, zeroCrossingHz } from '../bus/audioProbe.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confab-wav-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads a WAV file back: header fields and samples (interleaved). */
async function readWav(
  path: string,
): Promise<{ header: ReturnType<typeof parseWavHeader>; samples: Int16Array; size: number }> {
  const bytes = await readFile(path);
  const header = parseWavHeader(bytes);
  const samples = new Int16Array(header.dataBytes / 2);
  for (let i = 0; i < samples.length; i++) {
    samples[i] = bytes.readInt16LE(WAV_HEADER_SIZE + 2 * i);
  }

  return { header, samples, size: bytes.length };
}

const yieldToIo = (): Promise<void> => new Promise((wake) => setImmediate(wake));

describe('WAV header', () => {
  // 16-bit mono, 8 kHz, 320 bytes of data.
  const fixture = Buffer.from(
    '52494646' +
      '64010000' +
      '57415645' +
      '666d7420' +
      '10000000' +
      '0100' +
      '0100' +
      '401f0000' +
      '803e0000' +
      '0200' +
      '1000' +
      '64617461' +
      '40010000',
    'hex',
  );

  it('parses a byte fixture and serialises it back identically', () => {
    const format = parseWavHeader(fixture);
    expect(format).toEqual({ channels: 1, sampleRate: 8000, dataBytes: 320, bitsPerSample: 16 });
    expect(buildWavHeader(format).equals(fixture)).toBe(true);
  });

  it('rejects short and foreign headers', () => {
    expect(() => parseWavHeader(fixture.subarray(0, 20))).toThrow(MediaPacketError);
    const bad = Buffer.from(fixture);
    bad.write('RIFX', 0, 'ascii');
    expect(() => parseWavHeader(bad)).toThrow(MediaPacketError);
  });
});

describe('WavRecorder', () => {
  it('writes a mono tone whose header, size and samples read back exactly', async () => {
    const recorder = await WavRecorder.open({
      directory: join(dir, 'nested'),
      fileName: 'tone.wav',
      sampleRate: 16000,
      channels: 1,
    });
    const tone = toneSource(440, 16000);
    const written: Int16Array[] = [];
    for (let i = 0; i < 50; i++) {
      const frame = tone();
      written.push(frame);
      expect(recorder.write(frame)).toBe(true);
    }
    const result = await recorder.close();
    expect(await recorder.close()).toBe(result);
    expect(result).toMatchObject({
      path: join(dir, 'nested', 'tone.wav'),
      size: 44 + 32000,
      durationMs: 1000,
      channels: 1,
      sampleRate: 16000,
      droppedSamples: 0,
    });
    expect(result.endedAt.getTime()).toBeGreaterThanOrEqual(result.startedAt.getTime());
    const { header, samples, size } = await readWav(result.path);
    expect(header).toEqual({ channels: 1, sampleRate: 16000, dataBytes: 32000, bitsPerSample: 16 });
    expect(size).toBe(result.size);
    expect(samples).toEqual(concat(written));
    expect(zeroCrossingHz(samples, 16000)).toBeCloseTo(440, 0);
    expect(recorder.write(new Int16Array(320))).toBe(false);
  });

  it('writes split stereo with left and right interleaved', async () => {
    const recorder = await WavRecorder.open({ directory: dir, sampleRate: 8000, channels: 2 });
    const left = toneSource(440, 8000);
    const right = toneSource(1000, 8000);
    const lefts: Int16Array[] = [];
    const rights: Int16Array[] = [];
    for (let i = 0; i < 25; i++) {
      const l = left();
      const r = right();
      lefts.push(l);
      rights.push(r);
      recorder.writeStereo(l, r, 160);
    }
    recorder.writeStereo(undefined, undefined, 160);
    const result = await recorder.close();
    const { header, samples } = await readWav(result.path);
    expect(header).toMatchObject({ channels: 2, sampleRate: 8000, dataBytes: 26 * 160 * 4 });
    expect(result.durationMs).toBe(520);
    const l = samples.filter((_, i) => i % 2 === 0);
    const r = samples.filter((_, i) => i % 2 === 1);
    expect(l.subarray(0, 4000)).toEqual(concat(lefts));
    expect(r.subarray(0, 4000)).toEqual(concat(rights));
    expect(l.subarray(4000).every((v) => v === 0)).toBe(true);
    const mono = await WavRecorder.open({ directory: dir, sampleRate: 8000, channels: 1 });
    expect(() => mono.writeStereo(undefined, undefined, 160)).toThrow(MediaStateError);
    await mono.close();
  });

  it('drops and counts samples instead of buffering when the disk falls behind, keeping the header true', async () => {
    const recorder = await WavRecorder.open({
      directory: dir,
      sampleRate: 8000,
      channels: 1,
      chunkBytes: 1024,
      maxPendingBytes: 4096,
    });
    const frame = new Int16Array(160).fill(1234);
    let accepted = 0;
    for (let i = 0; i < 200; i++) {
      if (recorder.write(frame)) {
        accepted += 1;
      }
      expect(recorder.pendingBytes).toBeLessThanOrEqual(4096);
    }
    expect(accepted).toBeLessThan(200);
    expect(recorder.droppedSamples).toBe((200 - accepted) * 160);
    const result = await recorder.close();
    const { header, samples } = await readWav(result.path);
    expect(header.dataBytes).toBe(accepted * 320);
    expect(samples.every((v) => v === 1234)).toBe(true);
  });

  it('keeps memory flat over a long recording (10 minutes of 16 kHz stereo)', async () => {
    const recorder = await WavRecorder.open({ directory: dir, sampleRate: 16000, channels: 2 });
    const frame = Int16Array.from({ length: 640 }, (_, i) => (i * 97) % 20000);
    let maxPending = 0;
    let baseline = 0;
    let peakGrowth = 0;
    // 30,000 frames of 20 ms, in one-second batches with the I/O loop given a turn in between.
    for (let second = 0; second < 600; second++) {
      for (let i = 0; i < 50; i++) {
        recorder.write(frame);
      }
      maxPending = Math.max(maxPending, recorder.pendingBytes);
      await yieldToIo();
      if (second === 30) {
        baseline = process.memoryUsage().arrayBuffers;
      } else if (second > 30) {
        peakGrowth = Math.max(peakGrowth, process.memoryUsage().arrayBuffers - baseline);
      }
    }
    const result = await recorder.close();
    expect(result.droppedSamples).toBe(0);
    expect(result.size).toBe(44 + 600 * 64000);
    expect(result.durationMs).toBe(600_000);
    expect(maxPending).toBeLessThanOrEqual(4 * 1024 * 1024);
    // 38 MB went to disk; what stays in memory is bounded by the pending cap, not the recording length.
    expect(peakGrowth).toBeLessThan(12 * 1024 * 1024);
  });
});
