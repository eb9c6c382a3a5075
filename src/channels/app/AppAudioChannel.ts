import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { TokenRejectedError, type TokenVerifier } from '../../auth/index.js';
import {
  ConfabError,
  isConfabError,
  type EventPort,
  type Leg,
  type RealtimeTicketRepository,
} from '../../domain/index.js';
import { silentLogger, type Logger } from '../../log/index.js';
import { CallService, type LegRecords, type Repositories } from '../../services/index.js';
import type { ConversationMediaHub } from '../media/ConversationMediaHub.js';
import type { LegAudio } from '../media/ConversationMediaHubTypes.js';
import { AppAudioConnection } from './AppAudioConnection.js';
import type { AppRing, AppRinging } from './AppRinging.js';
import { authenticateClient, registerWebSocketEndpoint, rejectUpgrade } from './clientAuth.js';

/** The path of the audio socket; the conversation id is the one capture. */
const AUDIO_PATH = /^\/v1\/conversations\/([^/]+)\/audio\/?$/;
/** The socket's audio rate (the Vonage WebSocket default). */
const RATE = 16000;
/** Close code of a server shutting down. */
const CLOSE_GOING_AWAY = 1001;

/** Options of {@link AppAudioChannel}. */
export interface AppAudioChannelOptions {
  /** The process's media hub; each socket is a leg on it. */
  readonly hub: ConversationMediaHub;
  /** Verifies the bearer JWT of a connecting client. */
  readonly verifier: TokenVerifier;
  /** One-time tickets (`POST /v1/realtime/tickets`), for browsers. */
  readonly tickets: RealtimeTicketRepository;
  /** Users, conversations (membership check), members and legs. */
  readonly repositories: Pick<Repositories, 'users' | 'conversations' | 'members' | 'legs'>;
  /** The event pipeline: the leg's `leg:status:update` events. */
  readonly eventPort: EventPort;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
  /** Ping period of each socket. @defaultValue 25000 */
  readonly pingIntervalMs?: number;
  /**
   * App calls ringing in this process: a socket of a rung user for that conversation answers the call,
   * taking over its leg (the member may still be INVITED). None: every socket is a leg of its own.
   */
  readonly ringing?: AppRinging;
}

/** One live audio socket. */
interface LiveSocket {
  readonly connection: AppAudioConnection;
  readonly ended: Promise<void>;
}

/**
 * In-app voice without WebRTC (#6 item 7): `GET /v1/conversations/{id}/audio` upgraded to a WebSocket for a
 * client user whose member in the conversation has JOINED. The socket is an App-channel leg (a `Leg` of
 * type `app` naming the member, with `leg:status:update` events `started`, `answered`, then `completed`),
 * joined to the conversation's audio on the media hub: the first frame is
 * `{"event":"websocket:connected","content-type":"audio/l16;rate=16000",…}`, then binary 20 ms frames of
 * the mix of the others; the client's binary messages of any size are played into the conversation.
 * Closing the socket ends the leg.
 *
 * A user rung by the Calls API (`connect` or `POST /v1/calls` to an `app` endpoint, see {@link AppRinging})
 * answers by opening this socket for the conversation it was invited to: the socket then carries the rung
 * leg (no new one), and its member may still be INVITED.
 *
 * Authentication is the realtime channel's: a client bearer token or a one-time `?ticket=`, whose ACL
 * must allow `GET` on the path. Refusals are the catalogue's HTTP errors on the upgrade, with no socket:
 * 401 for a bad token, 403 for an admin token or a member not yet JOINED, 404 for a conversation the user
 * is not a member of (the same answer as a missing one).
 */
export class AppAudioChannel {
  readonly #hub: ConversationMediaHub;
  readonly #options: AppAudioChannelOptions;
  readonly #calls: CallService;
  readonly #log: Logger;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<LiveSocket>();
  #closing = false;

