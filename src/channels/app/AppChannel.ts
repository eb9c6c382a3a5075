import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { TokenRejectedError } from '../../auth/index.js';
import { ConfabError, isConfabError, REALTIME_SESSION_ACL } from '../../domain/index.js';
import type { Logger } from '../../log/index.js';
import { EnhancedEventEmitter } from '../../media/index.js';
import {
  resolveAppChannelOptions,
  type AppChannelEvents,
  type AppChannelOptions,
  type ResolvedAppChannelOptions,
} from './AppChannelTypes.js';
import { AppConnection, CLOSE_GOING_AWAY, type AppIdentity } from './AppConnection.js';
import { authenticateClient, registerWebSocketEndpoint, rejectUpgrade } from './clientAuth.js';
import { parseSince } from './frames.js';

/** Most fragments one client message may come in. */
const MAX_FRAGMENTS = 64;
/** Most TCP chunks buffered while one frame is parsed. */
const MAX_BUFFERED_CHUNKS = 1024;

/**
 * The realtime App channel: `GET /v1/realtime` upgraded to a WebSocket for client users. Build it once per
 * process with {@link createAppChannel} and register `plugin` on the HTTP server.
 *
 * Who may connect: a client token (`sub` names an existing user) in `Authorization: Bearer`, or a
 * one-time `?ticket=` from `POST /v1/realtime/tickets`; either way the ACL must allow `POST /v1/sessions`.
 * Admin tokens are refused with 403: a socket is a Session of one user and follows that user's
 * memberships, which an application token does not have (applications get events by webhook).
 * A refused upgrade is answered with an HTTP error status and the catalogue's JSON body, and no socket.
 *
 * Resume: `?since=` maps conversation ids to the last event id seen (JSON, or base64url of JSON). Every
 * conversation of the user is then caught up from the log (one absent from the map from its start), and a
 * `ready` frame follows. Without `since`, delivery starts with the next live event.
 */
export class AppChannel {
  /** Monitoring events: `open`, `close`, `dead`. */
  readonly observer = new EnhancedEventEmitter<AppChannelEvents>();
  readonly #options: ResolvedAppChannelOptions;
  readonly #log: Logger;
  readonly #wss: WebSocketServer;
  readonly #connections = new Set<AppConnection>();
  /** Open sockets per `<application>\n<user id>`, for the per-user cap. */
  readonly #perUser = new Map<string, number>();
  #closing = false;

  /** @private Use {@link createAppChannel}. */
  constructor(options: AppChannelOptions) {
    this.#options = resolveAppChannelOptions(options);
    this.#log = this.#options.logger.child({ component: 'app-channel' });
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.#options.maxPayloadBytes,
      maxFragments: MAX_FRAGMENTS,
      maxBufferedChunks: MAX_BUFFERED_CHUNKS,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  /** Sockets open now in this process. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** The fastify plugin: the upgrade handler, a 426 answer to plain GETs, and closing sockets on shutdown. */
  readonly plugin = (app: FastifyInstance): Promise<void> => {
    const path = this.#options.path;
    registerWebSocketEndpoint(app, {
      route: path,
      match: (pathname) => (pathname.replace(/\/+$/, '') === path ? '' : null),
      accept: (request, socket, head, url) => this.#accept(request, socket, head, url),
      close: () => this.close(),
    });

    return Promise.resolve();
  };

  /** Closes every socket with 1001 and waits for their sessions to be deleted; refuses new ones. */
  async close(): Promise<void> {
    this.#closing = true;
    const closing = [...this.#connections].map((connection) => {
      connection.close(CLOSE_GOING_AWAY, 'server shutting down');

      return connection.closed;
    });
    await Promise.all(closing);
  }

  async #accept(request: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    try {
      if (this.#closing) {
        throw new ConfabError('system:error:unavailable', 'The server is shutting down.');
      }
      const sinceRaw = url.searchParams.get('since');
      const since = sinceRaw === null ? null : parseSince(sinceRaw);
      const identity = await this.#authenticate(request, url);
      if (socket.destroyed) {
        return;
      }
      const userKey = `${identity.caller.applicationId}\n${identity.user.id}`;
      const open = this.#perUser.get(userKey) ?? 0;
      if (open >= this.#options.maxSocketsPerUser) {
        throw new ConfabError(
          'http:error:too-many-requests',
          `At most ${this.#options.maxSocketsPerUser} sockets per user.`,
        );
      }
      // The slot is taken before the handshake, so that concurrent upgrades cannot overshoot the cap.
      this.#perUser.set(userKey, open + 1);
      const release = (): void => {
        const left = (this.#perUser.get(userKey) ?? 1) - 1;
        if (left > 0) {
          this.#perUser.set(userKey, left);
        } else {
          this.#perUser.delete(userKey);
        }
      };
      socket.once('close', release);
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#open(ws, identity, since));
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        this.#log.info({ reason: error.reason }, 'realtime token rejected');
      } else if (!isConfabError(error)) {
        this.#log.error({ err: error }, 'realtime upgrade failed');
      }
      rejectUpgrade(socket, isConfabError(error) ? error : new ConfabError('system:error:internal-error'));
    }
  }

  /** The client behind a ticket or a bearer token, with its user; throws a catalogue error otherwise. */
  #authenticate(request: IncomingMessage, url: URL): Promise<AppIdentity> {
    return authenticateClient(
      {
        verifier: this.#options.verifier,
        tickets: this.#options.tickets,
        users: this.#options.repositories.users,
      },
      request,
      url,
      REALTIME_SESSION_ACL,
      'The realtime channel',
    );
  }

  #open(ws: WebSocket, identity: AppIdentity, since: ReadonlyMap<string, number> | null): void {
    if (this.#closing) {
      ws.close(CLOSE_GOING_AWAY, 'server shutting down');
      return;
    }
    const connection = new AppConnection(ws, identity, this.#options, since, (info) => {
      this.#connections.delete(connection);
      this.observer.safeEmit('close', info);
    });
    this.#connections.add(connection);
    void connection.start({
      onOpen: (sessionId) => this.observer.safeEmit('open', { sessionId, userId: identity.user.id }),
      onDead: () =>
        this.observer.safeEmit('dead', { sessionId: connection.sessionId, userId: identity.user.id }),
    });
  }
}

/** Builds the App channel of a process (one per process: it shares the process's realtime feed). */
export function createAppChannel(options: AppChannelOptions): AppChannel {
  return new AppChannel(options);
}
