import { TypedEmitter } from '../TypedEmitter.js';
import { type TransactionState, type Timers } from './TransactionTypes.js';

/**
 * @internal State, named timers and termination shared by the four transaction kinds. Termination is
 * idempotent: it stops every timer, emits `terminated` once and tells the layer to forget the transaction.
 */
export abstract class TransactionBase<
  Events extends Record<string, unknown[]> & { terminated: [] },
> extends TypedEmitter<Events> {
  /** Transaction key. */
  readonly id: string;
  protected readonly timers: Timers;
  /** True on TCP: no retransmissions, and the wait timers are zero. */
  protected readonly reliable: boolean;
  #state: TransactionState;
  readonly #running = new Map<string, NodeJS.Timeout>();
  readonly #onTerminated: () => void;

  protected constructor(
    id: string,
    initial: TransactionState,
    timers: Timers,
    reliable: boolean,
    onTerminated: () => void,
  ) {
    super();
    this.id = id;
    this.#state = initial;
    this.timers = timers;
    this.reliable = reliable;
    this.#onTerminated = onTerminated;
  }

  /** Current state. */
  get state(): TransactionState {
    return this.#state;
  }

  protected setState(state: TransactionState): void {
    this.#state = state;
  }

  /** Starts (or restarts) the timer `name`. */
  protected startTimer(name: string, ms: number, fire: () => void): void {
    this.stopTimer(name);
    const handle = setTimeout(() => {
      this.#running.delete(name);
      if (this.#state !== 'terminated') {
        fire();
      }
    }, ms);
    this.#running.set(name, handle);
  }

  /** Stops the timer `name` if it runs. */
  protected stopTimer(name: string): void {
    const handle = this.#running.get(name);
    if (handle !== undefined) {
      clearTimeout(handle);
      this.#running.delete(name);
    }
  }

  /** Enters a state whose wait timer may be zero (reliable transports end at once). */
  protected waitThenTerminate(state: TransactionState, timer: string, ms: number): void {
    this.setState(state);
    if (ms <= 0) {
      this.terminate();
    } else {
      this.startTimer(timer, ms, () => {
        this.terminate();
      });
    }
  }

  /** Ends the transaction; idempotent. */
  terminate(): void {
    if (this.#state === 'terminated') {
      return;
    }
    this.#state = 'terminated';
    for (const handle of this.#running.values()) {
      clearTimeout(handle);
    }
    this.#running.clear();
    this.#onTerminated();
    this.safeEmit('terminated', ...([] as unknown as Events['terminated']));
  }
}
