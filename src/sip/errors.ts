/**
 * The sip room's error classes. Each carries machine-readable fields so that callers can decide what to do
 * (answer with a status, drop, close a connection) without reading messages.
 */

/** Why a message failed to parse; stable strings, safe to use as metric labels. */
export type SipParseErrorReason =
  | 'empty'
  | 'no-header-end'
  | 'bad-start-line'
  | 'bad-method'
  | 'bad-request-uri'
  | 'bad-version'
  | 'bad-status-code'
  | 'bad-header-line'
  | 'bad-header-value'
  | 'missing-header'
  | 'duplicate-header'
  | 'bad-content-length'
  | 'body-too-short'
  | 'cseq-method-mismatch'
  | 'too-large';

/** What the parser learned before it gave up; enough to answer a broken request with 400. */
export interface SipParseErrorContext {
  /** Whether the first line looked like a request, a response, or neither. */
  kind: 'request' | 'response' | 'unknown';
  /** The request method when the request line was readable. */
  method?: string;
  /** Header lines read so far (canonical names, unfolded values), in message order. */
  headers: { name: string; value: string }[];
}

/**
 * A message that is not valid SIP. For a request, `status` is what a UAS should answer (400, 505, 501,
 * 413); a broken response is always dropped (`status` is `undefined`).
 */
export class SipParseError extends Error {
  /** Machine-readable cause. */
  readonly reason: SipParseErrorReason;
  /** Status a UAS would answer for a broken request; `undefined` for responses and unreadable input. */
  readonly status: number | undefined;
  /** What was readable of the message. */
  readonly context: SipParseErrorContext;
  /** The human-readable cause without the bracketed reason. */
  readonly detail: string;

  /** @internal Built by the parser and the header accessors. */
  constructor(
    reason: SipParseErrorReason,
    detail: string,
    context?: Partial<SipParseErrorContext>,
    status?: number,
  ) {
    super(`${detail} [reason:${reason}]`);
    this.name = 'SipParseError';
    this.reason = reason;
    this.detail = detail;
    this.context = { kind: context?.kind ?? 'unknown', headers: context?.headers ?? [] };
    if (context?.method !== undefined) {
      this.context.method = context.method;
    }
    this.status = this.context.kind === 'request' ? (status ?? 400) : undefined;
  }

  /** True when a UAS should try to answer (the input was a request with enough headers to route a reply). */
  get answerable(): boolean {
    return this.status !== undefined;
  }
}

/** A transport could not start, send or keep a connection. */
export class SipTransportError extends Error {
  /** 'udp' or 'tcp'. */
  readonly transport: string;
  /** Local or remote host involved. */
  readonly host: string;
  /** Local or remote port involved. */
  readonly port: number;
  /** The system error code when there was one (EADDRINUSE, ECONNREFUSED...). */
  readonly code: string | undefined;

  /** @internal */
  constructor(
    message: string,
    fields: { transport: string; host: string; port: number; code?: string | undefined; cause?: unknown },
  ) {
    super(
      `${message} [transport:${fields.transport}, host:${fields.host}, port:${fields.port}${fields.code === undefined ? '' : `, code:${fields.code}`}]`,
      {
        cause: fields.cause,
      },
    );
    this.name = 'SipTransportError';
    this.transport = fields.transport;
    this.host = fields.host;
    this.port = fields.port;
    this.code = fields.code;
  }
}

/** A client transaction ended without a final response (timer B or F fired, or the transport failed). */
export class SipTransactionError extends Error {
  /** 'timeout' (timer B/F) or 'transport'. */
  readonly kind: 'timeout' | 'transport';
  /** The SIP status a UAC core should assume (408 for timeouts, 503 for transport errors). */
  readonly status: number;

  /** @internal */
  constructor(kind: 'timeout' | 'transport', message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'SipTransactionError';
    this.kind = kind;
    this.status = kind === 'timeout' ? 408 : 503;
  }
}
