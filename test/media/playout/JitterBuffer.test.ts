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
