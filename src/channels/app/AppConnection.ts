import { type WebSocket, type RawData } from 'ws';
import { aclAllows, type Acl } from '../../auth/index.js';
import { ConfabError, isConfabError, type ConversationEvent, type User } from '../../domain/index.js';
import type { Logger } from '../../log/index.js';
import type { ClientCaller } from '../../services/index.js';
import { Heartbeat } from '../websocket/Heartbeat.js';
import type { AppSocketClosedInfo, ResolvedAppChannelOptions } from './AppChannelTypes.js';
import { SessionKeeper } from './SessionKeeper.js';
import {
  ackFrame,
  errorFrame,
  eventFrame,
  parseClientFrame,
  READY_FRAME,
  sessionFrame,
  type PostRequest,
} from './frames.js';

/** Close code of a consumer that stopped reading (RFC 6455 "Try Again Later"). */
export const CLOSE_TOO_SLOW = 1013;
/** Close code of an internal failure. */
const CLOSE_INTERNAL = 1011;
/** Close code of a server shutting down. */
export const CLOSE_GOING_AWAY = 1001;

/** Events read per catch-up page. */
const CATCH_UP_PAGE = 100;
/** How often a paused catch-up looks at the socket's buffer again. */
const PACE_POLL_MS = 10;

/** Membership events that change which conversations a user follows. */
const JOINING = new Set(['member:invited', 'member:joined']);
/** Membership events after which a user no longer follows the conversation. */
const LEAVING = new Set(['member:left']);

/** The delivery state of one conversation the socket follows. */
interface Followed {
  /** The last event id sent, or null before the first one (a fresh connect starts with the next live event). */
  lastId: number | null;
  /** A catch-up from the event log is running. */
  syncing: boolean;
  /** A live event arrived during the catch-up: read the log once more before going live. */
  dirty: boolean;
  /** `lastId` came from the client's resume map and is not yet checked against the log. */
  claimed: boolean;
}

/** Who is connected, as checked at the upgrade. */
export interface AppIdentity {
  readonly caller: ClientCaller;
  readonly acl: Acl;
  readonly user: User;
  /** A `jti`-like key for the rate limiter. */
  readonly rateKey: string;
}

/**
 * One open App-channel socket of a client user. It is built by the App channel once the upgrade is
 * authenticated, and owns the socket's Session, heartbeat, feed subscription and delivery state.
 *
 * Delivery, per conversation, keeps `lastId`, the last event id sent. A live event is sent when it is the
 * next id (or the first event seen after a fresh connect), dropped when it is not newer, and otherwise
 * (a gap: the feed is at most once) it starts a catch-up that reads the event log from `lastId + 1`. While
 * a catch-up runs, live events of that conversation only mark it dirty, and the catch-up reads the log
 * again until a pass finds nothing new with nothing arrived meanwhile. Recording is atomic and ids are
 * contiguous, so the log read and the live feed together give every event once and in order.
 *
 * Memory is bounded without a queue of our own: a live event is written at once or, when the socket
 * already holds `maxBufferedBytes`, the socket is closed with 1013; a catch-up holds one page and waits
 * for the socket's buffer to fall below half the cap before each frame.
 *
 * Close cascade (runs once, whoever closes): heartbeat and refresh timers stop, the feed listener goes,
 * the Session is deleted, the observer hears `close`.
 */
export class AppConnection {
  readonly #socket: WebSocket;
  readonly #identity: AppIdentity;
  readonly #options: ResolvedAppChannelOptions;
  readonly #since: ReadonlyMap<string, number> | null;
  readonly #log: Logger;
  readonly #onClosed: (info: AppSocketClosedInfo) => void;
  readonly #followed = new Map<string, Followed>();
  readonly #session: SessionKeeper;
  #heartbeat: Heartbeat | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #inFlight = 0;
  #maxBuffered = 0;
  #eventsSent = 0;
  #sentCode: number | null = null;
  #closed = false;
  #resolveClosed: () => void = () => undefined;
  /** Resolves once the socket has ended and its Session is deleted. */
  readonly closed = new Promise<void>((resolve) => {
    this.#resolveClosed = resolve;
  });

