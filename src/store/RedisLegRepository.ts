import {
  ConfabError,
  newLegId,
  nowIso,
  type CreatedCall,
  type Leg,
  type NewCall,
  type User,
  type LegPatch,
  type LegRepository,
  type NewLeg,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import { type RedisClient } from './connection.js';
import { type KeyScheme } from './keys.js';
import { LuaScript } from './LuaScript.js';
import { paginate, zsetScan } from './pagination.js';
import { applyPatch, loadRecords, parseRecord, scoreOf, swapRecord } from './record.js';
import { newConversationRecord } from './RedisConversationRepository.js';
import { newMemberRecord } from './RedisMemberRepository.js';
import { newUserRecord } from './RedisUserRepository.js';

/** The fields a leg patch may change. */
const PATCHABLE: readonly (keyof LegPatch)[] = [
  'conversationId',
  'memberId',
  'status',
  'statusHistory',
  'endedAt',
];

// Creates a leg of an existing conversation, indexed in the application's and the conversation's legs.
const CREATE_LEG = new LuaScript(`
-- KEYS: conversation, leg, application legs, conversation legs. ARGV: leg id, JSON, score.
if redis.call('EXISTS', KEYS[1]) == 0 then return 'no-conversation' end
if not redis.call('SET', KEYS[2], ARGV[2], 'NX') then return 'exists' end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
return 'ok'
`);

// Replaces a leg if unchanged; when it moves to another conversation (which must exist), it moves from
// the old conversation's legs index to the new one's in the same step.
const UPDATE_LEG = new LuaScript(`
-- KEYS: leg, old conversation legs, new conversation legs, new conversation.
-- ARGV: expected JSON, new JSON, leg id, score, '1' when the conversation changes.
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
if current ~= ARGV[1] then return 'conflict' end
if ARGV[5] == '1' then
  if redis.call('EXISTS', KEYS[4]) == 0 then return 'no-conversation' end
  redis.call('ZREM', KEYS[2], ARGV[3])
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 'ok'
`);

// Creates a call's records in one step: the user (unless the name already has one), the conversation, the
// member and the leg, with the same writes as the repositories' own creates. The caller guesses the user:
// an id it saw before for the name, or a new one. When the name index says otherwise the script writes
// nothing and answers `retry:<owner>` (empty when the name has no user), and the caller tries again with
// that id. Every check comes before the first write, so a refusal leaves nothing behind.
const CREATE_CALL = new LuaScript(`
-- KEYS: user names, users, user, user convs, conversation, conversations, conversation names, leg, legs,
--       conversation legs, member, conversation members, conversation member-users.
-- ARGV: user id, user JSON ('' when the user should exist), user name, conversation id, conversation JSON,
--       conversation name, leg id, leg JSON, member id, member JSON, score.
local owner = redis.call('HGET', KEYS[1], ARGV[3])
local newUser = ARGV[2] ~= ''
if newUser then
  if owner then return 'retry:' .. owner end
else
  if owner ~= ARGV[1] then return 'retry:' .. (owner or '') end
  if redis.call('EXISTS', KEYS[3]) == 0 then return 'no-user' end
end
if redis.call('HEXISTS', KEYS[7], ARGV[6]) == 1 then return 'duplicate-conversation' end
if redis.call('EXISTS', KEYS[8]) == 1 then return 'leg-exists' end
if newUser then
  redis.call('HSET', KEYS[1], ARGV[3], ARGV[1])
  redis.call('SET', KEYS[3], ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[11], ARGV[1])
end
redis.call('HSET', KEYS[7], ARGV[6], ARGV[4])
redis.call('SET', KEYS[5], ARGV[5])
redis.call('ZADD', KEYS[6], ARGV[11], ARGV[4])
redis.call('SET', KEYS[8], ARGV[8])
redis.call('ZADD', KEYS[9], ARGV[11], ARGV[7])
redis.call('ZADD', KEYS[10], ARGV[11], ARGV[7])
redis.call('SET', KEYS[11], ARGV[10])
redis.call('ZADD', KEYS[12], ARGV[11], ARGV[9])
redis.call('HSET', KEYS[13], ARGV[1], ARGV[9])
redis.call('ZADD', KEYS[4], ARGV[11], ARGV[4])
return 'ok'
`);

/** How often a create follows the name index when it keeps changing under it. */
const MAX_ATTEMPTS = 5;

/** How many user names the id hints remember before they start over. */
const MAX_HINTS = 10_000;

/**
 * Creates a call's records in one round trip (two when the name has a user these hints do not know yet).
 * `hints` maps `<application>\n<name>` to the user id last seen for it; it only saves a round trip, since
 * the script checks every guess.
 */
async function createCall(
  redis: RedisClient,
  keys: KeyScheme,
  hints: Map<string, string>,
  applicationId: string,
  call: NewCall,
): Promise<CreatedCall> {
  const now = nowIso();
  const score = scoreOf(now);
  const conversation = newConversationRecord(applicationId, {}, now);
  const hintKey = `${applicationId}\n${call.userName}`;
  let guess = hints.get(hintKey) ?? null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const user: User | null =
      guess === null ? newUserRecord(applicationId, { name: call.userName }, now) : null;
    const userId = user?.id ?? guess ?? '';
    const member = newMemberRecord(
      applicationId,
      { ...call.member, conversationId: conversation.id, userId },
      now,
    );
    const leg: Leg = {
      ...newLegRecord(
        applicationId,
        { ...call.leg, conversationId: conversation.id, memberId: member.id },
        now,
      ),
      statusHistory: [],
    };
    const reply = await CREATE_CALL.status(
      redis,
      [
        keys.userNames(applicationId),
        keys.users(applicationId),
        keys.user(applicationId, userId),
        keys.userConversations(applicationId, userId),
        keys.conversation(applicationId, conversation.id),
        keys.conversations(applicationId),
        keys.conversationNames(applicationId),
        keys.leg(applicationId, leg.id),
        keys.legs(applicationId),
        keys.conversationLegs(applicationId, conversation.id),
        keys.member(applicationId, member.id),
        keys.conversationMembers(applicationId, conversation.id),
        keys.conversationMemberUsers(applicationId, conversation.id),
      ],
      [
        userId,
        user === null ? '' : JSON.stringify(user),
        call.userName,
        conversation.id,
        JSON.stringify(conversation),
        conversation.name,
        leg.id,
        JSON.stringify(leg),
        member.id,
        JSON.stringify(member),
        score,
      ],
    );
    if (reply === 'ok') {
      if (hints.size >= MAX_HINTS) {
        hints.clear();
      }
      hints.set(hintKey, userId);

      return { userId, conversation, member, leg };
    }
    if (reply.startsWith('retry:')) {
      const owner = reply.slice('retry:'.length);
      guess = owner === '' ? null : owner;
      continue;
    }
    hints.delete(hintKey);
    switch (reply) {
      case 'no-user':
        throw new ConfabError('user:error:not-found', `User does not exist [id:${userId}].`);
      case 'duplicate-conversation':
        throw new ConfabError(
          'conversation:error:duplicate-name',
          `Conversation name already exists [name:${conversation.name}].`,
        );
      case 'leg-exists':
        throw new ConfabError('http:error:validation-fail', `Leg id taken [id:${leg.id}].`, [
          { name: 'id', reason: 'a leg with this id exists' },
        ]);
      default:
        throw new TypeError(`unexpected Lua reply [reply:${reply}]`);
    }
  }
  throw new ConfabError(
    'system:error:unavailable',
    `User names too busy to start a call [name:${call.userName}].`,
  );
}

