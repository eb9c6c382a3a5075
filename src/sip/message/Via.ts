import { Scanner, serializeParams } from './Scanner.js';
import { parseHostPort } from './SipUri.js';

/**
 * One Via entry (RFC 3261 §20.42, RFC 3581 for `rport`):
 *
 * ```
 * via-parm       =  sent-protocol LWS sent-by *( SEMI via-params )
 * sent-protocol  =  protocol-name SLASH protocol-version SLASH transport
 * sent-by        =  host [ COLON port ]
 * via-params     =  via-ttl / via-maddr / via-received / via-branch / via-extension
 * ```
 */
export interface Via {
  /** `SIP/2.0` (protocol name and version, name in upper case). */
  protocol: string;
  /** Transport in upper case: UDP, TCP, TLS, SCTP, WS or anything else. */
  transport: string;
  /** sent-by host. */
  host: string;
  /** sent-by port, or null. */
  port: number | null;
  /** Parameters (branch, received, rport, maddr, ttl...); names in lower case, `rport` null until filled. */
  params: Record<string, string | null>;
}

/** The magic cookie that marks an RFC 3261 branch (§8.1.1.7). */
export const BRANCH_COOKIE = 'z9hG4bK';

/** Parses one via-parm (after the list was split on commas). */
export function parseVia(value: string): Via {
  const s = new Scanner(value);
  const name = s.requireToken('a protocol name');
  s.expect('/', 'in the sent-protocol');
  const version = s.requireToken('a protocol version');
  s.expect('/', 'in the sent-protocol');
  const transport = s.requireToken('a transport');
  s.skipLws();
  const hostStart = s.pos;
  if (s.peek() === '[') {
    s.token('[]:');
  } else {
    s.token();
  }
  let hostPort = value.slice(hostStart, s.pos);
  if (s.eat(':')) {
    s.skipLws();
    const port = s.token();
    hostPort += `:${port}`;
  }
  if (hostPort === '') {
    s.fail('expected the sent-by host');
  }
  const { host, port } = parseHostPort(hostPort);
  const params = s.params();
  s.end('the Via');

  return {
    protocol: `${name.toUpperCase()}/${version}`,
    transport: transport.toUpperCase(),
    host,
    port,
    params,
  };
}

/** Serializes in canonical form: `SIP/2.0/UDP host:port;params`. */
export function serializeVia(via: Via): string {
  const sentBy = via.port === null ? via.host : `${via.host}:${via.port}`;

  return `${via.protocol}/${via.transport} ${sentBy}${serializeParams(via.params)}`;
}

/** The branch parameter, or null. */
export function viaBranch(via: Via): string | null {
  return via.params.branch ?? null;
}

/** True when the branch carries the RFC 3261 magic cookie and something after it. */
export function hasRfc3261Branch(via: Via): boolean {
  const branch = viaBranch(via);

  return branch !== null && branch.startsWith(BRANCH_COOKIE) && branch.length > BRANCH_COOKIE.length;
}
