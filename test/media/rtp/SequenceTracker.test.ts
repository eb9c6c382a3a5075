import { describe, expect, it } from 'vitest';
import { SequenceTracker } from '../../../src/media/rtp/SequenceTracker.js';

describe('SequenceTracker', () => {
  it('needs two sequential packets before counting, then counts in-order packets', () => {
    const t = new SequenceTracker({ clockRate: 8000 });
    expect(t.update(100, 0, 0)).toBe('probation');
    expect(t.update(101, 160, 20)).toBe('valid');
    expect(t.update(102, 320, 40)).toBe('valid');
    expect(t.received).toBe(2);
    expect(t.expected).toBe(2);
    expect(t.lost).toBe(0);
    expect(t.extendedHighestSequence).toBe(102);
  });

  it('restarts probation when the first packets are not sequential', () => {
    const t = new SequenceTracker({ clockRate: 8000 });
    expect(t.update(10, 0, 0)).toBe('probation');
    expect(t.update(50, 0, 0)).toBe('probation');
    expect(t.update(51, 0, 0)).toBe('valid');
    expect(t.extendedHighestSequence).toBe(51);
  });

  it('counts cycles across the 16-bit wrap-around', () => {
    const t = new SequenceTracker({ clockRate: 8000, minSequential: 1 });
    for (let i = 0; i < 20; i++) {
      expect(t.update((65530 + i) % 65536, i * 160, i * 20)).toBe('valid');
    }
    expect(t.cycles).toBe(1);
    expect(t.extendedHighestSequence).toBe(65536 + 13);
    expect(t.expected).toBe(20);
    expect(t.lost).toBe(0);
  });

  it('computes cumulative loss and the loss fraction per report interval', () => {
    const t = new SequenceTracker({ clockRate: 8000, minSequential: 1 });
    // Receive 0..99 except every fourth packet: 25 lost out of 100 expected.
    for (let seq = 0; seq < 100; seq++) {
      if (seq % 4 !== 3) {
        t.update(seq, seq * 160, seq * 20);
      }
    }
    t.update(100, 100 * 160, 100 * 20);
    const first = t.reportBlock(0xabc);
    expect(first.ssrc).toBe(0xabc);
    expect(first.cumulativeLost).toBe(25);
    expect(first.fractionLost).toBe(Math.floor((25 * 256) / 101));
    expect(first.highestSequence).toBe(100);
    // A clean second interval reports no fresh loss but keeps the cumulative figure.
    for (let seq = 101; seq < 151; seq++) {
      t.update(seq, seq * 160, seq * 20);
    }
    const second = t.reportBlock(0xabc, 0x1234, 0x10000);
    expect(second.fractionLost).toBe(0);
    expect(second.cumulativeLost).toBe(25);
    expect(second.lastSenderReport).toBe(0x1234);
    expect(second.delaySinceLastSenderReport).toBe(0x10000);
  });

  it('treats reordered packets as late without moving the highest sequence', () => {
    const t = new SequenceTracker({ clockRate: 8000, minSequential: 1 });
    t.update(1, 0, 0);
    t.update(3, 320, 40);
    expect(t.update(2, 160, 41)).toBe('late');
    expect(t.extendedHighestSequence).toBe(3);
    expect(t.lost).toBe(0);
    // A duplicate makes loss negative, as RFC 3550 describes.
    expect(t.update(3, 320, 42)).toBe('late');
    expect(t.lost).toBe(-1);
  });

  it('detects a sender restart after two sequential packets far away', () => {
    const t = new SequenceTracker({ clockRate: 8000, minSequential: 1 });
    t.update(1000, 0, 0);
    t.update(1001, 160, 20);
    expect(t.update(30000, 0, 40)).toBe('bad');
    expect(t.extendedHighestSequence).toBe(1001);
    expect(t.update(30001, 160, 60)).toBe('restarted');
    expect(t.extendedHighestSequence).toBe(30001);
    expect(t.received).toBe(1);
  });

  it('reports zero jitter for perfectly paced packets and converges for alternating delay', () => {
    const steady = new SequenceTracker({ clockRate: 8000, minSequential: 1 });
    for (let i = 0; i < 100; i++) {
      steady.update(i, i * 160, 1000 + i * 20);
    }
    expect(steady.jitter).toBe(0);

    const jittery = new SequenceTracker({ clockRate: 8000, minSequential: 1 });
    for (let i = 0; i < 500; i++) {
      // Every other packet arrives 5 ms late: |D| is 40 timestamp units for each pair.
      jittery.update(i, i * 160, i * 20 + (i % 2 === 0 ? 0 : 5));
    }
    expect(jittery.jitter).toBeGreaterThanOrEqual(39);
    expect(jittery.jitter).toBeLessThanOrEqual(40);
  });

  it('handles RTP timestamp wrap-around in jitter', () => {
    const t = new SequenceTracker({ clockRate: 8000, minSequential: 1 });
    for (let i = 0; i < 50; i++) {
      t.update(i, (0xffffff00 + i * 160) % 0x100000000, i * 20);
    }
    expect(t.jitter).toBe(0);
  });
});
