import { createSocket } from 'node:dgram';
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

describe('MediaClock phases', () => {
  it('spreads subscribers over the phases of the period, each ticking once per period', () => {
    const clock = new MediaClock({ mode: 'manual', slots: 4 });
    const seen: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      clock.subscribe((t) => seen.push(`${name}${t.index}@${t.scheduledMs}`));
    }
    clock.advance(2);
    // a and e share the first phase; b, c and d take the others, 5 ms apart.
    expect(seen).toEqual([
      'a0@5',
      'e0@5',
      'b0@10',
      'c0@15',
      'd0@20',
      'a1@25',
      'e1@25',
      'b1@30',
      'c1@35',
      'd1@40',
    ]);
    expect(clock.tickCount).toBe(2);
    expect(clock.slots).toBe(4);
  });

  it('refuses a slot count that is not a whole number of phases of at least 1 ms', () => {
    expect(() => new MediaClock({ slots: 3 })).not.toThrow();
    expect(() => new MediaClock({ slots: 0 })).toThrow(/slots/);
    expect(() => new MediaClock({ slots: 1.5 })).toThrow(/slots/);
    expect(() => new MediaClock({ slots: 40 })).toThrow(/slots/);
    expect(new MediaClock().slots).toBe(10);
    expect(new MediaClock({ mode: 'manual' }).slots).toBe(1);
  });
});

