/** Why a call was refused by a {@link CallLimiter}. */
export type LimitRefusal = 'max-calls' | 'cps';

/**
 * Per-trunk call admission: at most `maxCalls` at once and `cps` new calls per second (a token bucket
 * that holds one second's worth). Both refusals are answered 503; the rate refusal adds Retry-After.
 */
export class CallLimiter {
  readonly #maxCalls: number;
  readonly #cps: number;
  readonly #now: () => number;
  #active = 0;
  #tokens: number;
  #refilled: number;

  /** @param limits - zero or less disables a limit; @param now - clock for tests */
  constructor(limits: { maxCalls: number; cps: number }, now: () => number = Date.now) {
    this.#maxCalls = limits.maxCalls;
    this.#cps = limits.cps;
    this.#now = now;
    this.#tokens = limits.cps;
    this.#refilled = now();
  }

  /** Calls up now. */
  get active(): number {
    return this.#active;
  }

  /** Takes a slot for a new call, or says why not. Every success must be paired with {@link CallLimiter.release}. */
  tryAcquire(): LimitRefusal | null {
    if (this.#maxCalls > 0 && this.#active >= this.#maxCalls) {
      return 'max-calls';
    }
    if (this.#cps > 0) {
      const now = this.#now();
      this.#tokens = Math.min(this.#cps, this.#tokens + ((now - this.#refilled) / 1000) * this.#cps);
      this.#refilled = now;
      if (this.#tokens < 1) {
        return 'cps';
      }
      this.#tokens -= 1;
    }
    this.#active++;

    return null;
  }

  /** Gives a slot back when a call ends. */
  release(): void {
    this.#active = Math.max(0, this.#active - 1);
  }
}
