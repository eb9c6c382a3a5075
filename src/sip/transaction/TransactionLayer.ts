import { type Logger, silentLogger } from '../../log/index.js';
import { type SipParseError } from '../errors.js';
import { addHeader, getHeader, getTopVia, type SipRequest, type SipResponse } from '../message/SipMessage.js';
import { serializeVia, hasRfc3261Branch } from '../message/Via.js';
import { type TransportLayer } from '../transport/TransportLayer.js';
import { type Endpoint, type Source } from '../transport/TransportTypes.js';
import { TypedEmitter } from '../TypedEmitter.js';
import { ClientInviteTransaction, buildCancel } from './ClientInviteTransaction.js';
import { ClientNonInviteTransaction, type ClientIo } from './ClientNonInviteTransaction.js';
import { ack2xxKey, clientKey, mergeKey, newBranch, newTag, serverKey } from './keys.js';
import { ServerInviteTransaction } from './ServerInviteTransaction.js';
import { preparedFromKept, ServerNonInviteTransaction, type ServerIo } from './ServerNonInviteTransaction.js';
import {
  resolveTimers,
  type TimerOptions,
  type Timers,
  type TransactionCounters,
  type TransactionLayerEvents,
} from './TransactionTypes.js';

/** A client transaction of either kind. */
export type ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction;
/** A server transaction of either kind. */
export type ServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction;

/** Options of {@link TransactionLayer}. */
export interface TransactionLayerOptions {
  /** Timer values; tests use a small T1. */
  timers?: TimerOptions;
  /** Logger. */
  logger?: Logger;
  /**
   * Runs on every inbound request before it is matched or any transaction state exists. Returning false
   * drops the request without a reply (scanners, sources no trunk admits); the filter does its own counting.
   * @defaultValue every request passes
   */
  inboundFilter?: (request: SipRequest, source: Source) => boolean;
}

/**
 * The transaction layer (RFC 3261 §17) over a {@link TransportLayer}. Inbound requests are matched to
 * server transactions (RFC 3261 keys, or the RFC 2543 fallback), so retransmissions never reach the TU;
 * CANCEL is answered here (§9.2: 200 for the CANCEL, 487 for the INVITE, 481 when nothing matches);
 * merged requests get 482 (§8.2.2.2); ACKs for 2xx stop the INVITE server transaction's 2xx resends.
 * Responses are matched to client transactions by branch and CSeq method; the rest are stray.
 */
