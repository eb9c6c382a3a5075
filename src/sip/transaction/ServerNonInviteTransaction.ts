import { sameHeaderName } from '../message/headerNames.js';
import { parseMessage } from '../message/parser.js';
import { createResponse, type ResponseOptions } from '../message/responses.js';
import { type SipHeader, type SipRequest, type SipResponse } from '../message/SipMessage.js';
import { type PreparedResponse, type Source } from '../transport/TransportTypes.js';
import { TransactionBase } from './TransactionBase.js';
import { type ServerTransactionEvents, type ServerTransactionLike, type Timers } from './TransactionTypes.js';

/** @internal How a server transaction reaches the network. */
export interface ServerIo {
  /** Sends a response; returns it serialized and routed, so that it can be sent again. */
  sendResponse: (response: SipResponse, source: Source) => PreparedResponse;
  /** Sends a kept response again (a retransmitted request, or a 2xx or 300-699 retransmission timer). */
  resendResponse: (kept: KeptResponse) => void;
  onTerminated: () => void;
  onAbsorbed: () => void;
}

/**
 * @internal A sent response as a lingering server transaction keeps it: the bytes as a one-byte string
 * (on the V8 heap, no per-response ArrayBuffer, and no hold on a shared Buffer pool slab) and the route.
 */
export interface KeptResponse {
  readonly status: number;
  /** The serialized response, one character per byte (latin1). */
  readonly bytes: string;
  readonly connectionId: string | undefined;
  readonly target: PreparedResponse['target'];
}

/** @internal Turns what the transport prepared into what a lingering transaction keeps. */
export function keepResponse(prepared: PreparedResponse): KeptResponse {
  return {
    status: prepared.status,
    bytes: prepared.data.toString('latin1'),
    connectionId: prepared.connectionId,
    target: prepared.target,
  };
}

/** @internal The kept response in the form the transport sends. */
export function preparedFromKept(kept: KeptResponse): PreparedResponse {
  return {
    status: kept.status,
    data: Buffer.from(kept.bytes, 'latin1'),
    connectionId: kept.connectionId,
    target: kept.target,
  };
}

/** @internal The kept response parsed again (only for a late respond(), which sends nothing). */
function parseKept(kept: KeptResponse): Pick<SipRequest, 'headers'> {
  try {
    return parseMessage(Buffer.from(kept.bytes, 'latin1'));
  } catch {
    return { headers: [] };
  }
}

const TEMPLATE_HEADERS = ['Via', 'Record-Route', 'From', 'To', 'Call-ID', 'CSeq'];

/**
 * @internal The request header lines a response copies (RFC 3261 §8.2.6.2), as fresh strings: the parser's
 * values are slices of the whole decoded header section, which a slice would keep alive.
 */
export function responseTemplate(request: SipRequest): Pick<SipRequest, 'headers'> {
  const headers: SipHeader[] = [];
  for (const h of request.headers) {
    if (TEMPLATE_HEADERS.some((name) => sameHeaderName(name, h.name))) {
      headers.push({ name: h.name, value: Buffer.from(h.value, 'utf8').toString('utf8') });
    }
  }

  return { headers };
}

/**
 * The non-INVITE server transaction (RFC 3261 §17.2.2, figure 8):
 *
 * ```
 *  Trying --TU 1xx--> Proceeding --TU 200-699--> Completed --Timer J (64*T1, 0 on TCP)--> Terminated
 *    \_______________TU 200-699_______________/^
 *  Retransmitted requests: absorbed in Trying, answered with the last response afterwards.
 * ```
 * In Completed the transaction lingers only to answer retransmissions, so it lets go of the parsed request
 * and response and keeps the final response's bytes: {@link ServerNonInviteTransaction.request} and
 * {@link ServerNonInviteTransaction.lastResponse} read null from then on.
 */
export class ServerNonInviteTransaction
  extends TransactionBase<ServerTransactionEvents>
  implements ServerTransactionLike
{
  /** Where it came from. */
  readonly source: Source;
  /** The To tag of this UAS's responses. */
  readonly toTag: string;
  readonly #io: ServerIo;
  #request: SipRequest | null;
  #last: SipResponse | null = null;
  #kept: KeptResponse | null = null;

  /** @internal Created by the transaction layer. */
  constructor(id: string, request: SipRequest, source: Source, toTag: string, timers: Timers, io: ServerIo) {
    super(id, 'trying', timers, source.transport === 'tcp', io.onTerminated);
    this.#request = request;
    this.source = source;
    this.toTag = toTag;
    this.#io = io;
  }

  /** The request; null once a final response was sent (the transaction then keeps only that response's bytes). */
  get request(): SipRequest | null {
    return this.#request;
  }

  /** The last response sent; null before the first and once a final response was sent. */
  get lastResponse(): SipResponse | null {
    return this.#last;
  }

  /** Builds and sends a response to the request. */
  respond(status: number, options: Omit<ResponseOptions, 'toTag'> = {}): SipResponse {
    // Once released, a late (and unsent) response copies the final response's Via, From, To, Call-ID, CSeq.
    const from = this.#request ?? (this.#kept === null ? { headers: [] } : parseKept(this.#kept));
    const response = createResponse(from, status, {
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
    const prepared = this.#io.sendResponse(response, this.source);
    if (response.status < 200) {
      this.#last = response;
      this.setState('proceeding');

      return;
    }
    // Lingering from here on: only the bytes are needed, to answer retransmissions.
    this.#kept = keepResponse(prepared);
    this.#request = null;
    this.#last = null;
    this.waitThenTerminate('completed', 'J', this.reliable ? 0 : 64 * this.timers.t1);
  }

  /** @internal A retransmission of the request arrived. */
  receiveRequest(): void {
    this.#io.onAbsorbed();
    if (this.#kept !== null) {
      this.#io.resendResponse(this.#kept);
    } else if (this.#last !== null) {
      this.#io.sendResponse(this.#last, this.source);
    }
  }
}