describe('MediaClock phase moves', () => {
  it('postpones a tick by one phase and keeps the later phase, losing and doubling nothing', () => {
    const clock = new MediaClock({ mode: 'manual', slots: 4 });
    const seen: number[] = [];
    let postponements = 0;
    const sub = clock.subscribe((t) => {
      // The second tick waits twice for input that is late: it runs two phases (10 ms) later.
      if (seen.length === 1 && postponements < 2) {
        postponements += 1;
        expect(sub.postpone()).toBe(true);
        return;
      }
      seen.push(t.scheduledMs);
    });
    clock.advance(4);
    expect(seen).toEqual([5, 35, 55, 75]);
    expect(sub.phase).toBe(2);
    // Postponed by two phases at once: the next tick runs 30 ms after the last, then every 20 ms.
    let twice = false;
    const by2: number[] = [];
    const other = clock.subscribe((t) => {
      if (by2.length === 1 && !twice) {
        twice = true;
        other.postpone(2);
        return;
      }
      by2.push(t.scheduledMs);
    });
    clock.advance(3);
    expect(by2.slice(1).map((at, i) => at - by2[i]!)).toEqual([30, 20]);
    // Outside its own tick there is nothing to postpone.
    expect(sub.postpone()).toBe(false);
    // With a single phase a tick cannot be postponed.
    const single = new MediaClock({ mode: 'manual' });
    let refused: boolean | undefined;
    const one = single.subscribe(() => {
      refused = one.postpone();
    });
    single.advance(1);
    expect(refused).toBe(false);
  });

  it('postpones past the end of the period into the next one', () => {
    const clock = new MediaClock({ mode: 'manual', slots: 4 });
    const seen: number[] = [];
    // Four subscribers fill the phases; the last (phase 3, due 20 ms into each period) postpones once.
    for (let i = 0; i < 3; i++) {
      clock.subscribe(() => undefined);
    }
    let postponed = false;
    const last = clock.subscribe((t) => {
      if (!postponed) {
        postponed = true;
        last.postpone();
        return;
      }
      seen.push(t.scheduledMs);
    });
    clock.advance(3);
    expect(seen).toEqual([25, 45]);
    expect(last.phase).toBe(0);
  });

  it('shifts a phase earlier or later: one interval shorter or longer, every later one a period', () => {
    const clock = new MediaClock({ mode: 'manual', slots: 10 });
    const seen: number[] = [];
    const sub = clock.subscribe((t) => {
      seen.push(t.scheduledMs);
      if (seen.length === 2) {
        sub.shift(-3);
      } else if (seen.length === 4) {
        sub.shift(5);
      } else if (seen.length === 6) {
        // Beyond the period's phases: clamped to nine.
        sub.shift(-40);
      }
    });
    clock.advance(7);
    const intervals = seen.slice(1).map((at, i) => at - seen[i]!);
    expect(seen[0]).toBe(2);
    // Seven phases earlier in all: the 140 ms of seven periods hold an eighth tick.
    expect(intervals).toEqual([20, 14, 20, 30, 20, 2, 20]);
  });

  it('moves a phase from outside a tick, and keeps ticking in real time on the new phase', async () => {
    const clock = new MediaClock();
    const ticks: { scheduledMs: number; at: number }[] = [];
    const start = performance.now();
    const sub = clock.subscribe((t) =>
      ticks.push({ scheduledMs: t.scheduledMs, at: performance.now() - start }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    sub.shift(4);
    const movedAt = ticks.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    clock.close();
    // By the schedule: the interval across the move is 8 ms longer, every other one a period.
    const intervals = ticks.slice(1).map((t, i) => t.scheduledMs - ticks[i]!.scheduledMs);
    expect(intervals[movedAt - 1]).toBe(28);
    expect(intervals.filter((d, i) => i !== movedAt - 1 && d !== 20)).toEqual([]);
    expect(sub.phase).toBe(4);
    expect(ticks.length).toBeGreaterThan(15);
    // And in real time: none ran before its scheduled time (the clock started within a millisecond of
    // `start`), on either side of the move.
    for (const tick of ticks) {
      expect(tick.at).toBeGreaterThanOrEqual(tick.scheduledMs - 1);
    }
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

  it('reads the packets that came while the process was busy before it runs the ticks that fell due', async () => {
    // A phone's socket and the phone, on loopback.
    const socket = createSocket('udp4');
    const phone = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => phone.bind(0, '127.0.0.1', resolve));
    // Connected, the phone's send leaves at once (an address would be looked up on the next tick).
    await new Promise<void>((resolve) => phone.connect(socket.address().port, '127.0.0.1', resolve));
    let received = 0;
    socket.on('message', () => {
      received += 1;
    });
    const clock = new MediaClock();
    // What each tick found in the socket's handler so far.
    const seenByTick: number[] = [];
    clock.subscribe(() => seenByTick.push(received));
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const before = seenByTick.length;
      // The process is busy for 60 ms (a long garbage collection, say): three ticks fall due, and the
      // phone's packet arrives at the start of the stall. It sits unread in the socket until the loop is
      // free again; the ticks must not run before it is read.
      await new Promise<void>((resolve) => {
        phone.send(Buffer.alloc(172));
        const until = performance.now() + 60;
        while (performance.now() < until) {
          // Busy wait on purpose.
        }
        resolve();
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const after = seenByTick.slice(before);
      // The three ticks that fell due during the stall, and the ones after, all saw the packet.
      expect(after.length).toBeGreaterThanOrEqual(4);
      expect(after.every((count) => count === 1)).toBe(true);
      expect(received).toBe(1);
    } finally {
      clock.close();
      socket.close();
      phone.close();
    }
  });

  it('ticks each subscriber once per period at its own phase, 2 ms apart by default', async () => {
    const clock = new MediaClock();
    const seen: { index: number; scheduledMs: number; at: number }[][] = [[], [], []];
    const start = performance.now();
    for (const list of seen) {
      clock.subscribe((t) =>
        list.push({ index: t.index, scheduledMs: t.scheduledMs, at: performance.now() - start }),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    clock.close();
    const [first, second, third] = seen as [(typeof seen)[0], (typeof seen)[0], (typeof seen)[0]];
    expect(first.length).toBeGreaterThan(10);
    for (const list of [second, third]) {
      expect(Math.abs(list.length - first.length)).toBeLessThanOrEqual(1);
    }
    // The three took the first three phases: due 2, 4 and 6 ms into every period.
    expect(first.slice(0, 3).map((t) => t.scheduledMs)).toEqual([2, 22, 42]);
    expect(second.slice(0, 3).map((t) => t.scheduledMs)).toEqual([4, 24, 44]);
    expect(third.slice(0, 3).map((t) => t.scheduledMs)).toEqual([6, 26, 46]);
    expect(first.map((t) => t.index)).toEqual([...first.keys()]);
    // None ran before its time.
    for (const list of seen) {
      for (const tick of list) {
        expect(tick.at).toBeGreaterThanOrEqual(tick.scheduledMs - 1);
      }
    }
  });
});
