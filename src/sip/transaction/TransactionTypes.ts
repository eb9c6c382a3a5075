import { type SipTransactionError } from '../errors.js';
import { type SipRequest, type SipResponse } from '../message/SipMessage.js';
import { type Source } from '../transport/TransportTypes.js';

/**
 * Timer base values of RFC 3261 §17 (table 4 of appendix A). Every other timer derives from them:
 * A, E and G start at T1 and double (E and G up to T2); B, F, H, J, L and M are 64 × T1; I and K are T4;
 * D is {@link TimerOptions.timerD}. On TCP the retransmission timers never run and D, I, J, K are zero.
 */
export interface TimerOptions {
  /**
   * Round-trip time estimate, in milliseconds.
   * @defaultValue 500
   */
  t1?: number;
  /**
   * Longest retransmission interval for non-INVITE requests and INVITE responses.
   * @defaultValue 8 × T1 (4000 with the default T1), so that a small test T1 scales every timer
   */
  t2?: number;
  /**
   * Longest time a message stays in the network.
   * @defaultValue 10 × T1 (5000 with the default T1)
   */
  t4?: number;
  /**
   * Wait time for response retransmissions in the INVITE client Completed state (UDP).
   * @defaultValue 32000, or 64 × T1 when T1 is set and this is not
   */
  timerD?: number;
}

/** Resolved timer values, in milliseconds. */
export interface Timers {
  /** Round-trip time estimate. */
  t1: number;
  /** Longest retransmission interval. */
  t2: number;
  /** Longest time a message stays in the network. */
  t4: number;
  /** INVITE client Completed-state wait (UDP). */
  timerD: number;
}

/** Applies defaults and checks the values. */
export function resolveTimers(options: TimerOptions = {}): Timers {
  const t1 = options.t1 ?? 500;
  const timers = {
    t1,
    t2: options.t2 ?? 8 * t1,
    t4: options.t4 ?? 10 * t1,
    timerD: options.timerD ?? (options.t1 === undefined ? 32_000 : 64 * t1),
  };
  for (const [name, value] of Object.entries(timers)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new TypeError(`timer ${name} must be a positive number of milliseconds, got ${value}`);
    }
  }

  return timers;
}

/** Transaction states (RFC 3261 §17 plus the Accepted state of RFC 6026). */
export type TransactionState =
  'calling' | 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/** Events of a client transaction. */
export interface ClientTransactionEvents extends Record<string, unknown[]> {
  /** Every response passed up: provisional, final, and 2xx retransmissions of an INVITE. */
  response: [response: SipResponse];
  /** Timer B or F fired, or the transport failed; the TU should act as on a 408 (or 503). */
  timeout: [error: SipTransactionError];
  /** The transaction ended. */
  terminated: [];
}

/** Events of a server transaction. */
export interface ServerTransactionEvents extends Record<string, unknown[]> {
  /** A CANCEL matched this INVITE while it had no final response; 487 has been sent. */
  cancelled: [cancel: SipRequest];
  /** The ACK for a final response arrived (for a 2xx it is passed here as well as to the layer). */
  ack: [ack: SipRequest];
  /** No ACK came for a final response (timer H, or 64 × T1 of 2xx retransmission). */
  ackTimeout: [];
  /** The transaction ended. */
  terminated: [];
}

/** Events of the transaction layer. */
export interface TransactionLayerEvents extends Record<string, unknown[]> {
  /** A request that starts a new server transaction (never ACK or CANCEL; those are handled here). */
  request: [transaction: ServerTransactionLike, request: SipRequest, source: Source];
  /** An ACK that matched no server transaction in Completed state (an ACK for a 2xx, or stray). */
  ack: [ack: SipRequest, source: Source, matched2xx: boolean];
  /** A response matching no client transaction. */
  strayResponse: [response: SipResponse, source: Source];
}

/** What the layer's `request` event hands out; implemented by the two server transaction classes. */
export interface ServerTransactionLike {
  /** Transaction key. */
  readonly id: string;
  /**
   * The request that created it; null once a final response was sent, when the transaction lets go of it
   * and keeps only that response's bytes for retransmissions. Use the request the layer's `request` event
   * hands out.
   */
  readonly request: SipRequest | null;
  /** Where it came from. */
  readonly source: Source;
  /** Current state. */
  readonly state: TransactionState;
  /** The To tag this UAS uses in its responses. */
  readonly toTag: string;
  /** Sends a response built from the request (To tag added, extra headers and body as given). */
  respond(
    status: number,
    options?: { reason?: string; headers?: { name: string; value: string }[]; body?: Buffer },
  ): SipResponse;
  /** Sends a response built by the caller (it must carry the request's Via, From, To, Call-ID, CSeq). */
  send(response: SipResponse): void;
  /** Subscribes to transaction events. */
  on<K extends keyof ServerTransactionEvents & string>(
    event: K,
    listener: (...args: ServerTransactionEvents[K]) => void,
  ): unknown;
  /** Unsubscribes a listener added with `on`. */
  off<K extends keyof ServerTransactionEvents & string>(
    event: K,
    listener: (...args: ServerTransactionEvents[K]) => void,
  ): unknown;
}

/** Counters of the transaction layer, plain numbers. */
export interface TransactionCounters {
  /** Client transactions alive now. */
  clientTransactions: number;
  /** Server transactions alive now. */
  serverTransactions: number;
  /** Retransmitted requests absorbed by server transactions. */
  absorbedRetransmissions: number;
  /** Responses matching no client transaction. */
  strayResponses: number;
  /** Requests answered 482 (merged). */
  mergedRequests: number;
  /** Client transactions ended by timer B or F. */
  timeouts: number;
}