/**
 * Legs in Redis: `leg:<id>` holds the JSON record, `legs` orders an application's legs by creation and
 * `conv:<id>:legs` a conversation's. A leg is created only in an existing conversation; when its
 * conversation is deleted the leg record stays (see {@link RedisConversationRepository}).
 */
export class RedisLegRepository implements LegRepository {
  readonly #redis: RedisClient;
  readonly #keys: KeyScheme;
  // The user id last seen for each caller name, so that a call usually takes one round trip.
  readonly #userHints = new Map<string, string>();

  /** @param redis - a connected command client. @param keys - the key scheme. */
  constructor(redis: RedisClient, keys: KeyScheme) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /**
   * Creates a leg (with the given id, or a fresh UUID) whose history starts with its initial status
   * (`started` unless given). `conversation:error:not-found` when the conversation does not exist, and
   * `http:error:validation-fail` naming `id` when a leg with that id exists already.
   */
  async create(applicationId: string, input: NewLeg): Promise<Leg> {
    const now = nowIso();
    const leg = newLegRecord(applicationId, input, now);
    const keys = this.#keys;
    const reply = await CREATE_LEG.status(
      this.#redis,
      [
        keys.conversation(applicationId, leg.conversationId),
        keys.leg(applicationId, leg.id),
        keys.legs(applicationId),
        keys.conversationLegs(applicationId, leg.conversationId),
      ],
      [leg.id, JSON.stringify(leg), scoreOf(now)],
    );
    if (reply === 'no-conversation') {
      throw conversationNotFound(leg.conversationId);
    }
    if (reply === 'exists') {
      const reason = 'a leg with this id exists';
      throw new ConfabError('http:error:validation-fail', `Leg id taken [id:${leg.id}].`, [
        { name: 'id', reason },
      ]);
    }

    return leg;
  }

