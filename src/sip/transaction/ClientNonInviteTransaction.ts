import { SipTransactionError } from '../errors.js';
import { type SipMessage, type SipRequest, type SipResponse } from '../message/SipMessage.js';
import { TransactionBase } from './TransactionBase.js';
import { type ClientTransactionEvents, type Timers } from './TransactionTypes.js';

/** @internal How a client transaction reaches the network. */
export interface ClientIo {
  send: (message: SipMessage) => Promise<void>;
  onTerminated: () => void;
  onTimeout: () => void;
}

/**
 * The non-INVITE client transaction (RFC 3261 §17.1.2, figure 6):
 *
 * ```
 *  Trying --1xx--> Proceeding --200-699--> Completed --Timer K--> Terminated
 *    |  \__________________________________/^
 *    |            200-699                     Timer E retransmits (T1, doubling to T2; T2 once Proceeding)
 *    +--Timer F or transport error--> Terminated (408 to the TU)
 * ```
 */
export class ClientNonInviteTransaction extends TransactionBase<ClientTransactionEvents> {
  /** The request. */
  readonly request: SipRequest;
  readonly #io: ClientIo;
  #interval: number;
  #retransmissions = 0;

  /** @internal Created by the transaction layer. */
  constructor(id: string, request: SipRequest, timers: Timers, reliable: boolean, io: ClientIo) {
    super(id, 'trying', timers, reliable, io.onTerminated);
    this.request = request;
    this.#io = io;
    this.#interval = timers.t1;
  }

  /** Times the request was sent again by timer E. */
  get retransmissions(): number {
    return this.#retransmissions;
  }

  /** @internal Sends the request and starts timers E and F. */
  start(): void {
    this.#transmit();
    if (!this.reliable) {
      this.startTimer('E', this.#interval, this.#timerE);
    }
    this.startTimer('F', 64 * this.timers.t1, () => {
      this.#io.onTimeout();
      this.safeEmit(
        'timeout',
        new SipTransactionError('timeout', `no final response to ${this.request.method} (timer F)`),
      );
      this.terminate();
    });
  }

  /** @internal A response matched this transaction. */
  receive(response: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      // Completed: retransmitted finals are absorbed.
      return;
    }
    if (response.status < 200) {
      this.setState('proceeding');
      this.safeEmit('response', response);

      return;
    }
    this.stopTimer('E');
    this.stopTimer('F');
    this.safeEmit('response', response);
    this.waitThenTerminate('completed', 'K', this.reliable ? 0 : this.timers.t4);
  }

  readonly #timerE = (): void => {
    this.#retransmissions++;
    this.#transmit();
    this.#interval = this.state === 'trying' ? Math.min(2 * this.#interval, this.timers.t2) : this.timers.t2;
    this.startTimer('E', this.#interval, this.#timerE);
  };

  #transmit(): void {
    this.#io.send(this.request).catch((err: unknown) => {
      if (this.state === 'terminated') {
        return;
      }
      this.safeEmit(
        'timeout',
        new SipTransactionError('transport', `cannot send ${this.request.method}: ${String(err)}`, err),
      );
      this.terminate();
    });
  }
}
