import { describe, expect, it } from 'vitest';
import { PlayoutQueue, type PlayoutMarkInfo } from '../../../src/media/playout/PlayoutQueue.js';

/** A ramp of `n` samples starting at `from`, so each frame's content is recognisable. */
const ramp = (from: number, n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => from + i);

describe('PlayoutQueue', () => {
  it('re-frames odd-sized chunks into 20 ms frames after a 40 ms prebuffer', () => {
    const q = new PlayoutQueue({ sampleRate: 8000 });
    q.enqueue(ramp(0, 100));
    expect(q.tick().silence).toBe(true);
    q.enqueue(ramp(100, 250));
    const frames = [q.tick(), q.tick()];
    expect(frames.map((f) => f.silence)).toEqual([false, false]);
    expect(Array.from(frames[0]!.pcm)).toEqual(Array.from(ramp(0, 160)));
    expect(Array.from(frames[1]!.pcm)).toEqual(Array.from(ramp(160, 160)));
    expect(q.queuedMs).toBe(3);
  });

  it('plays silence on underrun and then prebuffers again', () => {
    const q = new PlayoutQueue();
    q.enqueue(ramp(1, 320));
    expect([q.tick().silence, q.tick().silence]).toEqual([false, false]);
    let underruns = 0;
    q.on('underrun', () => underruns++);
    const gap = q.tick();
    expect(gap.silence).toBe(true);
    expect(gap.pcm.every((s) => s === 0)).toBe(true);
    expect(underruns).toBe(1);
    q.enqueue(ramp(1, 160));
    expect(q.tick().silence).toBe(true);
    q.enqueue(ramp(1, 160));
    expect(q.tick().silence).toBe(false);
    expect(q.stats).toMatchObject({ playedFrames: 3, underruns: 1, silenceFrames: 2 });
  });

  it('does not hold back a short prompt or its tail forever', () => {
    const q = new PlayoutQueue();
    q.enqueue(ramp(1, 200));
    const frames = Array.from({ length: 6 }, () => q.tick());
    const played = frames.filter((f) => !f.silence);
    expect(played).toHaveLength(2);
    expect(Array.from(played[1]!.pcm.subarray(0, 40))).toEqual(Array.from(ramp(161, 40)));
    expect(played[1]!.pcm.subarray(40).every((s) => s === 0)).toBe(true);
  });

  it('fires marks exactly when the audio before them has played out', () => {
    const q = new PlayoutQueue();
    const log: string[] = [];
    q.on('mark', (m) => log.push(`event:${m.name}`));
    q.mark('start', () => log.push('cb:start'));
    q.enqueue(ramp(0, 320));
    q.mark('after-two', (m: PlayoutMarkInfo) => log.push(`cb:${m.name}:${m.cleared}`));
    q.enqueue(ramp(0, 160));
    q.mark('end');
    const ticks: string[] = [];
    for (let i = 0; i < 5; i++) {
      const frame = q.tick();
      ticks.push(`${frame.silence ? 'S' : 'A'}|${log.join(',')}`);
      log.length = 0;
    }
    expect(ticks).toEqual([
      'A|cb:start,event:start',
      'A|',
      'A|cb:after-two:false,event:after-two',
      'S|event:end',
      'S|',
    ]);
  });

  it('clears at once, reporting what was dropped and resolving marks as cleared', () => {
    const q = new PlayoutQueue({ sampleRate: 16000 });
    const marks: PlayoutMarkInfo[] = [];
    q.enqueue(ramp(0, 320 * 3));
    q.mark('m1', (m) => marks.push(m));
    q.enqueue(ramp(0, 100));
    q.tick();
    q.tick();
    const result = q.clear();
    expect(result).toEqual({ samples: 320 + 100, bytes: 840, durationMs: 26.25, marks: 1 });
    expect(marks).toEqual([{ name: 'm1', cleared: true }]);
    expect(q.tick().silence).toBe(true);
    expect(q.queuedMs).toBe(0);
  });

  it('enforces the byte cap and counts what it drops', () => {
    const q = new PlayoutQueue({ maxBytes: 1000 });
    expect(q.enqueue(ramp(0, 400))).toBe(400);
    expect(q.enqueue(ramp(0, 400))).toBe(100);
    expect(q.stats.overflowBytes).toBe(600);
    expect(q.stats.queuedBytes).toBe(1000);
    q.tick();
    q.tick();
    expect(q.enqueue(ramp(0, 400))).toBe(320);
  });

  it('copies input so callers can reuse their buffers', () => {
    const q = new PlayoutQueue();
    const chunk = ramp(5, 160);
    q.enqueue(chunk);
    chunk.fill(0);
    q.enqueue(chunk);
    expect(q.tick().pcm[0]).toBe(5);
  });

  it('reuses frame buffers once the caller is done with them', () => {
    const q = new PlayoutQueue({ prebufferMs: 20 });
    const seen = new Set<Int16Array>();
    for (let i = 0; i < 50; i++) {
      q.enqueue(ramp(i * 100, 160));
      const frame = q.tick();
      expect(frame.silence).toBe(false);
      expect(frame.pcm[0]).toBe(i * 100);
      seen.add(frame.pcm);
    }
    expect(seen.size).toBeLessThanOrEqual(3);
  });
});