  /** @param options - hub, auth, repositories, event pipeline */
  constructor(options: AppAudioChannelOptions) {
    this.#hub = options.hub;
    this.#options = options;
    this.#calls = new CallService(options.repositories, options.eventPort);
    this.#log = (options.logger ?? silentLogger()).child({ component: 'app-audio' });
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: 65_536,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  /** Audio sockets open now in this process. */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  /** The fastify plugin: the upgrade handler, a 426 answer to plain GETs, closing sockets on shutdown. */
  readonly plugin = (app: FastifyInstance): Promise<void> => {
    registerWebSocketEndpoint(app, {
      route: '/v1/conversations/:id/audio',
      match: (pathname) => {
        const id = AUDIO_PATH.exec(pathname)?.[1];

        return id === undefined ? null : decodeURIComponent(id);
      },
      accept: (request, socket, head, url, conversationId) =>
        this.#accept(request, socket, head, url, conversationId),
      close: () => this.close(),
    });

    return Promise.resolve();
  };

  /** Closes every socket with 1001 and waits for their legs to be completed; refuses new ones. */
  async close(): Promise<void> {
    this.#closing = true;
    const ending = [...this.#sockets].map((live) => {
      live.connection.close(CLOSE_GOING_AWAY, 'server shutting down');

      return live.ended;
    });
    await Promise.all(ending);
  }

