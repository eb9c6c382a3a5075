import { describe, expect, it } from 'vitest';
import { MediaClock, type ClockTick } from '../../../src/media/clock/MediaClock.js';

describe('MediaClock (manual)', () => {
  it('delivers numbered ticks to every subscriber', () => {
    const clock = new MediaClock({ mode: 'manual' });
    const a: ClockTick[] = [];
    const b: number[] = [];
    clock.subscribe((t) => a.push(t));
    clock.subscribe((t) => b.push(t.index));
    clock.advance(3);
    expect(a.map((t) => [t.index, t.scheduledMs, t.lateMs])).toEqual([
      [0, 20, 0],
      [1, 40, 0],
      [2, 60, 0],
    ]);
    expect(b).toEqual([0, 1, 2]);
    expect(clock.tickCount).toBe(3);
    expect(clock.running).toBe(false);
  });

  it('lets subscribers come and go during a tick', () => {
    const clock = new MediaClock({ mode: 'manual' });
    const calls: string[] = [];
    const holder: { late?: { unsubscribe(): void } } = {};
    const first = clock.subscribe((t) => {
      calls.push(`first${t.index}`);
      if (t.index === 0) {
        // Added during tick 0: first runs on tick 1.
        clock.subscribe((u) => calls.push(`added${u.index}`));
        // Removed during tick 0 before its turn: must not run in tick 0.
        holder.late?.unsubscribe();
      }
    });
    holder.late = clock.subscribe((t) => calls.push(`late${t.index}`));
    const self = clock.subscribe((t) => {
      calls.push(`self${t.index}`);
      self.unsubscribe();
      self.unsubscribe();
    });
    clock.advance(2);
    first.unsubscribe();
    clock.advance(1);
    expect(calls).toEqual(['first0', 'self0', 'first1', 'added1', 'added2']);
    expect(clock.subscriberCount).toBe(1);
  });

  it('isolates a throwing subscriber', () => {
    const clock = new MediaClock({ mode: 'manual' });
    const errors: unknown[] = [];
    clock.on('subscribererror', (e) => errors.push(e));
    const seen: number[] = [];
    clock.subscribe(() => {
      throw new Error('boom');
    });
    clock.subscribe((t) => seen.push(t.index));
    clock.advance(2);
    expect(seen).toEqual([0, 1]);
    expect(errors).toHaveLength(2);
  });

  it('refuses use after close and manual advance on a realtime clock', () => {
    const clock = new MediaClock({ mode: 'manual' });
    clock.close();
    clock.close();
    expect(() => clock.subscribe(() => undefined)).toThrow(/closed/);
    expect(() => new MediaClock().advance()).toThrow(/manual/);
    expect(() => new MediaClock({ periodMs: 0 })).toThrow(/period/);
  });
});

describe('MediaClock (real time)', () => {
  it('keeps the tick count equal to elapsed time over about a second, with one timer', async () => {
    const clock = new MediaClock();
    const ticks: number[] = [];
    let lastTickAt = 0n;
    const start = process.hrtime.bigint();
    // Many subscribers share the one timer.
    for (let i = 0; i < 100; i++) {
      clock.subscribe(() => undefined);
    }
    const sub = clock.subscribe((t) => {
      ticks.push(t.index);
      lastTickAt = process.hrtime.bigint();
    });
    // Hog the event loop for 150 ms so several ticks come due at once and must be caught up.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const hogUntil = Date.now() + 150;
    while (Date.now() < hogUntil) {
      // Busy wait on purpose.
    }
    await new Promise((resolve) => setTimeout(resolve, 650));
    sub.unsubscribe();
    clock.close();
    // Measured at the last tick, the count must match the time elapsed since the start: no tick lost
    // to the stall or to timer lateness, none invented.
    const expected = Math.floor(Number(lastTickAt - start) / 1e6 / 20);
    expect(ticks.length).toBeGreaterThan(40);
    expect(ticks.length).toBeGreaterThanOrEqual(expected - 1);
    expect(ticks.length).toBeLessThanOrEqual(expected + 1);
    expect(ticks).toEqual([...ticks.keys()]);
    expect(clock.running).toBe(false);
  });
});
