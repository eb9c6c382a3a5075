import { createResponse, type ResponseOptions } from '../message/responses.js';
import { type SipRequest, type SipResponse } from '../message/SipMessage.js';
import { type Source } from '../transport/TransportTypes.js';
import { TransactionBase } from './TransactionBase.js';
import { type ServerTransactionEvents, type ServerTransactionLike, type Timers } from './TransactionTypes.js';

/** @internal How a server transaction reaches the network. */
export interface ServerIo {
  sendResponse: (response: SipResponse, source: Source) => void;
  onTerminated: () => void;
  onAbsorbed: () => void;
}

/**
 * The non-INVITE server transaction (RFC 3261 §17.2.2, figure 8):
 *
 * ```
 *  Trying --TU 1xx--> Proceeding --TU 200-699--> Completed --Timer J (64*T1, 0 on TCP)--> Terminated
 *    \_______________TU 200-699_______________/^
 *  Retransmitted requests: absorbed in Trying, answered with the last response afterwards.
 * ```
 */
export class ServerNonInviteTransaction
  extends TransactionBase<ServerTransactionEvents>
  implements ServerTransactionLike
{
  /** The request. */
  readonly request: SipRequest;
  /** Where it came from. */
  readonly source: Source;
  /** The To tag of this UAS's responses. */
  readonly toTag: string;
  readonly #io: ServerIo;
  #last: SipResponse | null = null;

  /** @internal Created by the transaction layer. */
  constructor(id: string, request: SipRequest, source: Source, toTag: string, timers: Timers, io: ServerIo) {
    super(id, 'trying', timers, source.transport === 'tcp', io.onTerminated);
    this.request = request;
    this.source = source;
    this.toTag = toTag;
    this.#io = io;
  }

  /** The last response sent. */
  get lastResponse(): SipResponse | null {
    return this.#last;
  }

  /** Builds and sends a response to the request. */
  respond(status: number, options: Omit<ResponseOptions, 'toTag'> = {}): SipResponse {
    const response = createResponse(this.request, status, {
      ...options,
      toTag: status > 100 ? this.toTag : undefined,
    });
    this.send(response);

    return response;
  }

  /** Sends a response; ignored once a final response was sent. */
  send(response: SipResponse): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      return;
    }
    this.#last = response;
    this.#io.sendResponse(response, this.source);
    if (response.status < 200) {
      this.setState('proceeding');
    } else {
      this.waitThenTerminate('completed', 'J', this.reliable ? 0 : 64 * this.timers.t1);
    }
  }

  /** @internal A retransmission of the request arrived. */
  receiveRequest(): void {
    this.#io.onAbsorbed();
    if (this.#last !== null) {
      this.#io.sendResponse(this.#last, this.source);
    }
  }
}
