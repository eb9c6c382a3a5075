import { EventEmitter } from 'node:events';

/**
 * An event emitter whose event names and argument tuples are checked by the compiler. Listeners are
 * isolated: one that throws does not stop the others nor reach the emitter's own code; its error goes to
 * the `onListenerError` hook (by default it is re-thrown on a later tick so that it is not lost).
 */
export class TypedEmitter<Events extends Record<string, unknown[]>> {
  readonly #ee = new EventEmitter();

  /** Called with errors thrown by listeners. */
  onListenerError: (error: unknown, event: string) => void = (error) => {
    setImmediate(() => {
      throw error;
    });
  };

  /** Adds a listener. */
  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#ee.on(event, listener as (...args: unknown[]) => void);

    return this;
  }

  /** Adds a listener called at most once. */
  once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#ee.once(event, listener as (...args: unknown[]) => void);

    return this;
  }

  /** Removes a listener. */
  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): this {
    this.#ee.off(event, listener as (...args: unknown[]) => void);

    return this;
  }

  /** Number of listeners for `event`. */
  listenerCount<K extends keyof Events & string>(event: K): number {
    return this.#ee.listenerCount(event);
  }

  /** Removes every listener. */
  removeAllListeners(): void {
    this.#ee.removeAllListeners();
  }

  /** Calls each listener of `event` in turn, isolating their errors; returns whether there was any. */
  protected safeEmit<K extends keyof Events & string>(event: K, ...args: Events[K]): boolean {
    const listeners = this.#ee.rawListeners(event) as ((...a: unknown[]) => void)[];
    for (const listener of listeners) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }

    return listeners.length > 0;
  }
}
