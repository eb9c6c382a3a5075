import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { type Logger, silentLogger } from '../../log/index.js';
import { type SipParseError, SipTransportError } from '../errors.js';
import { tryParseMessage } from '../message/parser.js';
import { createErrorResponse } from '../message/responses.js';
import { serializeMessage } from '../message/serializer.js';
import { getTopVia, setTopVia, type SipMessage, type SipResponse } from '../message/SipMessage.js';
import { bareHost } from '../message/SipUri.js';
import { TypedEmitter } from '../TypedEmitter.js';
import { TcpListener, plainAddress, type TcpConnection } from './TcpListener.js';
import {
  type DropReason,
  type Endpoint,
  type PreparedResponse,
  type Source,
  type TransportCounters,
  type TransportEvents,
  type TransportOptions,
  type TransportProtocol,
} from './TransportTypes.js';
import { UdpListener } from './UdpListener.js';

/**
 * The transport layer (RFC 3261 §18): UDP and TCP listeners sharing one parser, with
 * - `received` and `rport` written into the top Via of every inbound request (§18.2.1, RFC 3581),
 * - responses routed by their top Via (§18.2.2): back on the request's TCP connection while it is open,
 *   otherwise to `received`/`rport`, falling back to the sent-by port or 5060,
 * - stateless answers to requests that fail to parse but whose Via is readable; broken responses dropped,
 * - counters of what was received, sent and dropped, as plain numbers.
 * It never resolves DNS names and refuses to send to broadcast or multicast addresses.
 */
