import { describe, expect, it } from 'vitest';
import { ConversationAudioBus, MediaClock, PhaseLock } from '../../../src/media/index.js';

describe('PhaseLock', () => {
  it('waits up to its limit for a late frame, keeps the later phase when it comes, and undoes it when not', () => {
    const lock = new PhaseLock(2, { maxPostponed: 2 });
    // Nothing missing: no wait.
    expect(lock.wait(false, 0)).toBe(0);
    // Missing: two phases of waiting, then the tick runs anyway.
    expect([lock.wait(true, 0), lock.wait(true, 0), lock.wait(true, 0)]).toEqual([1, 1, 0]);
    // It came after all: the phase stays two later.
    expect(lock.ran(false, 1)).toBe(0);
    expect(lock.stats).toMatchObject({ later: 2, gaveUp: 0 });
    // Missing for good: the two phases are given back.
    lock.wait(true, 0);
    lock.wait(true, 0);
    expect(lock.ran(true, Number.NaN)).toBe(-2);
    expect(lock.stats).toMatchObject({ later: 2, gaveUp: 1 });
    // Less than a phase behind time, a tick is on time.
    expect(lock.wait(true, 1.9)).toBe(1);
    expect(lock.ran(false, 0)).toBe(0);
    expect(lock.stats).toMatchObject({ later: 3, caughtUp: 0 });
  });

  it('lets a late tick wait for the sockets to be read, then goes back to its phase', () => {
    const lock = new PhaseLock(2, { maxPostponed: 2, phases: 10 });
    // 7 ms behind (the process was busy): the frame may be in its socket, unread. The tick waits until
    // the first phase not yet due (four phases after its own), beyond the on-time limit of two.
    expect(lock.wait(true, 7)).toBe(4);
    // The frame was there: the process was late, not the frame, so the phase goes back.
    expect(lock.ran(false, 0.5)).toBe(-4);
    expect(lock.stats).toMatchObject({ later: 0, caughtUp: 1, gaveUp: 0 });
    // Still missing once read: it may wait on, within the period, and gives the phases back after.
    expect(lock.wait(true, 3)).toBe(2);
    expect(lock.wait(true, 0)).toBe(1);
    expect(lock.ran(true, Number.NaN)).toBe(-3);
    expect(lock.stats).toMatchObject({ caughtUp: 1, gaveUp: 1 });
    // So far behind that the wait would reach the next period: the tick runs at once.
    expect(lock.wait(true, 18)).toBe(0);
  });

  it('stands down while the process is overloaded, and follows again once it has caught up', () => {
    const lock = new PhaseLock(2, { windowTicks: 2 });
    expect(lock.engage(3.9)).toBeUndefined();
    expect(lock.engaged).toBe(true);
    // Two phases (4 ms) late on average: overloaded.
    expect(lock.engage(4)).toBe(false);
    // Stood down, it still waits for a late frame, and keeps the later phase when the frame comes…
    expect(lock.wait(true, 0)).toBe(1);
    expect(lock.ran(false, 0.5)).toBe(0);
    // …but never moves earlier, however much slack the frames have.
    expect([lock.ran(false, 15), lock.ran(false, 15), lock.ran(false, 15), lock.ran(false, 15)]).toEqual([
      0, 0, 0, 0,
    ]);
    // Back under three phases is not enough (hysteresis); under one phase is.
    expect(lock.engage(2.5)).toBeUndefined();
    expect(lock.engage(1.9)).toBe(true);
    expect([lock.ran(false, 15), lock.ran(false, 15)]).toEqual([0, -3]);
    expect(lock.stats).toMatchObject({ stoodDown: 1, later: 1, earlier: 3 });
  });

  it('carries a wait under way across standing down and following again', () => {
    const lock = new PhaseLock(2);
    expect(lock.wait(true, 0)).toBe(1);
    expect(lock.engage(4)).toBe(false);
    // The frame never came: the wait made before standing down is undone all the same.
    expect(lock.wait(true, 0)).toBe(1);
    expect(lock.ran(true, Number.NaN)).toBe(-2);
    expect(lock.wait(true, 0)).toBe(1);
    expect(lock.engage(1)).toBe(true);
    // The frame came: the later phase is kept.
    expect(lock.ran(false, 0.5)).toBe(0);
    expect(lock.stats).toMatchObject({ stoodDown: 1, gaveUp: 1, later: 1 });
  });

  it('moves earlier after a window in which every live frame had slack to spare, by whole phases', () => {
    const lock = new PhaseLock(2, { marginMs: 2, windowTicks: 5, maxEarlier: 3 });
    const window = (waits: number[]): number[] => waits.map((w) => lock.ran(false, w));
    // Least wait 9 ms: 7 ms over the margin, three whole phases (the most per window).
    expect(window([12, 9, 15, 10, 11])).toEqual([0, 0, 0, 0, -3]);
    // Least wait 5 ms: one phase.
    expect(window([5, 6, 5, 7, 6])).toEqual([0, 0, 0, 0, -1]);
    // Least wait 3.9 ms: less than a phase over the margin, so it stays.
    expect(window([4, 3.9, 5, 4, 4])).toEqual([0, 0, 0, 0, 0]);
    // No live frame in the window: nothing to go by.
    expect(window([Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN])).toEqual([0, 0, 0, 0, 0]);
    expect(lock.stats).toMatchObject({ earlier: 4, lastWindowMinWaitMs: undefined });
    // A wait restarts the window: its ticks do not count toward moving earlier.
    window([9, 9, 9]);
    lock.wait(true, 0);
    lock.ran(false, 0.5);
    expect(window([9, 9, 9, 9])).toEqual([0, 0, 0, 0]);
    expect(window([9])).toEqual([-3]);
  });
});

