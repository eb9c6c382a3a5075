import {
  ConfabError,
  newLegId,
  nowIso,
  type Leg,
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

/**
 * Legs in Redis: `leg:<id>` holds the JSON record, `legs` orders an application's legs by creation and
 * `conv:<id>:legs` a conversation's. A leg is created only in an existing conversation; when its
 * conversation is deleted the leg record stays (see {@link RedisConversationRepository}).
 */
export class RedisLegRepository implements LegRepository {
  readonly #redis: RedisClient;
  readonly #keys: KeyScheme;

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
    const status = input.status ?? 'started';
    const leg: Leg = {
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

/** The error of a missing conversation. */
function conversationNotFound(id: string): ConfabError {
  return new ConfabError('conversation:error:not-found', `Conversation does not exist [id:${id}].`);
}
