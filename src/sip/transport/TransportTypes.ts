import { type Logger } from '../../log/index.js';
import { type SipTransportError } from '../errors.js';
import { type SipRequest, type SipResponse } from '../message/SipMessage.js';

/** Transports confab listens on. */
export type TransportProtocol = 'udp' | 'tcp';

/** Where a message came from, or where one goes. */
export interface Endpoint {
  /** 'udp' or 'tcp'. */
  transport: TransportProtocol;
  /** IP address (no DNS names: confab answers without resolving anything). */
  address: string;
  /** Port. */
  port: number;
}

/** An inbound message's origin, with the TCP connection it arrived on so that answers can reuse it. */
export interface Source extends Endpoint {
  /** Identifier of the TCP connection; absent for UDP. */
  connectionId?: string;
}

/**
 * A response serialized once, with where RFC 3261 §18.2.2 sends it: on the request's TCP connection while
 * it is open, else to `target`. A `target` that is an error means the top Via was unusable; sending fails.
 */
export interface PreparedResponse {
  /** Status code (for the transport counters). */
  readonly status: number;
  /** The serialized response. */
  readonly data: Buffer;
  /** The TCP connection the request came on, if any. */
  readonly connectionId: string | undefined;
  /** Where the response goes when there is no open connection, or why it cannot go anywhere. */
  readonly target: Endpoint | SipTransportError;
}

/** Options of {@link createTransportLayer}. */
export interface TransportOptions {
  /** Address to bind, for example '127.0.0.1' or '0.0.0.0'. */
  host: string;
  /**
   * Address written into Via sent-by and Contact; needed when binding a wildcard address.
   * @defaultValue `host`
   */
  advertisedHost?: string;
  /**
   * UDP port; 0 picks a free one; null disables UDP.
   * @defaultValue 5060
   */
  udpPort?: number | null;
  /**
   * TCP port; 0 picks a free one; null disables TCP.
   * @defaultValue 5060
   */
  tcpPort?: number | null;
  /**
   * Largest message in bytes, on either transport. Larger datagrams are answered 413 (requests) or dropped;
   * a larger message on a connection closes it.
   * @defaultValue 65535
   */
  maxMessageSize?: number;
  /**
   * A TCP connection with no traffic for this long is closed.
   * @defaultValue 64000 (64 × T1, the longest a transaction can need it)
   */
  tcpIdleTimeoutMs?: number;
  /**
   * Answer every request at its source port even without `rport` (symmetric response routing, the usual
   * behaviour towards NATed trunks). When false, RFC 3261 §18.2.2 is followed to the letter.
   * @defaultValue true
   */
  forceRport?: boolean;
  /** Logger; the transport logs dropped traffic at debug level (the counters are the place to watch). */
  logger?: Logger;
  /**
   * Decides, before anything is parsed, whether traffic from `source` is looked at at all. A source it
   * refuses gets no reply of any kind (not even a 400 for a broken message) and allocates nothing; the
   * filter itself is expected to count what it refuses.
   * @defaultValue every source is admitted
   */
  admitSource?: (source: Source) => boolean;
}

/** Why an inbound message was not handed upwards. */
export type DropReason =
  'malformed-request' | 'malformed-response' | 'too-large' | 'stream-framing' | 'unroutable' | 'send-failed';

/** Plain-number counters; the composition root maps them to metrics. */
export interface TransportCounters {
  /** Messages parsed and delivered upwards, per transport. */
  received: Record<TransportProtocol, number>;
  /** Messages written, per transport. */
  sent: Record<TransportProtocol, number>;
  /** Requests answered statelessly by the transport (400, 413, 505...) because they failed to parse. */
  rejected: number;
  /** CRLF keepalives seen. */
  keepalives: number;
  /** Messages dropped, by reason. */
  dropped: Record<DropReason, number>;
  /** Open TCP connections. */
  tcpConnections: number;
  /** Responses sent (stateful and stateless), by status code. */
  responses: Record<number, number>;
}

/** Events of a transport layer. */
export interface TransportEvents extends Record<string, unknown[]> {
  /** A parsed request (top Via already carries `received`/`rport`). */
  request: [request: SipRequest, source: Source];
  /** A parsed response. */
  response: [response: SipResponse, source: Source];
  /** A message was dropped. */
  drop: [reason: DropReason, source: Source, detail: string];
}