/**
 * Keeps the process busy 12 ms at a time, for `ms` in all, as other work would: the clock's wake-ups
 * come late.
 */
async function hogFor(ms: number): Promise<void> {
  const hog = setInterval(() => {
    const until = performance.now() + 12;
    while (performance.now() < until) {
      // Busy on purpose.
    }
  }, 1);
  await new Promise((resolve) => setTimeout(resolve, ms));
  clearInterval(hog);
}

/**
 * A peer sending one frame per period at its own pace, as a bus source with a pace: frame n carries n + 1
 * in every sample (0 is silence). `time.now` is the virtual time of the test, in ms.
 */
function pacedPeer(time: { now: number }): {
  arrive(n: number, at: number): void;
  source: () => Int16Array | undefined;
  pace: { live: () => boolean; ready: () => boolean; lastWaitMs: () => number };
  waits: number[];
} {
  const queue: { at: number; pcm: Int16Array }[] = [];
  let live = false;
  let lastWait = Number.NaN;
  const waits: number[] = [];

  return {
    arrive: (n, at) => {
      queue.push({ at, pcm: new Int16Array(320).fill(n + 1) });
      live = true;
    },
    source: () => {
      const frame = queue.shift();
      lastWait = frame === undefined ? Number.NaN : time.now - frame.at;
      waits.push(lastWait);

      return frame?.pcm;
    },
    pace: { live: () => live, ready: () => queue.length > 0, lastWaitMs: () => lastWait },
    waits,
  };
}

