import type { Session, SessionRepository } from '../../domain/index.js';
import type { Logger } from '../../log/index.js';

/**
 * Keeps the Session record of one open socket: creates it, refreshes it every third of its TTL while the
 * socket lives (so it is listed by `GET /v1/users/{id}/sessions` from any process), and deletes it when the
 * socket ends. A record that lapsed anyway (Redis away for longer than the TTL) is replaced by a new one,
 * reported through `onRenewed`. If this process dies, the record lapses by itself after the TTL.
 */
export class SessionKeeper {
  readonly #sessions: SessionRepository;
  readonly #applicationId: string;
  readonly #userId: string;
  readonly #ttlSeconds: number;
  readonly #log: Logger;
  readonly #onRenewed: (session: Session) => void;
  #session: Session | null = null;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /**
   * @param sessions - where Session records live
   * @param owner - the application and user of the socket
   * @param ttlSeconds - the record's lifetime between refreshes
   * @param log - for refresh and delete failures
   * @param onRenewed - told when a lapsed record was replaced by a new one
   */
  constructor(
    sessions: SessionRepository,
    owner: { applicationId: string; userId: string },
    ttlSeconds: number,
    log: Logger,
    onRenewed: (session: Session) => void,
  ) {
    this.#sessions = sessions;
    this.#applicationId = owner.applicationId;
    this.#userId = owner.userId;
    this.#ttlSeconds = ttlSeconds;
    this.#log = log;
    this.#onRenewed = onRenewed;
  }

  /** The current Session id, once it exists. */
  get id(): string | null {
    return this.#session?.id ?? null;
  }

  /** Creates the record and starts refreshing it; null when the keeper was closed meanwhile. */
  async open(): Promise<Session | null> {
    const session = await this.#sessions.create(this.#applicationId, this.#userId, this.#ttlSeconds);
    this.#session = session;
    if (this.#closed) {
      await this.#delete();
      return null;
    }
    this.#timer = setInterval(() => void this.#refresh(), (this.#ttlSeconds * 1000) / 3);
    this.#timer.unref();

    return session;
  }

  /** Stops refreshing and deletes the record; idempotent, never throws. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#delete();
  }

  async #refresh(): Promise<void> {
    const session = this.#session;
    if (session === null || this.#closed) {
      return;
    }
    try {
      if (
        !(await this.#sessions.refresh(this.#applicationId, session.id, this.#ttlSeconds)) &&
        !this.#closed
      ) {
        this.#session = await this.#sessions.create(this.#applicationId, this.#userId, this.#ttlSeconds);
        this.#onRenewed(this.#session);
      }
    } catch (error) {
      this.#log.warn({ err: (error as Error).message }, 'session refresh failed');
    }
  }

  async #delete(): Promise<void> {
    const session = this.#session;
    if (session === null) {
      return;
    }
    try {
      await this.#sessions.delete(this.#applicationId, session.id);
    } catch (error) {
      this.#log.warn({ err: (error as Error).message }, 'session delete failed; it lapses by TTL');
    }
  }
}