export class TransportLayer extends TypedEmitter<TransportEvents> {
  readonly #udp: UdpListener | null;
  readonly #tcp: TcpListener | null;
  readonly #options: Required<Omit<TransportOptions, 'logger' | 'udpPort' | 'tcpPort' | 'admitSource'>>;
  readonly #admitSource: ((source: Source) => boolean) | null;
  readonly #log: Logger;
  readonly #counters: TransportCounters = {
    received: { udp: 0, tcp: 0 },
    sent: { udp: 0, tcp: 0 },
    rejected: 0,
    keepalives: 0,
    dropped: {
      'malformed-request': 0,
      'malformed-response': 0,
      'too-large': 0,
      'stream-framing': 0,
      unroutable: 0,
      'send-failed': 0,
    },
    tcpConnections: 0,
    responses: {},
  };
  #closed = false;

  /** @internal Use {@link createTransportLayer}. */
  constructor(udp: UdpListener | null, tcp: TcpListener | null, options: TransportOptions) {
    super();
    this.#udp = udp;
    this.#tcp = tcp;
    this.#admitSource = options.admitSource ?? null;
    this.#log = (options.logger ?? silentLogger()).child({ module: 'sip.transport' });
    // A throwing listener is a bug in the layer above; it is logged and the transport keeps serving.
    this.onListenerError = (err, event) => {
      this.#log.error({ err, event }, 'sip transport listener failed');
    };
    this.#options = {
      host: options.host,
      advertisedHost: options.advertisedHost ?? options.host,
      maxMessageSize: options.maxMessageSize ?? 65535,
      tcpIdleTimeoutMs: options.tcpIdleTimeoutMs ?? 64_000,
      forceRport: options.forceRport ?? true,
    };
    if (udp !== null) {
      udp.onDatagram = (data, remote): void => {
        this.#inbound(data, { transport: 'udp', address: plainAddress(remote.address), port: remote.port });
      };
    }
    if (tcp !== null) {
      tcp.handlers = {
        message: (data, c) => {
          this.#inbound(data, tcpSource(c));
        },
        keepalive: (c) => {
          this.#counters.keepalives++;
          // RFC 5626 §4.4.1: a double-CRLF ping is answered with a single-CRLF pong.
          tcp.sendOn(c.id, Buffer.from('\r\n'));
        },
        framingError: (error, c) => {
          this.#drop(
            error.reason === 'too-large' ? 'too-large' : 'stream-framing',
            tcpSource(c),
            error.detail,
          );
        },
      };
    }
  }

  /** Live counters (read them, do not change them). */
  get counters(): Readonly<TransportCounters> {
    this.#counters.tcpConnections = this.#tcp?.connectionCount ?? 0;

    return this.#counters;
  }

  /** The address and port to put into Via sent-by and Contact for `transport`; null when it is disabled. */
  localEndpoint(transport: TransportProtocol): { host: string; port: number } | null {
    const listener = transport === 'udp' ? this.#udp : this.#tcp;

    return listener === null ? null : { host: this.#options.advertisedHost, port: listener.port };
  }

  /** Sends a message to an explicit endpoint (requests, ACKs, retransmissions). */
  async send(message: SipMessage, target: Endpoint): Promise<void> {
    await this.#write(serializeMessage(message), target);
  }

  /**
   * Sends a response where RFC 3261 §18.2.2 says: on `source`'s TCP connection while it is open, else to the
   * top Via's `received` address and `rport` (or sent-by port, or 5060). The response goes out on the
   * transport its request arrived on when `source` is given, else on the Via's transport.
   */
  async sendResponse(response: SipResponse, source?: Source): Promise<void> {
    await this.sendPrepared(this.prepareResponse(response, source));
  }

  /**
   * Serializes `response` and works out where {@link TransportLayer.sendResponse} would send it, without
   * sending. Server transactions keep the result to resend the same bytes with
   * {@link TransportLayer.sendPrepared} and let go of the parsed response.
   */
  prepareResponse(response: SipResponse, source?: Source): PreparedResponse {
    const data = serializeMessage(response);
    const connectionId = source?.connectionId;
    let via;
    try {
      via = getTopVia(response);
    } catch (err) {
      const error = new SipTransportError(`response without a usable Via: ${(err as Error).message}`, {
        transport: source?.transport ?? 'udp',
        host: '',
        port: 0,
      });

      return { status: response.status, data, connectionId, target: error };
    }
    const transport: TransportProtocol = source?.transport ?? (via.transport === 'TCP' ? 'tcp' : 'udp');
    const address = via.params.received ?? via.host;
    const rport = via.params.rport;
    // Over UDP the answer follows rport; a new TCP connection goes to the sent-by port (§18.2.2, RFC 3581 §4).
    const useRport = transport === 'udp' && rport !== undefined && rport !== null && /^[0-9]+$/.test(rport);
    const port = useRport ? Number(rport) : (via.port ?? 5060);
    const target = { transport, address: bareHost(address), port };

    return { status: response.status, data, connectionId, target };
  }

  /** Sends (or sends again) a response prepared by {@link TransportLayer.prepareResponse}. */
  async sendPrepared(prepared: PreparedResponse): Promise<void> {
    const { status, data, connectionId, target } = prepared;
    this.#counters.responses[status] = (this.#counters.responses[status] ?? 0) + 1;
    if (connectionId !== undefined && this.#tcp?.sendOn(connectionId, data) === true) {
      this.#counters.sent.tcp++;

      return;
    }
    if (target instanceof SipTransportError) {
      throw target;
    }
    await this.#write(data, target);
  }

  /** Closes both listeners and every connection; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await Promise.all([this.#udp?.close(), this.#tcp?.close()]);
    this.removeAllListeners();
  }

  async #write(data: Buffer, target: Endpoint): Promise<void> {
    const { transport, address, port } = target;
    if (isIP(address) === 0 || isBroadcastOrMulticast(address) || port <= 0 || port > 65535) {
      this.#drop('unroutable', { transport, address, port }, 'not a unicast IP address');
      throw new SipTransportError('refusing to send to a name, broadcast or multicast address', {
        transport,
        host: address,
        port,
      });
    }
    if (data.length > this.#options.maxMessageSize) {
      throw new SipTransportError(
        `message of ${data.length} bytes exceeds the ${this.#options.maxMessageSize} byte limit`,
        { transport, host: address, port },
      );
    }
    const listener = transport === 'udp' ? this.#udp : this.#tcp;
    if (listener === null) {
      throw new SipTransportError(`${transport} is not enabled`, { transport, host: address, port });
    }
    try {
      await listener.send(data, address, port);
      this.#counters.sent[transport]++;
    } catch (err) {
      this.#drop('send-failed', { transport, address, port }, (err as Error).message);
      throw err;
    }
  }

  #inbound(data: Buffer, source: Source): void {
    if (this.#closed) {
      return;
    }
    if (this.#admitSource !== null && !this.#admitSource(source)) {
      return;
    }
    if (data.every((b) => b === 0x0d || b === 0x0a)) {
      this.#counters.keepalives++;

      return;
    }
    const parsed = tryParseMessage(data, {
      maxSize: this.#options.maxMessageSize,
      stream: source.transport === 'tcp',
    });
    if (!parsed.ok) {
      this.#rejectMalformed(parsed.error, source);

      return;
    }
    const message = parsed.message;
    this.#counters.received[source.transport]++;
    if (message.kind === 'response') {
      this.safeEmit('response', message, source);

      return;
    }
    const via = getTopVia(message);
    const params = { ...via.params };
    const wantsRport = 'rport' in params || this.#options.forceRport;
    if (bareHost(via.host) !== source.address || wantsRport) {
      params.received = source.address;
    }
    if (wantsRport) {
      params.rport = String(source.port);
    }
    setTopVia(message, { ...via, params });
    this.safeEmit('request', message, source);
  }

  #rejectMalformed(error: SipParseError, source: Source): void {
    const reason: DropReason =
      error.reason === 'too-large'
        ? 'too-large'
        : error.context.kind === 'response'
          ? 'malformed-response'
          : 'malformed-request';
    this.#drop(reason, source, error.detail);
    const response = createErrorResponse(error, randomBytes(6).toString('hex'));
    if (response === null) {
      return;
    }
    // The Via of a broken request cannot be trusted, so the answer goes straight back to the sender.
    this.#counters.rejected++;
    this.#counters.responses[response.status] = (this.#counters.responses[response.status] ?? 0) + 1;
    this.#write(serializeMessage(response), source).catch(() => undefined);
  }

  #drop(reason: DropReason, source: Endpoint, detail: string): void {
    this.#counters.dropped[reason]++;
    this.#log.debug(
      { reason, transport: source.transport, address: source.address, port: source.port, detail },
      'sip message dropped',
    );
    this.safeEmit('drop', reason, source, detail);
  }
}

function tcpSource(c: TcpConnection): Source {
  return { transport: 'tcp', address: c.address, port: c.port, connectionId: c.id };
}

function isBroadcastOrMulticast(address: string): boolean {
  if (isIP(address) === 4) {
    const first = Number(address.split('.')[0]);

    return address === '255.255.255.255' || (first >= 224 && first <= 239);
  }

  return address.toLowerCase().startsWith('ff');
}

/**
 * Starts the configured listeners. Either everything starts or nothing stays open: when one listener
 * fails (a port in use), the others are closed and a {@link SipTransportError} names transport, host and
 * port. With both ports 0, TCP takes the port UDP got so that one port number serves both.
 */
export async function createTransportLayer(options: TransportOptions): Promise<TransportLayer> {
  const udpPort = options.udpPort === undefined ? 5060 : options.udpPort;
  const tcpPort = options.tcpPort === undefined ? 5060 : options.tcpPort;
  const maxSize = options.maxMessageSize ?? 65535;
  const idle = options.tcpIdleTimeoutMs ?? 64_000;
  for (let attempt = 0; ; attempt++) {
    const udp = udpPort === null ? null : await UdpListener.bind(options.host, udpPort);
    const samePort = udp !== null && udpPort === 0 && tcpPort === 0;
    try {
      const tcp =
        tcpPort === null
          ? null
          : await TcpListener.listen(options.host, samePort ? udp.port : tcpPort, maxSize, idle);

      return new TransportLayer(udp, tcp, options);
    } catch (err) {
      await udp?.close();
      const retry = samePort && err instanceof SipTransportError && err.code === 'EADDRINUSE' && attempt < 5;
      if (!retry) {
        throw err;
      }
    }
  }
}
