import { createResponse, type ResponseOptions } from '../message/responses.js';
import { type SipRequest, type SipResponse } from '../message/SipMessage.js';
import { type Source } from '../transport/TransportTypes.js';
import {
  keepResponse,
  responseTemplate,
  type KeptResponse,
  type ServerIo,
} from './ServerNonInviteTransaction.js';
import { TransactionBase } from './TransactionBase.js';
import { type ServerTransactionEvents, type ServerTransactionLike, type Timers } from './TransactionTypes.js';

/**
 * The INVITE server transaction (RFC 3261 §17.2.1, figure 7, with the Accepted state of RFC 6026):
 *
 * ```
 *  Proceeding --TU 300-699--> Completed --ACK--> Confirmed --Timer I (T4, 0 on TCP)--> Terminated
 *     |   ^ TU 1xx              | Timer G resends the final (T1 doubling to T2), Timer H (64*T1): no ACK
 *     +--TU 2xx--> Accepted --Timer L (64*T1)--> Terminated
 * ```
 * A 100 Trying goes out right after the turn that created the transaction, unless the TU responded in it.
 * In Accepted, this class also does the UAS core's duty of §13.3.1.4: it resends the 2xx (T1 doubling to
 * T2) until the ACK is reported with {@link ServerInviteTransaction.ackReceived}, and emits `ackTimeout`
 * when 64 × T1 pass without one.
 * INVITE retransmissions are absorbed in every state (answered with the last response).
 *
 * Once a final response is sent the transaction only lingers, so it lets go of the parsed INVITE and
 * response and keeps the final response's bytes (to answer INVITE copies in Completed, and to resend the
 * 2xx in Accepted until the ACK); {@link ServerInviteTransaction.request} and
 * {@link ServerInviteTransaction.lastResponse} read null from then on. The bytes go too when the ACK
 * arrives, as nothing resends them after that.
 */
