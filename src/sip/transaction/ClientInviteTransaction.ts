import { SipTransactionError } from '../errors.js';
import {
  getCallId,
  getCSeq,
  getHeader,
  getHeaderLines,
  type SipHeader,
  type SipRequest,
  type SipResponse,
} from '../message/SipMessage.js';
import { splitList } from '../message/Scanner.js';
import { TransactionBase } from './TransactionBase.js';
import { type ClientIo } from './ClientNonInviteTransaction.js';
import { type ClientTransactionEvents, type Timers } from './TransactionTypes.js';

/**
 * The INVITE client transaction (RFC 3261 §17.1.1, figure 5, with the Accepted state of RFC 6026):
 *
 * ```
 *  Calling --1xx--> Proceeding --300-699 / send ACK--> Completed --Timer D--> Terminated
 *    |   \            |    ^ 1xx                          ^ 300-699: ACK again, absorbed
 *    |    \--2xx------+--2xx--> Accepted --Timer M--> Terminated   (each 2xx passed to the TU)
 *    +--Timer B or transport error--> Terminated (408 to the TU)    Timer A retransmits (T1, doubling)
 * ```
 * The ACK for a 2xx is the TU's job (it is a new transaction); the ACK for 300-699 is built here
 * (§17.1.1.3) and goes to the same target as the INVITE.
 */
export class ClientInviteTransaction extends TransactionBase<ClientTransactionEvents> {
  /** The INVITE. */
  readonly request: SipRequest;
  readonly #io: ClientIo;
  #interval: number;
  #retransmissions = 0;
  #ack: SipRequest | null = null;
  #onProvisional: (() => void) | null = null;

  /** @internal Created by the transaction layer. */
  constructor(id: string, request: SipRequest, timers: Timers, reliable: boolean, io: ClientIo) {
    super(id, 'calling', timers, reliable, io.onTerminated);
    this.request = request;
    this.#io = io;
    this.#interval = timers.t1;
  }

  /** Times the INVITE was sent again by timer A. */
  get retransmissions(): number {
    return this.#retransmissions;
  }

  /** The ACK sent for a 300-699 response, once there is one. */
  get ack(): SipRequest | null {
    return this.#ack;
  }

  /** @internal Runs `fn` at the first provisional response (a CANCEL must wait for one, §9.1). */
  whenProvisional(fn: () => void): void {
    if (this.state === 'proceeding') {
      fn();
    } else {
      this.#onProvisional = fn;
    }
  }

  /** @internal Sends the INVITE and starts timers A and B. */
  start(): void {
    this.#transmit(this.request);
    if (!this.reliable) {
      this.startTimer('A', this.#interval, this.#timerA);
    }
    this.startTimer('B', 64 * this.timers.t1, () => {
      this.#io.onTimeout();
      this.safeEmit('timeout', new SipTransactionError('timeout', 'no response to INVITE (timer B)'));
      this.terminate();
    });
  }

  /** @internal A response matched this transaction. */
  receive(response: SipResponse): void {
    const state = this.state;
    if (state === 'completed') {
      if (response.status >= 300 && this.#ack !== null) {
        this.#transmit(this.#ack);
      }

      return;
    }
    if (state === 'accepted') {
      if (response.status >= 200 && response.status < 300) {
        this.safeEmit('response', response);
      }

      return;
    }
    if (state !== 'calling' && state !== 'proceeding') {
      return;
    }
    this.stopTimer('A');
    if (response.status < 200) {
      this.stopTimer('B');
      this.setState('proceeding');
      const pending = this.#onProvisional;
      this.#onProvisional = null;
      this.safeEmit('response', response);
      pending?.();

      return;
    }
    this.stopTimer('B');
    this.#onProvisional = null;
    if (response.status < 300) {
      this.setState('accepted');
      this.startTimer('M', 64 * this.timers.t1, () => {
        this.terminate();
      });
      this.safeEmit('response', response);

      return;
    }
    this.#ack = buildNon2xxAck(this.request, response);
    this.#transmit(this.#ack);
    this.safeEmit('response', response);
    this.waitThenTerminate('completed', 'D', this.reliable ? 0 : this.timers.timerD);
  }

  readonly #timerA = (): void => {
    this.#retransmissions++;
    this.#transmit(this.request);
    this.#interval *= 2;
    this.startTimer('A', this.#interval, this.#timerA);
  };

  #transmit(message: SipRequest): void {
    this.#io.send(message).catch((err: unknown) => {
      if (this.state === 'terminated') {
        return;
      }
      this.safeEmit(
        'timeout',
        new SipTransactionError('transport', `cannot send ${message.method}: ${String(err)}`, err),
      );
      this.terminate();
    });
  }
}

/** The ACK for a 300-699 answer to `invite` (RFC 3261 §17.1.1.3). */
export function buildNon2xxAck(invite: SipRequest, response: SipResponse): SipRequest {
  const headers: SipHeader[] = [
    { name: 'Via', value: splitList(getHeaderLines(invite, 'Via')[0] ?? '')[0] ?? '' },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: getHeader(invite, 'From') ?? '' },
    { name: 'To', value: getHeader(response, 'To') ?? getHeader(invite, 'To') ?? '' },
    { name: 'Call-ID', value: getCallId(invite) },
    { name: 'CSeq', value: `${getCSeq(invite).seq} ACK` },
  ];
  for (const route of getHeaderLines(invite, 'Route')) {
    headers.push({ name: 'Route', value: route });
  }
  headers.push({ name: 'Content-Length', value: '0' });

  return { kind: 'request', method: 'ACK', uri: invite.uri, headers, body: Buffer.alloc(0) };
}

/** The CANCEL for `invite` (RFC 3261 §9.1): same Request-URI, top Via, From, To, Call-ID, Route and CSeq number. */
export function buildCancel(invite: SipRequest): SipRequest {
  const headers: SipHeader[] = [
    { name: 'Via', value: splitList(getHeaderLines(invite, 'Via')[0] ?? '')[0] ?? '' },
    { name: 'Max-Forwards', value: '70' },
    { name: 'From', value: getHeader(invite, 'From') ?? '' },
    { name: 'To', value: getHeader(invite, 'To') ?? '' },
    { name: 'Call-ID', value: getCallId(invite) },
    { name: 'CSeq', value: `${getCSeq(invite).seq} CANCEL` },
  ];
  for (const route of getHeaderLines(invite, 'Route')) {
    headers.push({ name: 'Route', value: route });
  }
  headers.push({ name: 'Content-Length', value: '0' });

  return { kind: 'request', method: 'CANCEL', uri: invite.uri, headers, body: Buffer.alloc(0) };
}
