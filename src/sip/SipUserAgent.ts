import { type TrunkConfig } from '../config/index.js';
import { type Logger, silentLogger } from '../log/index.js';
import { DigestServer } from './digest/DigestServer.js';
import { Dialog } from './dialog/Dialog.js';
import { OutboundCall, type OutboundCallOptions } from './dialog/OutboundCall.js';
import { SipCall } from './dialog/SipCall.js';
import { type CallHost } from './dialog/SipCallTypes.js';
import { addHeader, getTo, type SipRequest } from './message/SipMessage.js';
import { serializeVia } from './message/Via.js';
import { validateRequest, type UasPolicy } from './message/validateRequest.js';
import { type ClientInviteTransaction } from './transaction/ClientInviteTransaction.js';
import { newBranch, randomChunk } from './transaction/keys.js';
import { TransactionLayer } from './transaction/TransactionLayer.js';
import { type ServerTransactionLike, type TimerOptions } from './transaction/TransactionTypes.js';
import { createTransportLayer, type TransportLayer } from './transport/TransportLayer.js';
import { type Endpoint, type Source, type TransportProtocol } from './transport/TransportTypes.js';
import { TrunkGuard, type Trunk } from './trunk/TrunkGuard.js';
import { TypedEmitter } from './TypedEmitter.js';

/** Options of {@link SipUserAgent.start}. */
export interface SipUserAgentOptions {
  /** Address to bind. */
  host: string;
  /** Address written into Via and Contact. @defaultValue `host` */
  advertisedHost?: string;
  /** UDP port; 0 picks one; null disables UDP. @defaultValue 5060 */
  udpPort?: number | null;
  /** TCP port; 0 picks one (the UDP one when both are 0); null disables TCP. @defaultValue 5060 */
  tcpPort?: number | null;
  /** The configured trunks. */
  trunks: readonly TrunkConfig[];
  /** Codec preference per trunk name. @defaultValue PCMU, PCMA for every trunk */
  codecs?: Readonly<Record<string, readonly string[]>>;
  /** User-Agent / Server header value. @defaultValue 'confab' */
  userAgent?: string;
  /** RFC 3261 timers. */
  timers?: TimerOptions;
  /** Largest SIP message. @defaultValue 65535 */
  maxMessageSize?: number;
  /** Idle TCP connections close after this long. @defaultValue 64000 */
  tcpIdleTimeoutMs?: number;
  /** Digest nonce lifetime. @defaultValue 30000 */
  nonceLifetimeMs?: number;
  /** Logger. */
  logger?: Logger;
}

/** Events of {@link SipUserAgent}. */
export interface SipUserAgentEvents extends Record<string, unknown[]> {
  /** An admitted, authenticated INVITE within the trunk's limits; answer, reject or let it ring. */
  invite: [call: SipCall, trunk: Trunk];
  /** A call (either direction) ended. */
  callEnded: [call: SipCall];
}

/** What confab's UAS accepts (RFC 3261 §8.2 checks). */
const POLICY: UasPolicy = {
  allow: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'INFO'],
  supported: [],
  accept: ['application/sdp', 'application/dtmf-relay', 'application/dtmf'],
};

/**
 * The SIP user agent: transport + transactions + dialogs + trunks. Inbound traffic passes the
 * {@link TrunkGuard} before any state exists (unknown sources and scanners get nothing back); OPTIONS is
 * answered 200; a dialog-creating INVITE is matched to its trunk, challenged when the trunk wants digest
 * (401, `stale=true` for an expired nonce), held to the trunk's limits (503, with Retry-After for the rate)
 * and then handed out as a {@link SipCall}. Requests inside a dialog go to their call; the rest get 481.
 */
export class SipUserAgent extends TypedEmitter<SipUserAgentEvents> {
  /** The transport layer. */
  readonly transport: TransportLayer;
  /** The transaction layer. */
  readonly transactions: TransactionLayer;
  /** Admission, limits and scanner filtering. */
  readonly guard: TrunkGuard;
  /** Digest nonces. */
  readonly digest: DigestServer;
  readonly #dialogs = new Map<string, SipCall>();
  readonly #calls = new Set<SipCall>();
  readonly #log: Logger;
  readonly #host: CallHost;
  #closed = false;

