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

  describe('standing delay of a live stream', () => {
    const frame = (value: number): Int16Array => new Int16Array(160).fill(value);

    /**
     * An application sending one frame per 20 ms, `phaseMs` after each tick, after an opening burst of
     * `burst` extra frames; `loud(n)` says which frames carry sound. Returns the waits (tick time −
     * enqueue time) of the frames played, and what was played, by frame number (its sample value).
     */
    function live(
      q: PlayoutQueue,
      clock: { now: number },
      options: {
        phaseMs: number;
        ticks: number;
        burst: number;
        loud?: (n: number) => boolean;
        // The sender stalls for `ticks` frames from tick `from`, then sends what it owes at once.
        stall?: { from: number; ticks: number };
      },
    ): { waits: number[]; played: number[] } {
      const sentAt: number[] = [];
      let n = 1;
      const send = (): void => {
        sentAt[n] = clock.now;
        q.enqueue(frame(options.loud?.(n) === true ? 1000 + n : 0));
        n += 1;
      };
      const waits: number[] = [];
      const played: number[] = [];
      clock.now = 0;
      for (let i = 0; i < options.burst; i++) {
        send();
      }
      const stall = options.stall ?? { from: Infinity, ticks: 0 };
      for (let tick = 1; tick <= options.ticks; tick++) {
        clock.now = tick * 20 - 20 + options.phaseMs;
        if (tick === stall.from + stall.ticks) {
          for (let owed = 0; owed < stall.ticks; owed++) {
            send();
          }
        }
        if (tick < stall.from || tick >= stall.from + stall.ticks) {
          send();
        }
        clock.now = tick * 20;
        const out = q.tick();
        if (!out.silence) {
          const value = out.pcm[0]!;
          // Quiet frames carry no number; only loud ones are traced by content.
          played.push(value);
          const sent = value > 0 ? sentAt[value - 1000]! : Number.NaN;
          waits.push(value > 0 ? clock.now - sent : Number.NaN);
        }
      }

      return { waits, played };
    }

    it('sheds quiet frames of standing delay down to the prebuffer, no further', () => {
      const clock = { now: 0 };
      const q = new PlayoutQueue({ prebufferMs: 20, shedWindowTicks: 10, now: () => clock.now });
      // Every frame loud, so its wait can be traced, except every fifth (quiet).
      const run = live(q, clock, { phaseMs: 5, ticks: 80, burst: 2, loud: (n) => n % 5 !== 0 });
      const loudWaits = run.waits.filter((w) => !Number.isNaN(w));
      // The burst left two spare frames: 55 ms a frame once the stream runs (the burst's own frames 20 and
      // 40), 15 ms (the phase) once both were shed.
      expect(loudWaits.slice(0, 4)).toEqual([20, 40, 55, 55]);
      expect(loudWaits.slice(-10)).toEqual(Array<number>(10).fill(15));
      expect(q.stats).toMatchObject({ shedFrames: 2, underruns: 0 });
      // Only quiet frames went: every loud frame was played, in order.
      const loudPlayed = run.played.filter((v) => v > 0);
      expect(loudPlayed).toEqual(
        Array.from({ length: 82 }, (_, i) => 1001 + i)
          .filter((v) => (v - 1000) % 5 !== 0)
          .slice(0, loudPlayed.length),
      );
    });

    it('keeps the delay while the stream is loud, and sheds at its first quiet frame', () => {
      const clock = { now: 0 };
      const q = new PlayoutQueue({ prebufferMs: 20, shedWindowTicks: 10, now: () => clock.now });
      live(q, clock, { phaseMs: 5, ticks: 40, burst: 1, loud: () => true });
      expect(q.stats.shedFrames).toBe(0);
      live(q, clock, { phaseMs: 5, ticks: 5, burst: 0, loud: () => false });
      expect(q.stats.shedFrames).toBe(1);
    });

    it('followed by a bus, sheds the prebuffer of a live stream down to one frame and the margin', () => {
      const clock = { now: 0 };
      const options = { prebufferMs: 40, shedWindowTicks: 10, now: () => clock.now };
      // Alone, the 40 ms prebuffer is the floor: frames sent 5 ms after each tick wait 35 ms throughout.
      const alone = new PlayoutQueue(options);
      const kept = live(alone, clock, { phaseMs: 5, ticks: 40, burst: 1, loud: (n) => n % 5 !== 0 });
      expect(new Set(kept.waits.slice(2).filter((w) => !Number.isNaN(w)))).toEqual(new Set([35]));
      // Followed by a bus that waits for late frames (2 ms margin), the spare frame goes: 15 ms.
      const q = new PlayoutQueue(options);
      q.follow({ marginMs: 2, windowTicks: 10 });
      const run = live(q, clock, { phaseMs: 5, ticks: 40, burst: 1, loud: (n) => n % 5 !== 0 });
      expect(run.waits.filter((w) => !Number.isNaN(w)).slice(-10)).toEqual(Array<number>(10).fill(15));
      expect(q.stats).toMatchObject({ shedFrames: 1, underruns: 0 });
      // What the bus reads: a live stream, whose next frame is not here before it is sent.
      expect(q.lastWaitMs).toBe(15);
      expect(q.nextReady).toBe(false);
      expect(q.live).toBe(true);
      clock.now += 60;
      expect(q.live).toBe(false);
    });

    it('followed by a bus, sheds within a few tenths of a second every frame a stalled sender left behind', () => {
      const clock = { now: 0 };
      const q = new PlayoutQueue({ prebufferMs: 40, shedWindowTicks: 25, now: () => clock.now });
      q.follow({ marginMs: 0, windowTicks: 25 });
      // Frames come 2 ms before their tick, every fifth one quiet. The sender stalls for three frames
      // (60 ms) at tick 30, then sends them at once with the fourth: the queue runs dry, then stands behind.
      const run = live(q, clock, {
        phaseMs: 18,
        ticks: 100,
        burst: 1,
        loud: (n) => n % 5 !== 0,
        stall: { from: 30, ticks: 3 },
      });
      expect(q.stats.underruns).toBe(1);
      // Short windows after the underrun find the standing frames; they go at the next quiet frames, and
      // frames wait 2 ms again within 25 ticks of the burst.
      const after = run.played.indexOf(1056);
      expect(after).toBeGreaterThan(0);
      expect(new Set(run.waits.slice(after).filter((w) => !Number.isNaN(w)))).toEqual(new Set([2]));
      expect(q.stats.shedFrames).toBeGreaterThanOrEqual(3);
    });

    it('never shortens a prompt sent ahead of time', () => {
      const clock = { now: 0 };
      const q = new PlayoutQueue({ prebufferMs: 20, shedWindowTicks: 10, now: () => clock.now });
      // Two seconds of quiet and loud audio queued at once: it is not live, so all of it plays.
      for (let i = 0; i < 100; i++) {
        q.enqueue(frame(i % 2 === 0 ? 0 : 500));
      }
      let played = 0;
      for (let tick = 1; tick <= 120; tick++) {
        clock.now = tick * 20;
        played += q.tick().silence ? 0 : 1;
      }
      expect(played).toBe(100);
      expect(q.stats.shedFrames).toBe(0);
    });
  });
});
