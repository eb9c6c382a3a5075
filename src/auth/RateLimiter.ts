/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Tokens added to each key's bucket per second: the sustained request rate. Must be positive. */
  readonly ratePerSecond: number;
  /** Bucket capacity: how many requests may arrive at once after a quiet spell. Must be at least 1. */
  readonly burst: number;
  /**
   * Most keys tracked at once. Past this, the least recently used keys are forgotten first; a forgotten key
   * starts again with a full bucket, so under a flood of distinct keys the cap trades strictness for memory.
   * @defaultValue 10000
   */
  readonly maxKeys?: number;
  /**
   * A monotonic clock in milliseconds; injectable for tests.
   * @defaultValue performance.now
   */
  readonly now?: () => number;
}

/** The outcome of {@link RateLimiter.take}. */
export type RateLimitDecision =
  | { readonly allowed: true }
  /** Refused; `retryAfterSeconds` (at least 1) is a suitable `Retry-After` value. */
  | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
}

const ALLOWED: RateLimitDecision = Object.freeze({ allowed: true });

/**
 * An in-memory token bucket per key (a token id, an application id, an address). Each key's bucket holds up
 * to `burst` tokens and refills at `ratePerSecond`; a request takes one. It is per process: behind several
 * API processes each enforces its own share.
 *
 * Memory stays bounded: buckets live in a Map kept in least-recently-used order. A bucket idle long enough to
 * have refilled completely is indistinguishable from a new one, so such buckets are dropped from the cold end
 * on every call (amortised O(1)), and `maxKeys` caps the rest.
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  // Milliseconds after which an untouched bucket is full again.
  readonly #idleMs: number;
  readonly #buckets = new Map<string, Bucket>();

  /** @throws TypeError on a non-positive rate, a burst below 1 or a maxKeys below 1 */
  constructor(options: RateLimiterOptions) {
    const { ratePerSecond, burst, maxKeys = 10_000 } = options;
    if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
      throw new TypeError('ratePerSecond must be a positive number');
    }
    if (!Number.isFinite(burst) || burst < 1) {
      throw new TypeError('burst must be a number of at least 1');
    }
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new TypeError('maxKeys must be a positive integer');
    }
    this.#rate = ratePerSecond;
    this.#burst = burst;
    this.#maxKeys = maxKeys;
    this.#now = options.now ?? (() => performance.now());
    this.#idleMs = (burst / ratePerSecond) * 1000;
  }

  /** How many keys currently hold a bucket (for tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes `cost` tokens from `key`'s bucket if it has them.
   *
   * @param key - what is limited, such as a token id
   * @param cost - tokens this request costs; at most `burst`
   * @throws TypeError when `cost` is not positive or exceeds `burst` (such a request could never pass)
   */
  take(key: string, cost = 1): RateLimitDecision {
    if (!Number.isFinite(cost) || cost <= 0 || cost > this.#burst) {
      throw new TypeError('cost must be positive and no larger than burst');
    }
    const now = this.#now();
    this.#evictIdle(now);

    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, updatedAt: now };
    // A clock that steps backwards must not mint tokens or wedge the bucket.
    const elapsedMs = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.#burst, bucket.tokens + (elapsedMs / 1000) * this.#rate);
    bucket.updatedAt = now;
    // Re-insert, so that the Map's iteration order stays least recently used first.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > this.#maxKeys) {
      const coldest = this.#buckets.keys().next();
      if (coldest.done !== true) {
        this.#buckets.delete(coldest.value);
      }
    }

    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;

      return ALLOWED;
    }
    const waitSeconds = (cost - bucket.tokens) / this.#rate;

    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds)) };
  }

  /** Forgets every key (for tests, or when limits are reconfigured). */
  clear(): void {
    this.#buckets.clear();
  }

  /** Drops buckets, coldest first, that have been idle long enough to be full again. */
  #evictIdle(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (now - bucket.updatedAt < this.#idleMs) {
        return;
      }
      this.#buckets.delete(key);
    }
  }
}