describe('ConversationAudioBus phase lock', () => {
  /**
   * Runs a bus on a manual clock of ten 2 ms phases, phase by phase, while the peer's frame n arrives
   * `arrivalOf(n)` ms into the run (or never, for undefined). A listener records what it hears, and when.
   */
  function drive(periods: number, arrivalOf: (n: number) => number | undefined) {
    const clock = new MediaClock({ mode: 'manual', slots: 10 });
    const bus = new ConversationAudioBus({ clock });
    const time = { now: 0 };
    const peer = pacedPeer(time);
    const heard: { at: number; n: number }[] = [];
    bus.join('peer', { sampleRate: 16000, source: peer.source, pace: peer.pace });
    bus.join('listener', { sampleRate: 16000, sink: (pcm) => heard.push({ at: time.now, n: pcm[0]! }) });
    let next = 0;
    for (let phase = 0; phase < periods * 10; phase++) {
      // Phase tick k is due (k + 1) × 2 ms into the run; what arrived by then is there for it.
      time.now = (phase + 1) * 2;
      for (;;) {
        const at = arrivalOf(next);
        if (at !== undefined && at > time.now) {
          break;
        }
        if (at !== undefined) {
          peer.arrive(next, at);
        }
        next += 1;
      }
      clock.advancePhases(1);
    }

    return { bus, peer, heard };
  }

  it('moves its tick to just after the frames arrive: a few ms of wait instead of most of a period', () => {
    // Frames come 7 ms into each period; the bus first ticks 2 ms in, so each would wait 15 ms.
    const { bus, peer, heard } = drive(100, (n) => n * 20 + 7);
    // (The first tick came before the first frame.)
    expect(peer.waits.slice(0, 4)).toEqual([Number.NaN, 15, 15, 15]);
    // After three windows of half a second it ticks at 10 ms: 3 ms after the frames, 2 ms margin kept.
    expect(new Set(peer.waits.slice(-50))).toEqual(new Set([3]));
    expect(bus.phaseLock).toMatchObject({ earlier: 6, later: 0, gaveUp: 0 });
    // Nothing lost or doubled on the way: every frame was heard once, in order.
    const numbers = heard.map((h) => h.n);
    expect(numbers).toEqual([...numbers.keys()]);
    expect(numbers.length).toBeGreaterThan(95);
  });

  it('waits for a frame that is a little late rather than missing it, and keeps the later phase', () => {
    // Locked at 3 ms of wait by frame 80; frame 80 comes 5 ms late.
    const { bus, peer, heard } = drive(120, (n) => n * 20 + 7 + (n === 80 ? 5 : 0));
    const numbers = heard.map((h) => h.n);
    expect(numbers).toEqual([...numbers.keys()]);
    // The tick waited a phase for it (12 ms in, wait 0), then stays a phase later (wait 5) until a window
    // shows the slack again.
    // (Frame n is pulled on tick n + 1: the first tick came before the first frame.)
    expect(peer.waits[81]).toBe(0);
    expect(peer.waits.slice(82, 87)).toEqual([5, 5, 5, 5, 5]);
    expect(new Set(peer.waits.slice(-10))).toEqual(new Set([3]));
    expect(bus.phaseLock).toMatchObject({ later: 1, gaveUp: 0 });
    // The listener's stream: one interval a phase longer (the wait), one a phase shorter (the move back).
    const intervals = heard.slice(71).map((h, i) => h.at - heard[i + 70]!.at);
    expect(intervals.filter((d) => d !== 20).sort()).toEqual([18, 22]);
  });

  it('gives up on a frame that never comes, plays silence for it, and goes back to its phase', () => {
    const { bus, peer, heard } = drive(100, (n) => (n === 80 ? undefined : n * 20 + 7));
    const numbers = heard.map((h) => h.n);
    // Frame 80 (heard as 81) is missing: the listener heard silence in its place, all else in order.
    const gap = numbers.indexOf(0, 1);
    expect(numbers.slice(gap - 1, gap + 2)).toEqual([80, 0, 82]);
    expect(numbers.filter((_, i) => i !== gap)).toEqual(
      [...Array<number>(numbers.length).keys()].filter((n) => n !== 81),
    );
    expect(bus.phaseLock).toMatchObject({ later: 0, gaveUp: 1 });
    // That tick ran five phases (10 ms) late; the next came back on time, and the waits stayed 3 ms.
    const at = heard[gap]!.at;
    expect(at - heard[gap - 1]!.at).toBe(30);
    expect(heard[gap + 1]!.at - at).toBe(10);
    expect(new Set(peer.waits.slice(-20).filter((w) => !Number.isNaN(w)))).toEqual(new Set([3]));
  });

  it('tells a source with a pace when it follows it, on what terms, and when it stops', () => {
    const bus = new ConversationAudioBus({ clock: new MediaClock({ mode: 'manual', slots: 10 }) });
    const told: unknown[] = [];
    const pace = {
      live: () => false,
      ready: () => false,
      lastWaitMs: () => Number.NaN,
      follow: (terms: unknown) => told.push(terms),
    };
    const participant = bus.join('peer', { sampleRate: 16000, source: () => undefined, pace });
    // No slack of its own: the bus waits for its late frames. Standing delay is judged over half a second.
    expect(told).toEqual([{ marginMs: 0, windowTicks: 25 }]);
    participant.leave();
    expect(told).toEqual([{ marginMs: 0, windowTicks: 25 }, undefined]);
    // A bus without the lock does not follow.
    const unlocked = new ConversationAudioBus({ clock: new MediaClock({ mode: 'manual' }) });
    unlocked.join('peer', { sampleRate: 16000, source: () => undefined, pace });
    expect(told).toHaveLength(2);
  });

  it('tells its sources when it stands down for an overloaded process, and when it follows again', async () => {
    const clock = new MediaClock();
    const bus = new ConversationAudioBus({ clock });
    const told: string[] = [];
    const pace = {
      live: () => false,
      ready: () => false,
      lastWaitMs: () => Number.NaN,
      follow: (terms: unknown) => told.push(terms === undefined ? 'unfollowed' : 'followed'),
    };
    bus.join('peer', { sampleRate: 16000, source: () => undefined, pace });
    // Other work hogs the process for a while: the clock's wake-ups come late.
    await hogFor(1500);
    // (A machine busy with other work may make it stand down more than once; it ends stood down.)
    expect(told[0]).toBe('followed');
    expect(told.at(-1)).toBe('unfollowed');
    expect(bus.phaseLock!.stoodDown).toBeGreaterThanOrEqual(1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    clock.close();
    expect(told.at(-1)).toBe('followed');
    expect(told.filter((t) => t === 'unfollowed')).toHaveLength(bus.phaseLock!.stoodDown);
  });

  it('still waits for a late frame while it stands down for an overloaded process', async () => {
    const clock = new MediaClock();
    const bus = new ConversationAudioBus({ clock });
    let followed = false;
    // How often the bus asked whether this tick's frame had come since the last pull, and the pulls it
    // made, while its lock stood down, after asking more than once (after waiting for the frame).
    let asked = 0;
    let waitedWhileStoodDown = 0;
    const pace = {
      live: () => true,
      // Each frame is late at the tick's first look and there at the next: it comes a little late.
      ready: () => ++asked > 1,
      lastWaitMs: () => 1,
      follow: (terms: unknown) => {
        followed = terms !== undefined;
      },
    };
    const source = (): Int16Array => {
      if (asked > 1 && !followed) {
        waitedWhileStoodDown += 1;
      }
      asked = 0;

      return new Int16Array(320);
    };
    bus.join('peer', { sampleRate: 16000, source, pace });
    // Other work hogs the process for a while: the clock's wake-ups come late.
    await hogFor(1500);
    clock.close();
    expect(bus.phaseLock!.stoodDown).toBeGreaterThanOrEqual(1);
    expect(waitedWhileStoodDown).toBeGreaterThan(0);
  });

  it('does nothing with a single-phase clock or when turned off', () => {
    for (const bus of [
      new ConversationAudioBus({ clock: new MediaClock({ mode: 'manual' }) }),
      new ConversationAudioBus({ clock: new MediaClock({ mode: 'manual', slots: 10 }), phaseLock: false }),
    ]) {
      expect(bus.phaseLock).toBeUndefined();
    }
  });
});