export class ServerInviteTransaction
  extends TransactionBase<ServerTransactionEvents>
  implements ServerTransactionLike
{
  /** Where it came from. */
  readonly source: Source;
  /** The To tag of this UAS's responses. */
  readonly toTag: string;
  readonly #io: ServerIo;
  #request: SipRequest | null;
  /** What {@link ServerInviteTransaction.respond} builds from once the INVITE is released. */
  #template: Pick<SipRequest, 'headers'> | null = null;
  /** The last provisional response, while in Proceeding. */
  #last: SipResponse | null = null;
  /** The final response's bytes, while something may resend them. */
  #kept: KeptResponse | null = null;
  #answered = false;
  #interval: number;
  #retransmissions = 0;
  #acked = false;

  /** @internal Created by the transaction layer, which then calls {@link ServerInviteTransaction.start}. */
  constructor(id: string, request: SipRequest, source: Source, toTag: string, timers: Timers, io: ServerIo) {
    super(id, 'proceeding', timers, source.transport === 'tcp', io.onTerminated);
    this.#request = request;
    this.source = source;
    this.toTag = toTag;
    this.#io = io;
    this.#interval = timers.t1;
  }

  /** The INVITE; null once a final response was sent (the transaction then keeps only that response's bytes). */
  get request(): SipRequest | null {
    return this.#request;
  }

  /** The last provisional response sent; null before the first and once a final response was sent. */
  get lastResponse(): SipResponse | null {
    return this.#last;
  }

  /** Times the final response was sent again (timer G, or the 2xx retransmission). */
  get retransmissions(): number {
    return this.#retransmissions;
  }

  /**
   * @internal Sends 100 Trying at the end of the current turn of the event loop, unless a response went out
   * first: RFC 3261 §17.2.1 asks for it only when the TU will not answer within 200 ms, so a TU that rings
   * or answers at once spares a datagram per call.
   */
  start(): void {
    setImmediate(() => {
      if (!this.#answered && this.state === 'proceeding') {
        this.respond(100);
      }
    });
  }

  /** Builds and sends a response to the INVITE. */
  respond(status: number, options: Omit<ResponseOptions, 'toTag'> = {}): SipResponse {
    const response = createResponse(this.#request ?? this.#template ?? { headers: [] }, status, {
      ...options,
      toTag: status > 100 ? this.toTag : undefined,
    });
    this.send(response);

    return response;
  }

  /** Sends a response; in Accepted only further 2xx are taken, and nothing after that. */
  send(response: SipResponse): void {
    const state = this.state;
    const is2xx = response.status >= 200 && response.status < 300;
    if (state === 'accepted' && is2xx) {
      // A further 2xx from the TU (RFC 6026 §8.7) replaces the one being resent; after the ACK nothing is.
      const prepared = this.#io.sendResponse(response, this.source);
      if (!this.#acked) {
        this.#kept = keepResponse(prepared);
      }

      return;
    }
    if (state !== 'proceeding') {
      return;
    }
    this.#answered = true;
    const prepared = this.#io.sendResponse(response, this.source);
    if (response.status < 200) {
      this.#last = response;

      return;
    }
    // Lingering from here on: keep the bytes to resend, and what a late respond() builds from.
    this.#kept = keepResponse(prepared);
    if (this.#request !== null) {
      this.#template = responseTemplate(this.#request);
    }
    this.#request = null;
    this.#last = null;
    this.#interval = this.timers.t1;
    if (is2xx) {
      this.setState('accepted');
      if (!this.reliable) {
        this.startTimer('2xx', this.#interval, this.#resend);
      }
      this.startTimer('L', 64 * this.timers.t1, () => {
        if (!this.#acked) {
          this.safeEmit('ackTimeout');
        }
        this.terminate();
      });

      return;
    }
    this.setState('completed');
    if (!this.reliable) {
      this.startTimer('G', this.#interval, this.#resend);
    }
    this.startTimer('H', 64 * this.timers.t1, () => {
      this.safeEmit('ackTimeout');
      this.terminate();
    });
  }

  /** @internal A retransmission of the INVITE arrived. */
  receiveRequest(): void {
    this.#io.onAbsorbed();
    // In Accepted the 2xx is already being resent on its own schedule (RFC 6026 §7.1): absorb silently.
    if (this.state === 'proceeding' && this.#last !== null) {
      this.#io.sendResponse(this.#last, this.source);
    } else if (this.state === 'completed' && this.#kept !== null) {
      this.#io.resendResponse(this.#kept);
    }
  }

  /** @internal The ACK for a 300-699 answer arrived (same transaction). */
  receiveAck(ack: SipRequest): void {
    if (this.state === 'accepted') {
      this.ackReceived(ack);

      return;
    }
    if (this.state !== 'completed') {
      this.#io.onAbsorbed();

      return;
    }
    this.stopTimer('G');
    this.stopTimer('H');
    // Confirmed only absorbs ACK copies: the final response is never sent again.
    this.#kept = null;
    this.safeEmit('ack', ack);
    this.waitThenTerminate('confirmed', 'I', this.reliable ? 0 : this.timers.t4);
  }

  /** Reports the ACK for the 2xx: retransmissions stop; the transaction stays to absorb INVITE copies. */
  ackReceived(ack: SipRequest): void {
    if (this.#acked || this.state !== 'accepted') {
      return;
    }
    this.#acked = true;
    this.stopTimer('2xx');
    this.#kept = null;
    this.safeEmit('ack', ack);
  }

  /** @internal A CANCEL matched: 487 if no final response was sent yet; reports whether it did. */
  cancel(cancel: SipRequest): boolean {
    if (this.state !== 'proceeding') {
      return false;
    }
    this.respond(487);
    this.safeEmit('cancelled', cancel);

    return true;
  }

  readonly #resend = (): void => {
    if (this.#kept === null || (this.state !== 'completed' && this.state !== 'accepted')) {
      return;
    }
    this.#retransmissions++;
    this.#io.resendResponse(this.#kept);
    this.#interval = Math.min(2 * this.#interval, this.timers.t2);
    this.startTimer(this.state === 'accepted' ? '2xx' : 'G', this.#interval, this.#resend);
  };
}