  /** @private Built by the App channel after the upgrade. */
  constructor(
    socket: WebSocket,
    identity: AppIdentity,
    options: ResolvedAppChannelOptions,
    since: ReadonlyMap<string, number> | null,
    onClosed: (info: AppSocketClosedInfo) => void,
  ) {
    this.#socket = socket;
    this.#identity = identity;
    this.#options = options;
    this.#since = since;
    this.#onClosed = onClosed;
    this.#log = options.logger.child({ component: 'app-channel', userId: identity.user.id });
    this.#session = new SessionKeeper(
      options.repositories.sessions,
      { applicationId: identity.caller.applicationId, userId: identity.user.id },
      options.sessionTtlSeconds,
      this.#log,
      (session) => this.#send(sessionFrame(session.id, session.userId)),
    );
  }

  /** The socket's Session id, once it exists. */
  get sessionId(): string | null {
    return this.#session.id;
  }

  /**
   * Opens the Session, follows the feed, loads the user's conversations and runs the resume catch-up.
   * Resolves once the `ready` frame is sent (or the socket has ended meanwhile); `onOpen` is called once
   * the Session exists, `onDead` when the peer stopped answering pings.
   */
  async start(hooks: { onOpen: (sessionId: string) => void; onDead: () => void }): Promise<void> {
    const socket = this.#socket;
    socket.on('close', (code: number, reason: Buffer) => void this.#finish(code, reason.toString('utf8')));
    socket.on('error', (error: Error) => this.#log.debug({ err: error.message }, 'socket error'));
    this.#heartbeat = new Heartbeat(socket, this.#options.pingIntervalMs, () => {
      this.#log.info({ sessionId: this.sessionId }, 'peer did not answer pings; terminating');
      hooks.onDead();
    });
    socket.on('message', (data: RawData, isBinary: boolean) => {
      this.#heartbeat?.alive();
      this.#onMessage(data, isBinary);
    });
    try {
      const { caller, user } = this.#identity;
      const session = await this.#session.open();
      if (session === null) {
        return;
      }
      this.#send(sessionFrame(session.id, user.id));
      hooks.onOpen(session.id);
      const unsubscribe = await this.#options.feed.subscribe(caller.applicationId, {
        onEvent: (event) => this.#onLive(event),
        onResync: () => this.#resyncAll(),
      });
      if (this.#closed) {
        unsubscribe();
        return;
      }
      this.#unsubscribe = unsubscribe;
      await this.#loadMembership();
      // One conversation at a time, so that a resume holds at most one page of events in memory.
      for (const [conversationId, state] of [...this.#followed]) {
        if (state.lastId !== null && !this.#closed) {
          await this.#catchUp(conversationId, state);
        }
      }
      if (!this.#closed) {
        this.#send(READY_FRAME);
      }
    } catch (error) {
      this.#log.error({ err: error }, 'App channel socket failed to start');
      this.close(CLOSE_INTERNAL, 'internal error');
    }
  }

  /** Closes the socket with `code`, terminating it when the close handshake does not finish in time. */
  close(code: number, reason: string): void {
    if (this.#closed || this.#graceTimer !== undefined) {
      return;
    }
    this.#sentCode = code;
    this.#socket.close(code, reason);
    this.#graceTimer = setTimeout(() => this.#socket.terminate(), this.#options.closeGraceMs);
    this.#graceTimer.unref();
  }

  /**
   * The user's INVITED or JOINED conversations: exactly those REST lets it read. One it has LEFT is not
   * followed, even when the resume map names it (REST answers `conversation:error:not-found` there too).
   */
  async #loadMembership(): Promise<void> {
    const { caller, user } = this.#identity;
    let cursor: string | undefined;
    do {
      const page = await this.#options.repositories.members.listConversationsOfUser(
        caller.applicationId,
        user.id,
        {
          pageSize: 100,
          order: 'asc',
          ...(cursor === undefined ? {} : { cursor }),
        },
      );
      for (const { conversation, member } of page.items) {
        const seen = this.#since?.get(conversation.id);
        if (this.#followed.has(conversation.id) || member.state === 'LEFT') {
          continue;
        }
        this.#followed.set(conversation.id, {
          lastId: this.#since === null ? null : (seen ?? 0),
          syncing: false,
          dirty: false,
          claimed: seen !== undefined && seen > 0,
        });
      }
      cursor = page.next;
    } while (cursor !== undefined && !this.#closed);
  }

  #onLive(event: ConversationEvent): void {
    if (this.#closed) {
      return;
    }
    let state = this.#followed.get(event.conversationId);
    if (state === undefined) {
      if (!this.#isOwnMembership(event, JOINING)) {
        return;
      }
      state = { lastId: null, syncing: false, dirty: false, claimed: false };
      this.#followed.set(event.conversationId, state);
    }
    if (state.syncing) {
      state.dirty = true;
    } else if (state.lastId === null || event.id === state.lastId + 1) {
      this.#deliver(event, state, true);
    } else if (event.id > state.lastId + 1) {
      void this.#catchUp(event.conversationId, state);
    }
  }

  #resyncAll(): void {
    for (const [conversationId, state] of this.#followed) {
      if (state.lastId !== null) {
        void this.#catchUp(conversationId, state);
      }
    }
  }

  /** Reads the log after `lastId` until a pass finds nothing new and nothing arrived meanwhile. */
  async #catchUp(conversationId: string, state: Followed): Promise<void> {
    if (state.syncing) {
      state.dirty = true;
      return;
    }
    state.syncing = true;
    const applicationId = this.#identity.caller.applicationId;
    try {
      if (state.claimed) {
        // A resume map may claim ids the log never reached (a client bug): then live events would all look
        // like duplicates. The log's latest id, read before anything is listed, bounds the claim.
        state.claimed = false;
        const latest = await this.#options.repositories.events.list(applicationId, conversationId, {
          pageSize: 1,
          order: 'desc',
        });
        state.lastId = Math.min(state.lastId ?? 0, latest.items[0]?.id ?? 0);
      }
      let more = true;
      while (more && !this.#closed && this.#followed.get(conversationId) === state) {
        state.dirty = false;
        const page = await this.#options.repositories.events.list(
          applicationId,
          conversationId,
          { pageSize: CATCH_UP_PAGE, order: 'asc' },
          { startId: (state.lastId ?? 0) + 1 },
        );
        for (const event of page.items) {
          if (this.#closed || this.#followed.get(conversationId) !== state) {
            break;
          }
          if (event.id > (state.lastId ?? 0)) {
            await this.#paced();
            this.#deliver(event, state, false);
          }
        }
        more = page.next !== undefined || state.dirty;
      }
    } catch (error) {
      this.#log.error({ err: error, conversationId }, 'catch-up failed');
      this.close(CLOSE_INTERNAL, 'internal error');
    } finally {
      state.syncing = false;
    }
  }

  /** Waits while the socket holds half the cap or more (a dead peer is ended by the heartbeat). */
  async #paced(): Promise<void> {
    const half = this.#options.maxBufferedBytes / 2;
    while (!this.#closed && this.#socket.bufferedAmount >= half) {
      await new Promise((wake) => setTimeout(wake, PACE_POLL_MS));
    }
  }

  #deliver(event: ConversationEvent, state: Followed, live: boolean): void {
    if (this.#closed) {
      return;
    }
    const frame = eventFrame(event);
    const buffered = this.#socket.bufferedAmount;
    if (live && buffered > 0 && buffered + frame.length > this.#options.maxBufferedBytes) {
      this.#log.info({ sessionId: this.sessionId, buffered }, 'consumer too slow; closing');
      this.close(CLOSE_TOO_SLOW, 'consumer too slow');
      return;
    }
    state.lastId = event.id;
    this.#eventsSent += 1;
    this.#send(frame);
    if (this.#isOwnMembership(event, LEAVING)) {
      this.#followed.delete(event.conversationId);
    }
  }

  #isOwnMembership(event: ConversationEvent, types: ReadonlySet<string>): boolean {
    if (!types.has(event.type)) {
      return false;
    }
    const user = event.body.user as { id?: unknown } | undefined;

    return typeof user === 'object' && user !== null && user.id === this.#identity.user.id;
  }

  #send(frame: string): void {
    if (this.#closed || this.#graceTimer !== undefined) {
      return;
    }
    this.#socket.send(frame);
    this.#maxBuffered = Math.max(this.#maxBuffered, this.#socket.bufferedAmount);
  }

  #onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#send(
        errorFrame(undefined, new ConfabError('http:error:validation-fail', 'Frames must be JSON text.')),
      );
      return;
    }
    let request: PostRequest;
    try {
      request = parseClientFrame(rawText(data));
    } catch (error) {
      const requestId = (error as { requestId?: string }).requestId;
      this.#send(
        errorFrame(requestId, isConfabError(error) ? error : new ConfabError('http:error:validation-fail')),
      );
      return;
    }
    if (this.#inFlight >= this.#options.maxInFlightPosts) {
      this.#send(
        errorFrame(
          request.requestId,
          new ConfabError('http:error:too-many-requests', 'Too many events in flight.'),
        ),
      );
      return;
    }
    this.#inFlight += 1;
    void this.#post(request).finally(() => {
      this.#inFlight -= 1;
    });
  }

  /** Posts an event through the same checks as `POST /v1/conversations/{id}/events`. */
  async #post(request: PostRequest): Promise<void> {
    const { caller, acl, rateKey } = this.#identity;
    try {
      if (!aclAllows(acl, 'POST', `/v1/conversations/${request.conversationId}/events`)) {
        throw new ConfabError('system:error:permission', 'The token ACL does not allow this request.');
      }
      const limiter = this.#options.rateLimiter;
      if (limiter !== null) {
        const decision = limiter.take(rateKey);
        if (!decision.allowed) {
          throw new ConfabError(
            'http:error:too-many-requests',
            `Retry after ${decision.retryAfterSeconds} s.`,
          );
        }
      }
      const view = await this.#options.services.events.create(caller, request.conversationId, {
        type: request.type,
        body: request.body,
        ...(request.from === undefined ? {} : { from: request.from }),
      });
      this.#send(ackFrame(request.requestId, view.event));
    } catch (error) {
      if (!isConfabError(error)) {
        this.#log.error({ err: error }, 'posting over the App channel failed');
      }
      this.#send(
        errorFrame(
          request.requestId,
          isConfabError(error) ? error : new ConfabError('system:error:internal-error'),
        ),
      );
    }
  }

  async #finish(code: number, reason: string): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#heartbeat?.stop();
    clearTimeout(this.#graceTimer);
    this.#unsubscribe?.();
    this.#followed.clear();
    const sessionId = this.sessionId;
    await this.#session.close();
    this.#onClosed({
      sessionId,
      userId: this.#identity.user.id,
      code,
      sentCode: this.#sentCode,
      reason,
      maxBufferedBytes: this.#maxBuffered,
      eventsSent: this.#eventsSent,
    });
    this.#resolveClosed();
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }

  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
