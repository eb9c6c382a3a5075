import type { RateLimiter, TokenVerifier } from '../../auth/index.js';
import type { RealtimeFeed, RealtimeTicketRepository } from '../../domain/index.js';
import { silentLogger, type Logger } from '../../log/index.js';
import type { Repositories, Services } from '../../services/index.js';

/** Options of {@link createAppChannel}. */
export interface AppChannelOptions {
  /** Verifies the bearer JWT of a connecting client. */
  readonly verifier: TokenVerifier;
  /** The use cases; posted events go through `services.events.create`, as REST posts do. */
  readonly services: Services;
  /** Users (by name), members (a user's conversations), sessions, and events (catch-up). */
  readonly repositories: Pick<Repositories, 'users' | 'members' | 'sessions' | 'events'>;
  /** The process's live event feed, shared by every socket. */
  readonly feed: RealtimeFeed;
  /** One-time tickets, the browsers' way in. */
  readonly tickets: RealtimeTicketRepository;
  /**
   * Per-token budget charged by each posted event (the REST API's limiter, so both share one budget).
   * @defaultValue none
   */
  readonly rateLimiter?: RateLimiter | null;
  /** @defaultValue a silent logger */
  readonly logger?: Logger;
  /**
   * The upgrade path.
   * @defaultValue '/v1/realtime'
   */
  readonly path?: string;
  /**
   * Ping period; a peer that has not answered the previous ping by the next one is terminated, so a dead
   * peer is gone within two periods.
   * @defaultValue 25000
   */
  readonly pingIntervalMs?: number;
  /**
   * Lifetime of the socket's Session record; it is refreshed every third of it while the socket lives.
   * @defaultValue 60
   */
  readonly sessionTtlSeconds?: number;
  /**
   * Cap of bytes waiting to be written to one socket. A live event that would exceed it closes the socket
   * with 1013; the resume catch-up pauses at half of it instead.
   * @defaultValue 1048576
   */
  readonly maxBufferedBytes?: number;
  /**
   * Largest client message accepted; larger ones close the socket with 1009.
   * @defaultValue 65536
   */
  readonly maxPayloadBytes?: number;
  /**
   * Posted events one socket may have in flight; more are refused with `http:error:too-many-requests`.
   * @defaultValue 32
   */
  readonly maxInFlightPosts?: number;
  /**
   * Sockets one user may hold open in this process; one more is refused with 429
   * `http:error:too-many-requests` before the upgrade.
   * @defaultValue 16
   */
  readonly maxSocketsPerUser?: number;
  /**
   * How long a socket closed by the server may take over its close handshake before it is terminated.
   * @defaultValue 1000
   */
  readonly closeGraceMs?: number;
}

/** The options with every default applied. */
export type ResolvedAppChannelOptions = Required<Omit<AppChannelOptions, 'rateLimiter'>> & {
  readonly rateLimiter: RateLimiter | null;
};

/** Why a socket ended, as the observer reports it. */
export interface AppSocketClosedInfo {
  readonly sessionId: string | null;
  readonly userId: string;
  /** The close code received (1006 when the socket was terminated without a close frame). */
  readonly code: number;
  /** The close code confab sent, when confab closed the socket (1013 for a consumer too slow). */
  readonly sentCode: number | null;
  readonly reason: string;
  /** Most bytes ever waiting to be written to this socket. */
  readonly maxBufferedBytes: number;
  /** Event frames sent over the socket's life. */
  readonly eventsSent: number;
}

/** Events of the App channel's observer (for monitoring and tests). */
export interface AppChannelEvents extends Record<string, unknown[]> {
  /** A socket opened and its session exists. */
  open: [info: { sessionId: string; userId: string }];
  /** A socket ended and its session is gone. */
  close: [info: AppSocketClosedInfo];
  /** The peer did not answer the previous ping in time and was terminated. */
  dead: [info: { sessionId: string | null; userId: string }];
}

/** Fills in the defaults and checks the limits; throws a TypeError naming the first bad option. */
export function resolveAppChannelOptions(options: AppChannelOptions): ResolvedAppChannelOptions {
  const resolved: ResolvedAppChannelOptions = {
    verifier: options.verifier,
    services: options.services,
    repositories: options.repositories,
    feed: options.feed,
    tickets: options.tickets,
    rateLimiter: options.rateLimiter ?? null,
    logger: options.logger ?? silentLogger(),
    path: options.path ?? '/v1/realtime',
    pingIntervalMs: options.pingIntervalMs ?? 25_000,
    sessionTtlSeconds: options.sessionTtlSeconds ?? 60,
    maxBufferedBytes: options.maxBufferedBytes ?? 1_048_576,
    maxPayloadBytes: options.maxPayloadBytes ?? 65_536,
    maxInFlightPosts: options.maxInFlightPosts ?? 32,
    closeGraceMs: options.closeGraceMs ?? 1000,
    maxSocketsPerUser: options.maxSocketsPerUser ?? 16,
  };
  const positive: (keyof ResolvedAppChannelOptions)[] = [
    'pingIntervalMs',
    'sessionTtlSeconds',
    'maxBufferedBytes',
    'maxPayloadBytes',
    'maxInFlightPosts',
    'closeGraceMs',
    'maxSocketsPerUser',
  ];
  for (const name of positive) {
    const value = resolved[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new TypeError(`App channel option ${name} must be a positive number`);
    }
  }
  if (!resolved.path.startsWith('/')) {
    throw new TypeError('App channel option path must start with /');
  }

  return resolved;
}
