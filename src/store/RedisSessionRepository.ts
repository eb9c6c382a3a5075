import {
  ConfabError,
  newId,
  type Page,
  type PageRequest,
  type Session,
  type SessionRepository,
} from '../domain/index.js';
import { type RedisClient } from './connection.js';
import { type KeyScheme } from './keys.js';
import { LuaScript } from './LuaScript.js';
import { paginate, zsetScan } from './pagination.js';
import { loadRecords, parseRecord, swapRecord } from './record.js';

// Creates a session of an existing user: the record with a Redis TTL, its entry in the user's session
// index (scored by expiry), and a sweep of the index entries that have lapsed.
const CREATE_SESSION = new LuaScript(`
-- KEYS: user, session, user sessions. ARGV: session id, JSON, TTL in ms, expiry in ms, now in ms.
if redis.call('EXISTS', KEYS[1]) == 0 then return 'no-user' end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[5])
return 'ok'
`);

// Moves a session's expiry forward if the record is unchanged (and so has not lapsed).
const REFRESH_SESSION = new LuaScript(`
-- KEYS: session, user sessions. ARGV: expected JSON, new JSON, TTL in ms, expiry in ms, session id.
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
if current ~= ARGV[1] then return 'conflict' end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
return 'ok'
`);

// Deletes a session if the record is unchanged, with its index entry.
const DELETE_SESSION = new LuaScript(`
-- KEYS: session, user sessions. ARGV: expected JSON, session id.
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
if current ~= ARGV[1] then return 'conflict' end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return 'ok'
`);

/**
 * Sessions in Redis: `session:<id>` holds the JSON record with a Redis TTL matching `expiresAt`, and
 * `user:<id>:sessions` indexes a user's sessions by expiry. A lapsed session simply disappears; its index
 * entry is swept by the next create or list. Lists of sessions are ordered by expiry, not creation, since
 * that is how the index is scored (a refreshed session moves to the end in `asc` order).
 */
export class RedisSessionRepository implements SessionRepository {
  readonly #redis: RedisClient;
  readonly #keys: KeyScheme;

  /** @param redis - a connected command client. @param keys - the key scheme. */
  constructor(redis: RedisClient, keys: KeyScheme) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Opens a session of a user for `ttlSeconds`; `user:error:not-found` when the user does not exist. */
  async create(applicationId: string, userId: string, ttlSeconds: number): Promise<Session> {
    const ttlMs = ttlToMs(ttlSeconds);
    const now = Date.now();
    const session: Session = {
      id: newId('session'),
      applicationId,
      userId,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + ttlMs).toISOString(),
    };
    const keys = this.#keys;
    const status = await CREATE_SESSION.status(
      this.#redis,
      [
        keys.user(applicationId, userId),
        keys.session(applicationId, session.id),
        keys.userSessions(applicationId, userId),
      ],
      [session.id, JSON.stringify(session), ttlMs, now + ttlMs, now],
    );
    if (status === 'no-user') {
      throw new ConfabError('user:error:not-found', `User does not exist [id:${userId}].`);
    }

    return session;
  }

  /** The live session, or null once it has lapsed. */
  async get(applicationId: string, id: string): Promise<Session | null> {
    const session = parseRecord<Session>(await this.#redis.get(this.#keys.session(applicationId, id)));

    return session !== null && Date.parse(session.expiresAt) > Date.now() ? session : null;
  }

  /** Sets the expiry to now plus `ttlSeconds`; false when the session has already lapsed. */
  async refresh(applicationId: string, id: string, ttlSeconds: number): Promise<boolean> {
    const ttlMs = ttlToMs(ttlSeconds);
    const key = this.#keys.session(applicationId, id);
    let expiry = 0;
    const outcome = await swapRecord<Session>(
      this.#redis,
      key,
      (current) => {
        expiry = Date.now() + ttlMs;

        return { ...current, expiresAt: new Date(expiry).toISOString() };
      },
      (expected, next, current) =>
        REFRESH_SESSION.status(
          this.#redis,
          [key, this.#keys.userSessions(applicationId, current.userId)],
          [expected, next, ttlMs, expiry, id],
        ),
    );

    return outcome.status === 'ok';
  }

  /** Ends the session; false when there was none (or it had lapsed). */
  async delete(applicationId: string, id: string): Promise<boolean> {
    const key = this.#keys.session(applicationId, id);
    const outcome = await swapRecord<Session>(
      this.#redis,
      key,
      (current) => current,
      (expected, _next, current) =>
        DELETE_SESSION.status(
          this.#redis,
          [key, this.#keys.userSessions(applicationId, current.userId)],
          [expected, id],
        ),
    );

    return outcome.status === 'ok';
  }

  /** The live sessions of a user, by expiry. */
  async listByUser(applicationId: string, userId: string, page: PageRequest): Promise<Page<Session>> {
    const index = this.#keys.userSessions(applicationId, userId);
    const now = Date.now();
    await this.#redis.zremrangebyscore(index, '-inf', now);

    return paginate(page, zsetScan(this.#redis, index, { min: now + 1 }), async (positions) => {
      const sessions = await loadRecords<Session>(
        this.#redis,
        positions.map((position) => this.#keys.session(applicationId, position.id)),
      );

      return sessions.map((session) =>
        session !== null && Date.parse(session.expiresAt) > now ? session : null,
      );
    });
  }
}

/** A TTL in whole milliseconds; `http:error:validation-fail` naming `ttl` unless it is positive and finite. */
function ttlToMs(ttlSeconds: number): number {
  const ms = Math.round(ttlSeconds * 1000);
  if (!Number.isFinite(ttlSeconds) || ms < 1) {
    const reason = 'must be a positive number of seconds';
    throw new ConfabError('http:error:validation-fail', `ttl ${reason}.`, [{ name: 'ttl', reason }]);
  }

  return ms;
}
