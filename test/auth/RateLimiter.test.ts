import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/auth/index.js';

/** A hand-driven clock in milliseconds. */
function manualClock(): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let t = 1_000_000;

  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

describe('RateLimiter', () => {
  it('allows a burst, then refuses with a Retry-After, then refills at the rate', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 3, now: clock.now });
    expect([1, 2, 3].map(() => limiter.take('tok').allowed)).toEqual([true, true, true]);
    expect(limiter.take('tok')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.advance(499);
    expect(limiter.take('tok').allowed).toBe(false);
    clock.advance(1);
    expect(limiter.take('tok').allowed).toBe(true);
    expect(limiter.take('tok').allowed).toBe(false);
    // Refill never exceeds the burst.
    clock.advance(60_000);
    expect([1, 2, 3, 4].map(() => limiter.take('tok').allowed)).toEqual([true, true, true, false]);
  });

  it('computes Retry-After from the missing tokens, rounded up, at least 1', () => {
    const clock = manualClock();
    const slow = new RateLimiter({ ratePerSecond: 0.1, burst: 1, now: clock.now });
    expect(slow.take('k').allowed).toBe(true);
    expect(slow.take('k')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    clock.advance(2500);
    expect(slow.take('k')).toEqual({ allowed: false, retryAfterSeconds: 8 });
    const costly = new RateLimiter({ ratePerSecond: 1, burst: 5, now: clock.now });
    expect(costly.take('k', 5).allowed).toBe(true);
    expect(costly.take('k', 3)).toEqual({ allowed: false, retryAfterSeconds: 3 });
    expect(() => costly.take('k', 6)).toThrow(TypeError);
    expect(() => costly.take('k', 0)).toThrow(TypeError);
  });

  it('keeps keys independent', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, now: clock.now });
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('forgets keys idle long enough to be full again, so memory follows active keys only', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 20, now: clock.now });
    for (let i = 0; i < 1000; i++) {
      limiter.take(`key-${i}`);
    }
    expect(limiter.size).toBe(1000);
    // 20 tokens at 10 per second refill in 2 s; after that every old bucket is as good as new.
    clock.advance(2000);
    limiter.take('fresh');
    expect(limiter.size).toBe(1);
  });

  it('keeps a recently used key while evicting idle ones', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 2, now: clock.now });
    limiter.take('old');
    limiter.take('busy');
    limiter.take('busy');
    clock.advance(1500);
    limiter.take('busy');
    clock.advance(600);
    // 'old' has been idle 2.1 s (> 2 s to refill) and goes; 'busy' was used 0.6 s ago and keeps its 1.1 tokens.
    expect(limiter.take('other').allowed).toBe(true);
    expect(limiter.size).toBe(2);
    expect([limiter.take('busy').allowed, limiter.take('busy').allowed]).toEqual([true, false]);
  });

  it('caps the number of keys, evicting the least recently used', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 3, now: clock.now });
    for (const key of ['a', 'b', 'c']) {
      expect(limiter.take(key).allowed).toBe(true);
    }
    // Touch 'a' so that 'b' is the coldest, then add a fourth key.
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('d').allowed).toBe(true);
    expect(limiter.size).toBe(3);
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('c').allowed).toBe(false);
    // 'b' was forgotten, so it starts again with a full bucket.
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('survives a clock that steps backwards without minting tokens', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, now: clock.now });
    expect(limiter.take('k').allowed).toBe(true);
    clock.set(0);
    expect(limiter.take('k').allowed).toBe(false);
    clock.advance(1000);
    expect(limiter.take('k').allowed).toBe(true);
  });

  it('refuses nonsense options', () => {
    expect(() => new RateLimiter({ ratePerSecond: 0, burst: 1 })).toThrow(TypeError);
    expect(() => new RateLimiter({ ratePerSecond: 1, burst: 0.5 })).toThrow(TypeError);
    expect(() => new RateLimiter({ ratePerSecond: 1, burst: 1, maxKeys: 0 })).toThrow(TypeError);
    expect(() => new RateLimiter({ ratePerSecond: Number.NaN, burst: 1 })).toThrow(TypeError);
  });

  it('uses a real monotonic clock by default', () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 2 });
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k').allowed).toBe(false);
  });
});
