import { describe, expect, it } from 'vitest';
import { JitterBuffer } from '../../../src/media/playout/JitterBuffer.js';

const p = (sequenceNumber: number): { sequenceNumber: number } => ({ sequenceNumber });
const seqs = (out: ({ sequenceNumber: number } | undefined)[]): (number | null)[] =>
  out.map((x) => (x === undefined ? null : x.sequenceNumber));

describe('JitterBuffer', () => {
  it('prebuffers the target delay, then plays in order', () => {
    const jb = new JitterBuffer({ initialDelayMs: 40 });
    expect(jb.push(p(10))).toBe('queued');
    expect(jb.pop()).toBeUndefined();
    jb.push(p(11));
    expect(jb.stats.bufferedMs).toBe(40);
    const out = [jb.pop(), jb.pop()];
    expect(seqs(out)).toEqual([10, 11]);
    expect(jb.stats.played).toBe(2);
  });

  it('reorders packets and reports gaps as missing', () => {
    const jb = new JitterBuffer({ initialDelayMs: 60 });
    for (const seq of [3, 1, 2, 5, 6]) {
      jb.push(p(seq));
    }
    const out = [jb.pop(), jb.pop(), jb.pop(), jb.pop(), jb.pop(), jb.pop()];
    expect(seqs(out)).toEqual([1, 2, 3, null, 5, 6]);
    expect(jb.stats.lost).toBe(1);
  });

  it('drops duplicates and too-late packets, and counts them', () => {
    const jb = new JitterBuffer({ initialDelayMs: 40 });
    jb.push(p(100));
    jb.push(p(101));
    expect(jb.push(p(101))).toBe('duplicate');
    jb.pop();
    jb.pop();
    expect(jb.push(p(100))).toBe('late');
    expect(jb.push(p(99))).toBe('late');
    expect(jb.stats).toMatchObject({ duplicates: 1, late: 2, played: 2 });
  });

  it('handles sequence wrap-around', () => {
    const jb = new JitterBuffer({ initialDelayMs: 40 });
    for (const seq of [65534, 0, 65535, 1]) {
      jb.push(p(seq));
    }
    expect(seqs([jb.pop(), jb.pop(), jb.pop(), jb.pop()])).toEqual([65534, 65535, 0, 1]);
  });

  it('goes back to prebuffering on underrun and raises its target, up to the maximum', () => {
    const jb = new JitterBuffer({ initialDelayMs: 20, maxDelayMs: 60 });
    let seq = 0;
    for (let round = 0; round < 5; round++) {
      jb.push(p(seq++));
      while (
        jb.pop() === undefined &&
        jb.stats.bufferedMs > 0 &&
        jb.stats.bufferedMs < jb.stats.targetDelayMs
      ) {
        jb.push(p(seq++));
      }
      while (jb.size > 0) {
        jb.pop();
      }
      jb.pop();
    }
    expect(jb.stats.underruns).toBe(5);
    expect(jb.stats.targetDelayMs).toBe(60);
    expect(jb.stats.late).toBe(0);
  });

  it('adapts its delay back down after a stable stretch, discarding excess', () => {
    const jb = new JitterBuffer({ initialDelayMs: 100, minDelayMs: 20, shrinkAfterTicks: 10 });
    let seq = 0;
    for (let i = 0; i < 5; i++) {
      jb.push(p(seq++));
    }
    for (let tick = 0; tick < 400; tick++) {
      jb.push(p(seq++));
      jb.pop();
    }
    const stats = jb.stats;
    expect(stats.targetDelayMs).toBe(20);
    expect(stats.bufferedMs).toBeLessThanOrEqual(60);
    expect(stats.discarded).toBeGreaterThan(0);
    expect(stats.underruns).toBe(0);
    expect(stats.played + stats.discarded + jb.size).toBe(405);
  });

  describe('standing delay', () => {
    /**
     * A stream of one packet per 20 ms arriving `phaseMs` after each tick, popped every tick; the owner sheds
     * when the buffer asks. Returns the waits (pop time − arrival) of the packets played, in order.
     */
    function run(
      jb: JitterBuffer<{ sequenceNumber: number }>,
      options: { phaseMs: number; ticks: number; lateAt?: number; stall?: { from: number; ms: number } },
    ): { waits: number[]; played: number[] } {
      const arrivals = new Map<number, number>();
      const waits: number[] = [];
      const played: number[] = [];
      // Packet n arrives phaseMs after tick n; the late one, 50 ms after that, behind later packets.
      // A stall: the sender sends nothing for `ms` from packet `from` on, then catches up in a burst.
      const stallStart = options.stall === undefined ? Infinity : options.stall.from * 20 + options.phaseMs;
      const stallEnd = stallStart + (options.stall?.ms ?? 0);
      const arrivalOf = (n: number): number => {
        const sent = n * 20 + options.phaseMs;
        const due = sent >= stallStart && sent < stallEnd ? stallEnd : sent;

        return due + (options.lateAt === n ? 50 : 0);
      };
      const pending = Array.from({ length: options.ticks + 1 }, (_, n) => n);
      for (let tick = 1; tick <= options.ticks; tick++) {
        const now = tick * 20;
        const due = pending.filter((n) => arrivalOf(n) <= now).sort((a, b) => arrivalOf(a) - arrivalOf(b));
        for (const n of due) {
          pending.splice(pending.indexOf(n), 1);
          arrivals.set(n, arrivalOf(n));
          jb.push(p(n), arrivalOf(n));
        }
        let packet = jb.pop(now);
        if (packet !== undefined && jb.shedDue) {
          packet = jb.shed(now) ?? packet;
        }
        if (packet !== undefined) {
          played.push(packet.sequenceNumber);
          waits.push(now - arrivals.get(packet.sequenceNumber)!);
        }
      }

      return { waits, played };
    }

    it('sheds a frame every packet waited for without need, and no more', () => {
      const jb = new JitterBuffer<{ sequenceNumber: number }>({
        initialDelayMs: 40,
        minDelayMs: 20,
        shrinkAfterTicks: 10,
      });
      const { waits, played } = run(jb, { phaseMs: 5, ticks: 60 });
      // Two frames prebuffered: 35 ms per packet at first; one shed after a window, 15 ms from then on.
      expect(waits.slice(0, 5)).toEqual([35, 35, 35, 35, 35]);
      expect(waits.slice(-20)).toEqual(Array<number>(20).fill(15));
      expect(jb.stats).toMatchObject({ shed: 1, discarded: 1, underruns: 0, lost: 0, targetDelayMs: 20 });
      // The stream plays on in order, with only the shed packet missing.
      const skipped = played.findIndex((seq, i) => i > 0 && seq !== played[i - 1]! + 1);
      expect(skipped).toBeGreaterThan(0);
      expect(played.filter((seq, i) => i > 0 && seq !== played[i - 1]! + 1)).toHaveLength(1);
    });

    it('keeps a frame whose margin is too thin to give up', () => {
      const options = { initialDelayMs: 40, minDelayMs: 20, shrinkAfterTicks: 10 };
      // Behind a spare frame, a packet arriving 8 ms after the tick waits 32 ms: one frame plus 12 ms, more
      // than the default 10 ms margin, so the spare frame goes.
      const roomy = new JitterBuffer<{ sequenceNumber: number }>(options);
      expect(new Set(run(roomy, { phaseMs: 8, ticks: 60 }).waits)).toEqual(new Set([32, 12]));
      expect(roomy.stats.shed).toBe(1);
      // Arriving 12 ms after the tick it waits 28 ms: giving up the frame would leave 8 ms, under the margin.
      const thin = new JitterBuffer<{ sequenceNumber: number }>(options);
      expect(new Set(run(thin, { phaseMs: 12, ticks: 60 }).waits)).toEqual(new Set([28]));
      expect(thin.shedDue).toBe(false);
      expect(thin.stats.shed).toBe(0);
      // With a 4 ms margin, the same stream gives it up.
      const bold = new JitterBuffer<{ sequenceNumber: number }>({ ...options, shedMarginMs: 4 });
      expect(new Set(run(bold, { phaseMs: 12, ticks: 60 }).waits)).toEqual(new Set([28, 8]));
    });

    it('followed by a bus, judges standing delay over the bus window with its margin only', () => {
      const options = { initialDelayMs: 40, minDelayMs: 20, shrinkAfterTicks: 50 };
      // 12 ms after the tick: 28 ms behind a spare frame, 8 ms of slack without it. Alone, the buffer
      // keeps the frame (its margin is 10 ms); followed (the bus waits for late packets, 2 ms margin, 10
      // ticks a window) it sheds it within the bus's window.
      const alone = new JitterBuffer<{ sequenceNumber: number }>(options);
      expect(new Set(run(alone, { phaseMs: 12, ticks: 30 }).waits)).toEqual(new Set([28]));
      const followed = new JitterBuffer<{ sequenceNumber: number }>(options);
      followed.follow({ marginMs: 2, windowTicks: 10 });
      const { waits } = run(followed, { phaseMs: 12, ticks: 30 });
      // The window closes on the tenth packet, which is shed at once: the eleventh plays in its place.
      expect(waits.slice(0, 9)).toEqual(Array<number>(9).fill(28));
      expect(waits.slice(-10)).toEqual(Array<number>(10).fill(8));
      expect(followed.stats.shed).toBe(1);
      expect(followed.lastWaitMs).toBe(8);
      expect(followed.playing && followed.nextReady).toBe(false);
      // Followed, then no longer: its own rule again, and the spare frame stays.
      const left = new JitterBuffer<{ sequenceNumber: number }>(options);
      left.follow({ marginMs: 2, windowTicks: 10 });
      left.follow(undefined);
      expect(new Set(run(left, { phaseMs: 12, ticks: 30 }).waits)).toEqual(new Set([28]));
    });

    it('followed by a bus, sheds within a few tenths of a second every frame a stalled sender left behind', () => {
      const options = { initialDelayMs: 20, minDelayMs: 20, shrinkAfterTicks: 50 };
      // Packets arrive 2 ms before their tick, as a bus locked to them has it. The sender stalls for
      // 60 ms at packet 30, then sends the three packets it owes at once: the buffer runs dry, then
      // holds three frames of standing delay.
      const followed = new JitterBuffer<{ sequenceNumber: number }>(options);
      followed.follow({ marginMs: 0, windowTicks: 25 });
      const { waits, played } = run(followed, { phaseMs: 18, ticks: 100, stall: { from: 30, ms: 60 } });
      expect(followed.stats.underruns).toBe(1);
      // Short windows after the underrun find the standing frames, and they all go: 2 ms waits again
      // within 25 ticks of the burst (a 25-tick window would only then find the first of them).
      const recovered = played.indexOf(55);
      expect(recovered).toBeGreaterThan(0);
      expect(waits.slice(recovered)).toEqual(Array<number>(waits.length - recovered).fill(2));
      expect(followed.stats.shed).toBe(3);
      // Unfollowed, the buffer keeps its own slower rule: delay still stands 25 ticks after the burst.
      const alone = new JitterBuffer<{ sequenceNumber: number }>(options);
      const unfollowed = run(alone, { phaseMs: 18, ticks: 100, stall: { from: 30, ms: 60 } });
      expect(unfollowed.waits[unfollowed.played.indexOf(55)]).toBeGreaterThan(2);
    });

    it('sheds nothing in a window that saw a packet come late', () => {
      const jb = new JitterBuffer<{ sequenceNumber: number }>({
        initialDelayMs: 40,
        minDelayMs: 20,
        shrinkAfterTicks: 30,
      });
      // The 20th packet is 50 ms late: it arrives after its turn (35 ms after its time) has passed.
      run(jb, { phaseMs: 5, ticks: 45, lateAt: 20 });
      expect(jb.stats).toMatchObject({ shed: 0, late: 1 });
      // The same stream with every packet on time sheds its spare frame within those ticks.
      const steady = new JitterBuffer<{ sequenceNumber: number }>({
        initialDelayMs: 40,
        minDelayMs: 20,
        shrinkAfterTicks: 30,
      });
      run(steady, { phaseMs: 5, ticks: 45 });
      expect(steady.stats.shed).toBe(1);
    });

    it('measures nothing when packets come without times', () => {
      const jb = new JitterBuffer({ initialDelayMs: 60, minDelayMs: 20, shrinkAfterTicks: 5 });
      let seq = 0;
      for (let i = 0; i < 3; i++) {
        jb.push(p(seq++));
      }
      for (let tick = 0; tick < 40; tick++) {
        jb.push(p(seq++));
        jb.pop();
        expect(jb.shedDue).toBe(false);
      }
      expect(jb.shed()).toBeUndefined();
    });
  });

  it('treats a huge jump as a new stream', () => {
    const jb = new JitterBuffer({ initialDelayMs: 20 });
    jb.push(p(10));
    jb.pop();
    expect(jb.push(p(30000))).toBe('reset');
    expect(jb.pop()?.sequenceNumber).toBe(30000);
    expect(jb.stats.resets).toBe(1);
  });

  it('rejects inconsistent bounds', () => {
    expect(() => new JitterBuffer({ minDelayMs: 100, maxDelayMs: 20 })).toThrow(/inconsistent/);
  });
});