  /** @internal Use {@link SipUserAgent.start}. */
  constructor(
    transport: TransportLayer,
    transactions: TransactionLayer,
    guard: TrunkGuard,
    options: SipUserAgentOptions,
  ) {
    super();
    this.transport = transport;
    this.transactions = transactions;
    this.guard = guard;
    this.digest = new DigestServer({ nonceLifetimeMs: options.nonceLifetimeMs });
    this.#log = (options.logger ?? silentLogger()).child({ module: 'sip.ua' });
    this.onListenerError = (err, event) => {
      this.#log.error({ err, event }, 'sip user agent listener failed');
    };
    const agent = options.userAgent ?? 'confab';
    this.#host = {
      sendRequest: (request, target) => transactions.sendRequest(request, target),
      cancel: (invite: ClientInviteTransaction, target) => {
        transactions.cancel(invite, target);
      },
      sendAck: (ack, target) => {
        this.#sendAck(ack, target);
      },
      contact: (transport) => this.contact(transport),
      registerDialog: (dialog, call) => {
        this.#dialogs.set(dialog.id, call as SipCall);
      },
      unregisterDialog: (dialog) => {
        this.#dialogs.delete(dialog.id);
      },
      commonHeaders: [{ name: 'User-Agent', value: agent }],
      logger: this.#log,
    };
    transactions.on('request', (tx, request, source) => {
      this.#onRequest(tx, request, source);
    });
  }

  /** Starts listening; fails (and closes what it opened) when a port is taken. */
  static async start(options: SipUserAgentOptions): Promise<SipUserAgent> {
    const guard = new TrunkGuard(options.trunks, options.codecs);
    const transport = await createTransportLayer({
      host: options.host,
      advertisedHost: options.advertisedHost,
      udpPort: options.udpPort,
      tcpPort: options.tcpPort,
      maxMessageSize: options.maxMessageSize,
      tcpIdleTimeoutMs: options.tcpIdleTimeoutMs,
      logger: options.logger,
      admitSource: guard.admitSource,
    });
    const transactions = new TransactionLayer(transport, {
      timers: options.timers,
      logger: options.logger,
      inboundFilter: guard.filterRequest,
    });

    return new SipUserAgent(transport, transactions, guard, options);
  }

  /** Calls up now (either direction, any state). */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /** Our Contact for `transport`. */
  contact(transport: TransportProtocol): string {
    const local =
      this.transport.localEndpoint(transport) ??
      this.transport.localEndpoint(transport === 'udp' ? 'tcp' : 'udp');
    const host = local?.host ?? '127.0.0.1';
    const hostPart = host.includes(':') ? `[${host}]` : host;

    return `<sip:confab@${hostPart}:${local?.port ?? 5060}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
  }

  /** Places an outbound call; the returned call emits `progress`, `answered` and `ended`. */
  call(options: OutboundCallOptions): OutboundCall {
    const call = new OutboundCall(this.#host, options);
    const forgetPeer = this.guard.addPeer(options.target.address);
    this.#track(call);
    call.once('ended', forgetPeer);
    call.start();

    return call;
  }

  /** Ends every call (BYE or 503) and closes the layers; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    for (const call of [...this.#calls]) {
      call.shutdown();
    }
    // Give the BYEs a moment to leave before the sockets close.
    await new Promise((resolve) => setTimeout(resolve, 20));
    this.transactions.close();
    await this.transport.close();
    this.removeAllListeners();
  }

  #track(call: SipCall): void {
    this.#calls.add(call);
    call.once('ended', () => {
      this.#calls.delete(call);
      this.safeEmit('callEnded', call);
    });
  }

  #sendAck(ack: SipRequest, target: Endpoint): void {
    const local = this.transport.localEndpoint(target.transport);
    const request: SipRequest = { ...ack, headers: [...ack.headers] };
    addHeader(
      request,
      'Via',
      serializeVia({
        protocol: 'SIP/2.0',
        transport: target.transport.toUpperCase(),
        host: local?.host ?? '127.0.0.1',
        port: local?.port ?? null,
        params: { branch: newBranch(), rport: null },
      }),
      true,
    );
    this.transport.send(request, target).catch((err: unknown) => {
      this.#log.debug({ err }, 'ACK not sent');
    });
  }

  #onRequest(tx: ServerTransactionLike, request: SipRequest, source: Source): void {
    const rejection = validateRequest(request, POLICY);
    if (rejection !== null) {
      tx.respond(rejection.status, { reason: rejection.reason, headers: rejection.headers });

      return;
    }
    if (getTo(request).params.tag !== undefined) {
      const call = this.#dialogs.get(Dialog.keyOfRequest(request));
      if (call === undefined) {
        tx.respond(481);
      } else {
        call.handleRequest(tx, request);
      }

      return;
    }
    switch (request.method) {
      case 'OPTIONS':
        tx.respond(200, {
          headers: [
            { name: 'Allow', value: POLICY.allow.join(', ') },
            { name: 'Accept', value: 'application/sdp' },
            ...this.#host.commonHeaders,
          ],
        });
        break;
      case 'INVITE':
        this.#onInvite(tx, request, source);
        break;
      default:
        tx.respond(481);
    }
  }

  #onInvite(tx: ServerTransactionLike, request: SipRequest, source: Source): void {
    const trunk = this.guard.trunkFor(source);
    if (trunk === undefined || this.#closed) {
      tx.respond(403);

      return;
    }
    const digest = trunk.config.inbound.digest;
    if (digest !== null) {
      const verdict = this.digest.verify(request, digest);
      if (!verdict.ok) {
        this.#log.debug(
          { trunk: trunk.config.name, reason: verdict.reason, address: source.address },
          'digest challenge',
        );
        tx.respond(401, {
          headers: [{ name: 'WWW-Authenticate', value: this.digest.challenge(digest.realm, verdict.stale) }],
        });

        return;
      }
    }
    const refusal = trunk.limiter.tryAcquire();
    if (refusal !== null) {
      tx.respond(503, { headers: refusal === 'cps' ? [{ name: 'Retry-After', value: '1' }] : [] });

      return;
    }
    const call = new SipCall(this.#host, request, 'inbound', trunk.config.name, tx, source);
    this.#track(call);
    call.once('ended', () => {
      trunk.limiter.release();
    });
    if (this.listenerCount('invite') === 0) {
      call.reject(480);

      return;
    }
    this.safeEmit('invite', call, trunk);
  }
}

/** A fresh `o=` session id. */
export function newSdpSessionId(): number {
  return randomChunk(4).readUInt32BE(0);
}
