import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
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
export function claimUpgrade(request: IncomingMessage): void {
  CLAIMED.add(request);
}

/**
 * Answers `http:error:not-found` to an upgrade no handler took. Every upgrade handler of the process calls
 * it for paths that are not its own; only the last one registered answers, once the others had their turn
 * (the server calls its `upgrade` listeners in order, synchronously).
 */
export function rejectUnclaimedUpgrade(
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
