import { EventEmitter } from 'node:events';

/** Maps each event name to the tuple of arguments its listeners receive. */
export type EventMap = Record<string, unknown[]>;

/**
 * An EventEmitter whose event names and listener arguments are checked against `Events`.
 *
 * `safeEmit()` isolates the emitter from its listeners: a listener that throws is reported through the
 * `listenererror` event (or swallowed if nobody listens for it) instead of unwinding into media code that
 * runs on the shared clock, where one bad listener must not stall every call.
 */
export class EnhancedEventEmitter<Events extends EventMap> {
  readonly #emitter = new EventEmitter();

  /** Creates an emitter with no listener limit warnings (many legs may watch one clock or session). */
  constructor() {
    this.#emitter.setMaxListeners(Infinity);
  }

  /** Adds a listener for `event`. */
  on<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Adds a listener that runs at most once. */
  once<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Removes a listener previously added with `on` or `once`. */
  off<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Removes every listener, or every listener of one event. */
  removeAllListeners<E extends keyof Events & string>(event?: E): this {
    if (event === undefined) {
      this.#emitter.removeAllListeners();
    } else {
      this.#emitter.removeAllListeners(event);
    }
    return this;
  }

  /** Number of listeners registered for `event`. */
  listenerCount<E extends keyof Events & string>(event: E): number {
    return this.#emitter.listenerCount(event);
  }

  /**
   * Emits `event`; returns whether anybody listened. A throwing listener never propagates: its error is
   * re-emitted as `listenererror` with the event name.
   */
  safeEmit<E extends keyof Events & string>(event: E, ...args: Events[E]): boolean {
    try {
      return this.#emitter.emit(event, ...args);
    } catch (error) {
      if (event !== 'listenererror' && this.#emitter.listenerCount('listenererror') > 0) {
        try {
          this.#emitter.emit('listenererror', event, error);
        } catch {
          // A throwing error listener has nowhere left to report to.
        }
      }
      return true;
    }
  }
}
