import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import {
  AclFormatError,
  aclAllows,
  parseAcl,
  TOKEN_REJECTED_DETAIL,
  type Acl,
  type TokenVerifier,
} from '../../auth/index.js';
import {
  ConfabError,
  problemBody,
  type RealtimeTicketRepository,
  type UserRepository,
} from '../../domain/index.js';
import type { AppIdentity } from './AppConnection.js';

/** What {@link authenticateClient} reads. */
export interface ClientAuthDependencies {
  readonly verifier: TokenVerifier;
  readonly tickets: RealtimeTicketRepository;
  readonly users: Pick<UserRepository, 'getByName'>;
}

/**
 * The client user behind a WebSocket upgrade: a one-time `?ticket=` (the browsers' way in), else a client
 * bearer token in `Authorization`. Admin tokens are refused with `system:error:permission` (`what` names
 * the endpoint in that message), as is an ACL that does not allow `required`. Throws a catalogue error
 * (`system:error:invalid-token`, `user:error:not-found`…) that {@link rejectUpgrade} turns into the answer.
 */
export async function authenticateClient(
  deps: ClientAuthDependencies,
  request: IncomingMessage,
  url: URL,
  required: { readonly method: string; readonly path: string },
  what: string,
): Promise<AppIdentity> {
  const ticket = url.searchParams.get('ticket');
  let applicationId: string;
  let userName: string;
  let acl: Acl;
  let rateKey: string;
  if (ticket !== null) {
    const grant = await deps.tickets.redeem(ticket);
    if (grant === null) {
      throw new ConfabError('system:error:invalid-token', TOKEN_REJECTED_DETAIL);
    }
    try {
      acl = parseAcl(grant.acl);
    } catch (error) {
      if (error instanceof AclFormatError) {
        throw new ConfabError('system:error:invalid-token', TOKEN_REJECTED_DETAIL);
      }
      throw error;
    }
    ({ applicationId, userName } = grant);
    rateKey = `${applicationId}\n${userName}`;
  } else {
    const principal = await deps.verifier.verify(request.headers.authorization);
    if (principal.kind === 'admin') {
      throw new ConfabError('system:error:permission', `${what} is for client (user) tokens only.`);
    }
    ({ applicationId, userName, acl } = principal);
    rateKey = principal.tokenId ?? `${applicationId}\n${userName}`;
  }
  if (!aclAllows(acl, required.method, required.path)) {
    throw new ConfabError(
      'system:error:permission',
      `The token ACL does not allow ${required.method} ${required.path}.`,
    );
  }
  const user = await deps.users.getByName(applicationId, userName);
  if (user === null) {
    throw new ConfabError('user:error:not-found', `No user is named ${userName}.`);
  }

  return { caller: { kind: 'client', applicationId, userName }, acl, user, rateKey };
}

/** Answers a refused upgrade with the error's HTTP status and catalogue body, then ends the socket. */
export function rejectUpgrade(socket: Duplex, error: ConfabError): void {
  if (socket.destroyed) {
    return;
  }
  const body = JSON.stringify(problemBody(error.code, error.message));
  socket.end(
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** Marks upgrade requests that some WebSocket endpoint of the process has taken. */
const CLAIMED = new WeakSet<IncomingMessage>();

/** Records that an upgrade handler took `request` (its path is one of its own). */
function claimUpgrade(request: IncomingMessage): void {
  CLAIMED.add(request);
}

/**
 * Answers `http:error:not-found` to an upgrade no handler took. Every upgrade handler of the process calls
 * it for paths that are not its own; only the last one registered answers, once the others had their turn
 * (the server calls its `upgrade` listeners in order, synchronously).
 */
function rejectUnclaimedUpgrade(
  server: Server,
  handler: (...args: never[]) => void,
  request: IncomingMessage,
  socket: Duplex,
  pathname: string,
): void {
  const listeners = server.listeners('upgrade');
  if (listeners[listeners.length - 1] !== handler || CLAIMED.has(request)) {
    return;
  }
  rejectUpgrade(socket, new ConfabError('http:error:not-found', `No WebSocket endpoint at ${pathname}.`));
}

/** One WebSocket endpoint of the HTTP server, as {@link registerWebSocketEndpoint} wires it. */
export interface WebSocketEndpoint {
  /** The fastify route of the path (plain GETs of it get 426). */
  readonly route: string;
  /** The path's parameter when `pathname` is this endpoint's ('' when it has none), else null. */
  match(pathname: string): string | null;
  /** Takes a claimed upgrade. */
  accept(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL, param: string): Promise<void>;
  /** Closes the endpoint's sockets when the server closes. */
  close(): Promise<void>;
}

/**
 * Registers a WebSocket endpoint on the server: a 426 with the catalogue's body for plain GETs, an upgrade
 * listener that claims the endpoint's paths (and leaves the others to the other endpoints; the last one
 * registered refuses what nobody took), and on shutdown the listener goes and the endpoint closes.
 */
export function registerWebSocketEndpoint(app: FastifyInstance, endpoint: WebSocketEndpoint): void {
  app.get(endpoint.route, { schema: { hide: true } }, (_request, reply) =>
    reply
      .code(426)
      .header('upgrade', 'websocket')
      .type('application/json')
      .send(problemBody('http:error:validation-fail', 'This endpoint speaks WebSocket only.')),
  );
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? '/', 'http://confab.invalid');
    const param = endpoint.match(url.pathname);
    if (param === null) {
      rejectUnclaimedUpgrade(app.server, onUpgrade, request, socket, url.pathname);
      return;
    }
    claimUpgrade(request);
    socket.on('error', () => undefined);
    void endpoint.accept(request, socket, head, url, param);
  };
  app.server.on('upgrade', onUpgrade);
  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade);
    await endpoint.close();
  });
}
