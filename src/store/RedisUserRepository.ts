import {
  ConfabError,
  newId,
  nowIso,
  type NewUser,
  type Page,
  type PageRequest,
  type User,
  type UserPatch,
  type UserRepository,
} from '../domain/index.js';
import { type RedisClient } from './connection.js';
import { checkPageRequest, decodeCursor } from './cursor.js';
import { type KeyScheme } from './keys.js';
import { LuaScript } from './LuaScript.js';
import { paginate, zsetScan } from './pagination.js';
import {
  applyPatch,
  CREATE_NAMED,
  loadRecords,
  parseRecord,
  REPLACE_NAMED,
  scoreOf,
  swapRecord,
} from './record.js';

/** The fields a user patch may change. */
const PATCHABLE: readonly (keyof UserPatch)[] = ['name', 'displayName', 'imageUrl', 'properties', 'channels'];

// Deletes a user with its name, its creation-index entry, its conversation index and its sessions.
// The session keys are read beforehand and passed in; a session created meanwhile is impossible
// because session creation checks, in its own script, that the user still exists.
const DELETE_USER = new LuaScript(`
-- KEYS: record, creation index, name index, conversation index, session index, session records...
-- ARGV: id.
local json = redis.call('GET', KEYS[1])
if not json then return 0 end
local name = cjson.decode(json).name
if redis.call('HGET', KEYS[3], name) == ARGV[1] then redis.call('HDEL', KEYS[3], name) end
redis.call('ZREM', KEYS[2], ARGV[1])
for i = 4, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('DEL', KEYS[1])
return 1
`);

/**
 * Users in Redis: `user:<id>` holds the JSON record, `users` orders them by creation and `user-names`
 * maps each name to its user, which is what keeps names unique per application.
 *
 * Deleting a user removes the record, its name, its sessions and its `convs` index. Its members stay in
 * their conversations (they still name the user id), as a conversation's history outlives its users.
 */
export class RedisUserRepository implements UserRepository {
  readonly #redis: RedisClient;
  readonly #keys: KeyScheme;

  /** @param redis - a connected command client. @param keys - the key scheme. */
  constructor(redis: RedisClient, keys: KeyScheme) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Creates a user; `user:error:duplicate-name` when another user of the application has the name. */
  async create(applicationId: string, input: NewUser): Promise<User> {
    const now = nowIso();
    const user = newUserRecord(applicationId, input, now);
    const keys = this.#keys;
    const status = await CREATE_NAMED.status(
      this.#redis,
      [keys.user(applicationId, user.id), keys.users(applicationId), keys.userNames(applicationId)],
      [user.id, JSON.stringify(user), scoreOf(now), user.name],
    );
    if (status === 'duplicate') {
      throw duplicateName(user.name);
    }

    return user;
  }

  /** The user, or null. */
  async get(applicationId: string, id: string): Promise<User | null> {
    return parseRecord<User>(await this.#redis.get(this.#keys.user(applicationId, id)));
  }

  /** The user with that name, or null. */
  async getByName(applicationId: string, name: string): Promise<User | null> {
    const id = await this.#redis.hget(this.#keys.userNames(applicationId), name);

    return id === null ? null : this.get(applicationId, id);
  }

  /** Applies a patch; a new name is claimed and the old one released in the same step. */
  async update(applicationId: string, id: string, patch: UserPatch): Promise<User> {
    const names = this.#keys.userNames(applicationId);
    const outcome = await swapRecord<User>(
      this.#redis,
      this.#keys.user(applicationId, id),
      (current) => ({ ...applyPatch(current, patch, PATCHABLE), updatedAt: nowIso() }),
      (expected, next, current, successor) =>
        REPLACE_NAMED.status(
          this.#redis,
          [this.#keys.user(applicationId, id), names],
          [expected, next, id, current.name, successor.name],
        ),
    );
    switch (outcome.status) {
      case 'ok':
        return outcome.record;
      case 'missing':
        throw new ConfabError('user:error:not-found', `User does not exist [id:${id}].`);
      case 'refused':
        throw duplicateName(patch.name ?? '');
    }
  }

  /** Deletes the user, its name, sessions and conversation index; false when there was none. */
  async delete(applicationId: string, id: string): Promise<boolean> {
    const keys = this.#keys;
    const sessionIndex = keys.userSessions(applicationId, id);
    const sessionIds = await this.#redis.zrange(sessionIndex, '0', '-1');
    const deleted = await DELETE_USER.run(
      this.#redis,
      [
        keys.user(applicationId, id),
        keys.users(applicationId),
        keys.userNames(applicationId),
        keys.userConversations(applicationId, id),
        sessionIndex,
        ...sessionIds.map((sessionId) => keys.session(applicationId, sessionId)),
      ],
      [id],
    );

    return deleted === 1;
  }

  /**
   * Users by creation time. With a `name` filter the page holds that one user (or none) and has no
   * cursors, since names are unique.
   */
  async list(applicationId: string, page: PageRequest, filter: { name?: string } = {}): Promise<Page<User>> {
    if (filter.name !== undefined) {
      checkPageRequest(page);
      if (page.cursor !== undefined) {
        decodeCursor(page.cursor, page.order);
      }
      const user = await this.getByName(applicationId, filter.name);

      return { items: user === null ? [] : [user] };
    }

    return paginate(page, zsetScan(this.#redis, this.#keys.users(applicationId)), (positions) =>
      loadRecords<User>(
        this.#redis,
        positions.map((position) => this.#keys.user(applicationId, position.id)),
      ),
    );
  }
}

/** The record of a new user (not stored yet), created at `now`. */
export function newUserRecord(applicationId: string, input: NewUser, now: string): User {
  return {
    id: newId('user'),
    applicationId,
    name: input.name,
    displayName: input.displayName ?? null,
    imageUrl: input.imageUrl ?? null,
    properties: { customData: {}, ttl: null, ...input.properties },
    channels: input.channels ?? {},
    createdAt: now,
    updatedAt: now,
  };
}

/** The error of a name another user holds. */
function duplicateName(name: string): ConfabError {
  return new ConfabError('user:error:duplicate-name', `User name already exists [name:${name}].`);
}