export class TransactionLayer extends TypedEmitter<TransactionLayerEvents> {
  readonly #transport: TransportLayer;
  readonly #timers: Timers;
  readonly #log: Logger;
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #servers = new Map<string, ServerTransaction>();
  readonly #merge = new Map<string, ServerTransaction>();
  readonly #awaiting2xxAck = new Map<string, ServerInviteTransaction>();
  readonly #counters: TransactionCounters = {
    clientTransactions: 0,
    serverTransactions: 0,
    absorbedRetransmissions: 0,
    strayResponses: 0,
    mergedRequests: 0,
    timeouts: 0,
  };
  readonly #onRequest = (request: SipRequest, source: Source): void => {
    this.#inboundRequest(request, source);
  };
  readonly #onResponse = (response: SipResponse, source: Source): void => {
    this.#inboundResponse(response, source);
  };
  readonly #listenerFailed = (err: unknown, event: string): void => {
    this.#log.error({ err, event }, 'sip transaction listener failed');
  };
  readonly #inboundFilter: ((request: SipRequest, source: Source) => boolean) | null;
  #closed = false;

  /** Attaches to `transport`; fails fast on invalid timer values. */
  constructor(transport: TransportLayer, options: TransactionLayerOptions = {}) {
    super();
    this.#transport = transport;
    this.#timers = resolveTimers(options.timers);
    this.#inboundFilter = options.inboundFilter ?? null;
    this.#log = (options.logger ?? silentLogger()).child({ module: 'sip.transaction' });
    // Listener failures (of this layer and of every transaction) are logged; timers and matching go on.
    this.onListenerError = this.#listenerFailed;
    transport.on('request', this.#onRequest);
    transport.on('response', this.#onResponse);
  }

  /** Resolved timer values. */
  get timers(): Readonly<Timers> {
    return this.#timers;
  }

  /** Live counters (plain numbers). */
  get counters(): Readonly<TransactionCounters> {
    this.#counters.clientTransactions = this.#clients.size;
    this.#counters.serverTransactions = this.#servers.size;

    return this.#counters;
  }

  /**
   * Starts a client transaction for `request` towards `target`. A top Via with an RFC 3261 branch is kept
   * (CANCEL reuses its INVITE's); otherwise a Via with this host's sent-by, `rport` and a fresh branch is
   * put on top. Max-Forwards 70 is added when missing.
   */
  sendRequest(request: SipRequest, target: Endpoint): ClientTransaction {
    const local = this.#transport.localEndpoint(target.transport);
    let topHasBranch = false;
    try {
      topHasBranch = hasRfc3261Branch(getTopVia(request));
    } catch {
      topHasBranch = false;
    }
    if (!topHasBranch) {
      const via = {
        protocol: 'SIP/2.0',
        transport: target.transport.toUpperCase(),
        host: local?.host ?? '127.0.0.1',
        port: local?.port ?? null,
        params: { branch: newBranch(), rport: null },
      };
      addHeader(request, 'Via', serializeVia(via), true);
    }
    if (getHeader(request, 'Max-Forwards') === undefined) {
      addHeader(request, 'Max-Forwards', '70');
    }
    const id = clientKey(request);
    const io: ClientIo = {
      send: (message) => this.#transport.send(message, target),
      onTerminated: () => {
        if (this.#clients.get(id) === tx) {
          this.#clients.delete(id);
        }
      },
      onTimeout: () => {
        this.#counters.timeouts++;
      },
    };
    const reliable = target.transport === 'tcp';
    const tx: ClientTransaction =
      request.method === 'INVITE'
        ? new ClientInviteTransaction(id, request, this.#timers, reliable, io)
        : new ClientNonInviteTransaction(id, request, this.#timers, reliable, io);
    tx.onListenerError = this.#listenerFailed;
    this.#clients.set(id, tx);
    tx.start();

    return tx;
  }

  /**
   * Cancels an INVITE client transaction (§9.1): the CANCEL goes out once a provisional response has
   * arrived, as its own non-INVITE transaction, which is returned through `onSent`.
   */
  cancel(
    invite: ClientInviteTransaction,
    target: Endpoint,
    onSent?: (cancel: ClientNonInviteTransaction) => void,
  ): void {
    invite.whenProvisional(() => {
      const tx = this.sendRequest(buildCancel(invite.request), target);
      if (tx instanceof ClientNonInviteTransaction) {
        onSent?.(tx);
      }
    });
  }

  /** Stops every transaction's timers and detaches from the transport; idempotent. */
  close(): void {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#transport.off('request', this.#onRequest);
    this.#transport.off('response', this.#onResponse);
    for (const tx of [...this.#clients.values(), ...this.#servers.values()]) {
      tx.terminate();
    }
    this.removeAllListeners();
  }

  #inboundResponse(response: SipResponse, source: Source): void {
    let tx: ClientTransaction | undefined;
    try {
      tx = this.#clients.get(clientKey(response));
    } catch {
      tx = undefined;
    }
    if (tx === undefined) {
      this.#counters.strayResponses++;
      this.safeEmit('strayResponse', response, source);

      return;
    }
    tx.receive(response);
  }

  #inboundRequest(request: SipRequest, source: Source): void {
    if (this.#inboundFilter !== null && !this.#inboundFilter(request, source)) {
      return;
    }
    try {
      this.#dispatch(request, source);
    } catch (err) {
      // The parser checked every header the keys use, so this is a bug; keep serving the others.
      this.#log.warn({ err: err as SipParseError, method: request.method }, 'request could not be matched');
    }
  }

  #dispatch(request: SipRequest, source: Source): void {
    const key = serverKey(request);
    const existing = this.#servers.get(key);
    if (request.method === 'ACK') {
      if (existing instanceof ServerInviteTransaction && existing.state !== 'accepted') {
        existing.receiveAck(request);

        return;
      }
      // An ACK for a 2xx: normally a new branch, found by Call-ID, CSeq and To tag; an RFC 2543 peer's ACK
      // matches the INVITE transaction itself.
      const waiting =
        existing instanceof ServerInviteTransaction ? existing : this.#awaiting2xxAck.get(ack2xxKey(request));
      waiting?.ackReceived(request);
      this.safeEmit('ack', request, source, waiting !== undefined);

      return;
    }
    if (existing !== undefined) {
      existing.receiveRequest();

      return;
    }
    const merge = mergeKey(request);
    const tx = this.#createServer(key, request, source, merge);
    if (merge !== null && this.#merge.has(merge)) {
      this.#counters.mergedRequests++;
      tx.respond(482);

      return;
    }
    if (merge !== null) {
      this.#merge.set(merge, tx);
    }
    if (request.method === 'CANCEL') {
      const invite = this.#servers.get(serverKey(request, 'INVITE'));
      if (invite instanceof ServerInviteTransaction) {
        tx.respond(200);
        invite.cancel(request);
      } else {
        tx.respond(481);
      }

      return;
    }
    if (tx instanceof ServerInviteTransaction) {
      tx.start();
    }
    this.safeEmit('request', tx, request, source);
  }

  #createServer(key: string, request: SipRequest, source: Source, merge: string | null): ServerTransaction {
    let ackKey: string | null = null;
    const io: ServerIo = {
      sendResponse: (response, to) => {
        if (tx instanceof ServerInviteTransaction && response.status >= 200 && response.status < 300) {
          ackKey = ack2xxKey(response);
          this.#awaiting2xxAck.set(ackKey, tx);
        }
        const prepared = this.#transport.prepareResponse(response, to);
        this.#transport.sendPrepared(prepared).catch((err: unknown) => {
          this.#log.debug({ err, status: response.status }, 'response not sent');
        });

        return prepared;
      },
      resendResponse: (kept) => {
        this.#transport.sendPrepared(preparedFromKept(kept)).catch((err: unknown) => {
          this.#log.debug({ err, status: kept.status }, 'response not sent');
        });
      },
      onTerminated: () => {
        this.#servers.delete(key);
        if (merge !== null && this.#merge.get(merge) === tx) {
          this.#merge.delete(merge);
        }
        if (ackKey !== null && this.#awaiting2xxAck.get(ackKey) === tx) {
          this.#awaiting2xxAck.delete(ackKey);
        }
      },
      onAbsorbed: () => {
        this.#counters.absorbedRetransmissions++;
      },
    };
    const toTag = newTag();
    const tx: ServerTransaction =
      request.method === 'INVITE'
        ? new ServerInviteTransaction(key, request, source, toTag, this.#timers, io)
        : new ServerNonInviteTransaction(key, request, source, toTag, this.#timers, io);
    tx.onListenerError = this.#listenerFailed;
    this.#servers.set(key, tx);

    return tx;
  }
}
