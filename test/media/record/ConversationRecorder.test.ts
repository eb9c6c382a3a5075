import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConversationAudioBus,
  ConversationRecorder,
  MediaClock,
  MediaStateError,
  WAV_HEADER_SIZE,
  parseWavHeader,
} from '../../../src/media/index.js';
import { concat, toneSource } from '../bus/audioProbe.js';

let dir: string;
let clock: MediaClock;
let bus: ConversationAudioBus;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confab-rec-'));
  clock = new MediaClock({ mode: 'manual' });
  bus = new ConversationAudioBus({ clock, sampleRate: 16000 });
});

afterEach(async () => {
  bus.close();
  clock.close();
  await rm(dir, { recursive: true, force: true });
});

/** Reads the samples (interleaved) of a WAV file. */
async function samplesOf(path: string): Promise<{ channels: number; rate: number; samples: Int16Array }> {
  const bytes = await readFile(path);
  const header = parseWavHeader(bytes);
  const samples = Int16Array.from({ length: header.dataBytes / 2 }, (_, i) =>
    bytes.readInt16LE(WAV_HEADER_SIZE + 2 * i),
  );

  return { channels: header.channels, rate: header.sampleRate, samples };
}

/** Two participants at the bus rate whose frames the test remembers. */
function twoSpeakers(): { a: Int16Array[]; b: Int16Array[] } {
  const a: Int16Array[] = [];
  const b: Int16Array[] = [];
  const toneA = toneSource(440, 16000, 4000);
  const toneB = toneSource(1000, 16000, 3000);
  bus.join('caller', {
    sampleRate: 16000,
    source: () => {
      const f = toneA();
      a.push(f);
      return f;
    },
  });
  bus.join('agent', {
    sampleRate: 16000,
    source: () => {
      const f = toneB();
      b.push(f);
      return f;
    },
  });

  return { a, b };
}

describe('ConversationRecorder', () => {
  it('records the mix of every participant as mono at the bus rate, one frame per tick', async () => {
    const { a, b } = twoSpeakers();
    const recorder = await ConversationRecorder.start(bus, { directory: dir, fileName: 'mix.wav' });
    clock.advance(50);
    const result = await recorder.stop();
    clock.advance(5);
    expect(result.durationMs).toBe(1000);
    const { channels, rate, samples } = await samplesOf(result.path);
    expect([channels, rate]).toEqual([1, 16000]);
    // Ticks after stop() are not recorded.
    const bs = concat(b.slice(0, 50));
    const expected = concat(a.slice(0, 50)).map((v, i) => v + (bs[i] ?? 0));
    expect(samples).toEqual(expected);
  });

  it('records split stereo: the chosen participant left, everybody else right', async () => {
    const { a, b } = twoSpeakers();
    bus.join('listener', { sampleRate: 8000 });
    const recorder = await ConversationRecorder.start(bus, {
      directory: dir,
      mode: 'split',
      leftParticipantId: 'caller',
    });
    clock.advance(25);
    bus.getParticipant('agent')!.muted = true;
    clock.advance(25);
    const result = await recorder.stop();
    expect(await recorder.stop()).toBe(result);
    const { channels, samples } = await samplesOf(result.path);
    expect(channels).toBe(2);
    const left = samples.filter((_, i) => i % 2 === 0);
    const right = samples.filter((_, i) => i % 2 === 1);
    expect(left).toEqual(concat(a));
    // The agent is heard on the right until muted, then silence.
    expect(right.subarray(0, 25 * 320)).toEqual(concat(b.slice(0, 25)));
    expect(right.subarray(25 * 320).every((v) => v === 0)).toBe(true);
  });

  it('isolates a throwing bus tap: it is reported and the others still hear each other', () => {
    twoSpeakers();
    const heard: Int16Array[] = [];
    bus.join('listener', { sampleRate: 16000, sink: (pcm) => heard.push(Int16Array.from(pcm)) });
    const errors: string[] = [];
    bus.on('participanterror', (id) => errors.push(id));
    const seen: string[][] = [];
    const bad = bus.tap(() => {
      throw new Error('tap bug');
    });
    bus.tap((frames) => seen.push(frames.map((f) => f.id)));
    clock.advance(2);
    bad.remove();
    bad.remove();
    clock.advance(1);
    expect(errors).toEqual(['tap', 'tap']);
    expect(seen).toEqual([
      ['caller', 'agent'],
      ['caller', 'agent'],
      ['caller', 'agent'],
    ]);
    expect(heard).toHaveLength(3);
  });

  it('refuses a split recording without a left participant, and a closed bus', async () => {
    await expect(ConversationRecorder.start(bus, { directory: dir, mode: 'split' })).rejects.toThrow(
      MediaStateError,
    );
    bus.close();
    await expect(ConversationRecorder.start(bus, { directory: dir })).rejects.toThrow(MediaStateError);
  });
});