  async #accept(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    url: URL,
    conversationId: string,
  ): Promise<void> {
    let records: LegRecords | undefined;
    let ring: AppRing | undefined;
    try {
      if (this.#closing) {
        throw new ConfabError('system:error:unavailable', 'The server is shutting down.');
      }
      const repos = this.#options.repositories;
      const identity = await authenticateClient(
        { verifier: this.#options.verifier, tickets: this.#options.tickets, users: repos.users },
        request,
        url,
        { method: 'GET', path: url.pathname },
        'The conversation audio socket',
      );
      const { applicationId, userName } = identity.caller;
      const found = await repos.conversations.getWithUser(applicationId, conversationId, userName);
      const member = found.member;
      if (found.conversation === null || member === null || member.state === 'LEFT') {
        throw new ConfabError(
          'conversation:error:not-found',
          `Conversation does not exist, or you do not have access [id:${conversationId}].`,
        );
      }
      const ringing = this.#options.ringing;
      const rung = ringing?.has(applicationId, conversationId, userName) === true;
      if (member.state !== 'JOINED' && !rung) {
        throw new ConfabError('event:error:not-joined', 'The member has not joined the conversation.');
      }
      if (found.conversation.state !== 'ACTIVE') {
        throw new ConfabError(
          'conversation:error:not-allowed',
          `The conversation is ${found.conversation.state}.`,
        );
      }
      if (socket.destroyed) {
        return;
      }
      // ws refuses a malformed handshake without calling back; refuse it here, before any leg exists.
      if (!isWebSocketHandshake(request)) {
        throw new ConfabError('http:error:validation-fail', 'This is not a WebSocket handshake.');
      }
      ring = ringing?.take(applicationId, conversationId, userName);
      if (ring !== undefined) {
        // The user answers a call that rings it: the socket carries the rung leg.
        const answering = ring;
        records = ring.records;
        this.#wss.handleUpgrade(request, socket, head, (ws) => {
          this.#open(ws, answering.records, answering.memberId, answering);
        });

        return;
      }
      if (member.state !== 'JOINED') {
        // The ring ended (or another socket answered it) while this one was being checked.
        throw new ConfabError('event:error:not-joined', 'The member has not joined the conversation.');
      }
      const created = await repos.legs.create(applicationId, {
        conversationId,
        memberId: member.id,
        type: 'app',
        direction: 'inbound',
        from: { type: 'app', user: userName },
        to: { type: 'app', conversation_id: conversationId },
        status: 'started',
      });
      // The first status is recorded by the `started` event below, as for every other leg.
      const leg = await repos.legs.update(applicationId, created.id, { statusHistory: [] });
      // The member's channel names its live leg, as a phone member's does.
      await repos.members.update(applicationId, conversationId, member.id, {
        channel: { ...member.channel, legId: leg.id },
      });
      records = { conversation: { id: conversationId }, leg };
      const started = records;
      void this.#calls.status(started, 'started').catch(() => undefined);
      this.#wss.handleUpgrade(request, socket, head, (ws) => {
        this.#open(ws, started, member.id);
      });
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        this.#log.info({ reason: error.reason }, 'audio socket token rejected');
      } else if (!isConfabError(error)) {
        this.#log.error({ err: error }, 'audio socket upgrade failed');
      }
      if (records !== undefined) {
        void this.#calls.status(records, 'failed', { reason: 'upgrade failed' }).catch(() => undefined);
      }
      rejectUpgrade(socket, isConfabError(error) ? error : new ConfabError('system:error:internal-error'));
    }
  }

  #open(ws: WebSocket, records: LegRecords, memberId: string, ring?: AppRing): void {
    const leg: Leg = records.leg;
    const log = this.#log.child({ legId: leg.id, conversationId: leg.conversationId });
    const connection = new AppAudioConnection(ws, {
      sampleRate: RATE,
      pingIntervalMs: this.#options.pingIntervalMs ?? 25_000,
      maxBufferedBytes: RATE * 2,
      maxQueueBytes: RATE * 2 * 60,
      connectedInfo: { conversation_id: leg.conversationId, leg_id: leg.id, member_id: memberId },
      logger: log,
    });
    let resolveEnded: () => void = () => undefined;
    const live: LiveSocket = {
      connection,
      ended: new Promise<void>((resolve) => {
        resolveEnded = resolve;
      }),
    };
    this.#sockets.add(live);
    let audio: LegAudio | undefined;
    // A socket that came too late for the call it would answer leaves the leg's statuses alone.
    let late = false;
    connection.onClosed((code, reason) => {
      audio?.close();
      this.#sockets.delete(live);
      log.debug({ code, reason, ...connection.stats }, 'audio socket closed');
      if (late) {
        resolveEnded();
        return;
      }
      this.#calls
        .status(records, 'completed', { reason: code === CLOSE_GOING_AWAY ? 'server shutdown' : 'ok' })
        .catch((err: unknown) => {
          log.warn({ err }, 'audio leg final status not recorded');
        })
        .finally(resolveEnded);
    });
    if (this.#closing || this.#hub.closed) {
      connection.close(CLOSE_GOING_AWAY, 'server shutting down');
      return;
    }
    try {
      audio = this.#hub.attachEndpoint(connection, leg.id, leg.conversationId, {
        kind: 'app',
        deliverDtmf: (digit, durationMs) => {
          connection.sendDtmf(digit, durationMs);
        },
        release: () => {
          connection.close();
        },
      });
    } catch (error) {
      log.error({ err: error }, 'audio socket could not join the conversation');
      connection.close(1011, 'media unavailable');
      return;
    }
    if (ring !== undefined) {
      const answered = ring.answer({ audio, hangup: () => connection.close(), ended: live.ended });
      if (!answered) {
        late = true;
        connection.close(1000, 'call ended');
        return;
      }
    }
    void this.#calls.status(records, 'answered').catch(() => undefined);
  }
}

/** Whether the upgrade request carries what ws requires of a handshake (RFC 6455 §4.2.1). */
function isWebSocketHandshake(request: IncomingMessage): boolean {
  const key = request.headers['sec-websocket-key'];

  return (
    request.method === 'GET' &&
    request.headers.upgrade?.toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key.trim()) &&
    (request.headers['sec-websocket-version'] === '13' || request.headers['sec-websocket-version'] === '8')
  );
}

/** Builds the conversation audio channel of a process (one per process, over its media hub). */
export function createAppAudioChannel(options: AppAudioChannelOptions): AppAudioChannel {
  return new AppAudioChannel(options);
}