  /** Creates a call's conversation, user (when new), member and leg in one step (see {@link createCall}). */
  async createCall(applicationId: string, call: NewCall): Promise<CreatedCall> {
    return createCall(this.#redis, this.#keys, this.#userHints, applicationId, call);
  }

  /** The leg, or null. */
  async get(applicationId: string, id: string): Promise<Leg | null> {
    return parseRecord<Leg>(await this.#redis.get(this.#keys.leg(applicationId, id)));
  }

  /**
   * Applies a patch as given (callers append to `statusHistory` and set `endedAt` themselves).
   * `leg:error:not-found`, or `conversation:error:not-found` when moving it to a missing conversation.
   */
  async update(applicationId: string, id: string, patch: LegPatch): Promise<Leg> {
    const keys = this.#keys;
    const key = keys.leg(applicationId, id);
    const outcome = await swapRecord<Leg>(
      this.#redis,
      key,
      (current) => ({ ...applyPatch(current, patch, PATCHABLE), updatedAt: nowIso() }),
      (expected, next, current, successor) =>
        UPDATE_LEG.status(
          this.#redis,
          [
            key,
            keys.conversationLegs(applicationId, current.conversationId),
            keys.conversationLegs(applicationId, successor.conversationId),
            keys.conversation(applicationId, successor.conversationId),
          ],
          [
            expected,
            next,
            id,
            scoreOf(current.createdAt),
            current.conversationId === successor.conversationId ? '0' : '1',
          ],
        ),
    );
    switch (outcome.status) {
      case 'ok':
        return outcome.record;
      case 'missing':
        throw new ConfabError('leg:error:not-found', `Leg does not exist [id:${id}].`);
      case 'refused':
        throw conversationNotFound(patch.conversationId ?? '');
    }
  }

  /** Legs by creation time, of the application or of one conversation. */
  async list(
    applicationId: string,
    page: PageRequest,
    filter: { conversationId?: string } = {},
  ): Promise<Page<Leg>> {
    const index =
      filter.conversationId === undefined
        ? this.#keys.legs(applicationId)
        : this.#keys.conversationLegs(applicationId, filter.conversationId);

    return paginate(page, zsetScan(this.#redis, index), (positions) =>
      loadRecords<Leg>(
        this.#redis,
        positions.map((position) => this.#keys.leg(applicationId, position.id)),
      ),
    );
  }
}

/** The record of a new leg (not stored yet), created at `now`, its history holding its first status. */
export function newLegRecord(applicationId: string, input: NewLeg, now: string): Leg {
  const status = input.status ?? 'started';

  return {
    id: input.id ?? newLegId(),
    applicationId,
    conversationId: input.conversationId,
    memberId: input.memberId ?? null,
    type: input.type,
    direction: input.direction,
    status,
    from: input.from,
    to: input.to,
    statusHistory: [{ status, date: now }],
    createdAt: now,
    updatedAt: now,
    endedAt: null,
  };
}

/** The error of a missing conversation. */
function conversationNotFound(id: string): ConfabError {
  return new ConfabError('conversation:error:not-found', `Conversation does not exist [id:${id}].`);
}
