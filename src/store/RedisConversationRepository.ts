import {
  ConfabError,
  newId,
  nowIso,
  type Conversation,
  type ConversationPatch,
  type ConversationRepository,
  type ConversationWithUser,
  type NewConversation,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import { type RedisClient } from './connection.js';
import { readConversationWithUser } from './conversationWithUser.js';
import { type KeyScheme } from './keys.js';
import { LuaScript } from './LuaScript.js';
import { paginate, zsetScan, type ScoreBounds } from './pagination.js';
import { applyPatch, CREATE_NAMED, parseRecord, REPLACE_NAMED, scoreOf, swapRecord } from './record.js';

/**
 * The fields a conversation patch may change. `sequenceNumber` is left out on purpose: the event pipeline
 * owns `conv:<id>:seq`, and every read takes the number from there.
 */
const PATCHABLE: readonly (keyof ConversationPatch)[] = [
  'name',
  'displayName',
  'imageUrl',
  'properties',
  'numbers',
  'callback',
  'state',
  'destroyedAt',
];

// Deletes a conversation and everything hanging off it in one step. The member ids and user ids are read
// beforehand and passed in; the script checks they are still exactly the conversation's members and
// users (members are never removed but here), and answers `conflict` otherwise so that the caller reads
// again. A member can only be created while the conversation record exists, so none can slip in after.
const DELETE_CONVERSATION = new LuaScript(`
-- KEYS: record, creation index, name index, members, member-users, legs, events, seq, event-keys,
--       webhook cursor, tombstone, then ARGV[2] member records, then ARGV[3] user conversation indexes.
-- ARGV: id, member count, user count, then the member ids.
local id, memberCount, userCount = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local json = redis.call('GET', KEYS[1])
if not json then return 'missing' end
if redis.call('ZCARD', KEYS[4]) ~= memberCount or redis.call('HLEN', KEYS[5]) ~= userCount then
  return 'conflict'
end
for i = 1, memberCount do
  if not redis.call('ZSCORE', KEYS[4], ARGV[3 + i]) then return 'conflict' end
end
local name = cjson.decode(json).name
if redis.call('HGET', KEYS[3], name) == id then redis.call('HDEL', KEYS[3], name) end
redis.call('ZREM', KEYS[2], id)
for i = 1, memberCount do redis.call('DEL', KEYS[11 + i]) end
for i = 1, userCount do redis.call('ZREM', KEYS[11 + memberCount + i], id) end
for i = 4, 10 do redis.call('DEL', KEYS[i]) end
redis.call('DEL', KEYS[1])
-- The tombstone makes the event recorder refuse events still queued for this conversation.
redis.call('SET', KEYS[11], '1', 'EX', ARGV[4 + memberCount])
return 'ok'
`);

/** How long a deleted conversation's tombstone outlives it: longer than any event can wait in the queue. */
const TOMBSTONE_SECONDS = 86_400;

/** How often a delete re-reads the members when they keep changing under it. */
const MAX_DELETE_ATTEMPTS = 20;

/**
 * Conversations in Redis: `conv:<id>` holds the JSON record, `convs` orders them by creation and
 * `conv-names` keeps names unique. `sequenceNumber` always comes from `conv:<id>:seq`, which the event
 * pipeline advances (0 while the key is absent).
 *
 * Deleting a conversation removes, in one atomic step: the record, its name and index entry, its member
 * records, the `member-users` map, its entry in each member's user `convs` index, its events, `seq`,
 * `event-keys` and webhook cursor, and its `legs` index. Leg records are detached, not deleted: they stay
 * (with the `legs` index of the application) and keep naming the deleted conversation, because a call may
 * still be up and its status will keep being recorded; listing the legs of the conversation finds none.
 */
export class RedisConversationRepository implements ConversationRepository {
  readonly #redis: RedisClient;
  readonly #keys: KeyScheme;

  /** @param redis - a connected command client. @param keys - the key scheme. */
  constructor(redis: RedisClient, keys: KeyScheme) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** Creates a conversation, named `NAM-<uuid>` when no name is given; `conversation:error:duplicate-name`. */
  async create(applicationId: string, input: NewConversation): Promise<Conversation> {
    const now = nowIso();
    const conversation = newConversationRecord(applicationId, input, now);
    const keys = this.#keys;
    const status = await CREATE_NAMED.status(
      this.#redis,
      [
        keys.conversation(applicationId, conversation.id),
        keys.conversations(applicationId),
        keys.conversationNames(applicationId),
      ],
      [conversation.id, JSON.stringify(conversation), scoreOf(now), conversation.name],
    );
    if (status === 'duplicate') {
      throw duplicateName(conversation.name);
    }

    return conversation;
  }

  /** The conversation with its current sequence number, or null. */
  async get(applicationId: string, id: string): Promise<Conversation | null> {
    const [json, seq] = await this.#redis.mget(
      this.#keys.conversation(applicationId, id),
      this.#keys.conversationSeq(applicationId, id),
    );

    const conversation = parseRecord<Conversation>(json);

    return conversation === null ? null : withSequence(conversation, seq);
  }

  /** The conversation with that name, or null. */
  async getByName(applicationId: string, name: string): Promise<Conversation | null> {
    const id = await this.#redis.hget(this.#keys.conversationNames(applicationId), name);

    return id === null ? null : this.get(applicationId, id);
  }

  /** The conversation, the user named `userName` and its latest member there, in one round trip. */
  getWithUser(applicationId: string, id: string, userName: string | null): Promise<ConversationWithUser> {
    return readConversationWithUser(this.#redis, this.#keys, applicationId, id, userName);
  }

  /** Applies a patch; a new name is claimed and the old one released in the same step. */
  async update(applicationId: string, id: string, patch: ConversationPatch): Promise<Conversation> {
    const key = this.#keys.conversation(applicationId, id);
    const names = this.#keys.conversationNames(applicationId);
    const outcome = await swapRecord<Conversation>(
      this.#redis,
      key,
      (current) => ({ ...applyPatch(current, patch, PATCHABLE), updatedAt: nowIso() }),
      (expected, next, current, successor) =>
        REPLACE_NAMED.status(this.#redis, [key, names], [expected, next, id, current.name, successor.name]),
    );
    switch (outcome.status) {
      case 'ok':
        return withSequence(
          outcome.record,
          await this.#redis.get(this.#keys.conversationSeq(applicationId, id)),
        );
      case 'missing':
        throw notFound(id);
      case 'refused':
        throw duplicateName(patch.name ?? '');
    }
  }

  /** Deletes the conversation and what hangs off it (see the class comment); false when there was none. */
  async delete(applicationId: string, id: string): Promise<boolean> {
    const keys = this.#keys;
    const fixed = [
      keys.conversation(applicationId, id),
      keys.conversations(applicationId),
      keys.conversationNames(applicationId),
      keys.conversationMembers(applicationId, id),
      keys.conversationMemberUsers(applicationId, id),
      keys.conversationLegs(applicationId, id),
      keys.conversationEvents(applicationId, id),
      keys.conversationSeq(applicationId, id),
      keys.conversationEventKeys(applicationId, id),
      keys.conversationWebhookCursor(applicationId, id),
      keys.conversationTombstone(applicationId, id),
    ];
    for (let attempt = 0; attempt < MAX_DELETE_ATTEMPTS; attempt += 1) {
      const [memberIds, userIds] = await Promise.all([
        this.#redis.zrange(keys.conversationMembers(applicationId, id), '0', '-1'),
        this.#redis.hkeys(keys.conversationMemberUsers(applicationId, id)),
      ]);
      const status = await DELETE_CONVERSATION.status(
        this.#redis,
        [
          ...fixed,
          ...memberIds.map((memberId) => keys.member(applicationId, memberId)),
          ...userIds.map((userId) => keys.userConversations(applicationId, userId)),
        ],
        [id, memberIds.length, userIds.length, ...memberIds, TOMBSTONE_SECONDS],
      );
      if (status !== 'conflict') {
        return status === 'ok';
      }
    }
    throw new ConfabError('system:error:unavailable', `Conversation too busy to delete [id:${id}].`);
  }

  /** Conversations by creation time, optionally created within [dateStart, dateEnd] (inclusive). */
  async list(
    applicationId: string,
    page: PageRequest,
    filter: { dateStart?: string; dateEnd?: string } = {},
  ): Promise<Page<Conversation>> {
    const bounds: ScoreBounds = {};
    if (filter.dateStart !== undefined) {
      bounds.min = parseDate('date_start', filter.dateStart);
    }
    if (filter.dateEnd !== undefined) {
      bounds.max = parseDate('date_end', filter.dateEnd);
    }
    const scan = zsetScan(this.#redis, this.#keys.conversations(applicationId), bounds);

    return paginate(page, scan, async (positions) => {
      const texts = await this.#redis.mget(
        ...positions.flatMap((position) => [
          this.#keys.conversation(applicationId, position.id),
          this.#keys.conversationSeq(applicationId, position.id),
        ]),
      );

      return positions.map((_, index) => {
        const conversation = parseRecord<Conversation>(texts[2 * index]);

        return conversation === null ? null : withSequence(conversation, texts[2 * index + 1]);
      });
    });
  }
}

/** The conversation with `sequenceNumber` taken from the text of its `seq` key (0 when the key is absent). */
export function withSequence(conversation: Conversation, seq: string | null | undefined): Conversation {
  return { ...conversation, sequenceNumber: seq === null || seq === undefined ? 0 : Number(seq) };
}

/** Milliseconds of an ISO date filter; `http:error:validation-fail` naming the parameter when it is none. */
function parseDate(parameter: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    const reason = 'must be an ISO-8601 date';
    throw new ConfabError('http:error:validation-fail', `${parameter} ${reason}.`, [
      { name: parameter, reason },
    ]);
  }

  return ms;
}

/** The record of a new conversation (not stored yet), created at `now`; a `NAM-` name when none is given. */
export function newConversationRecord(
  applicationId: string,
  input: NewConversation,
  now: string,
): Conversation {
  return {
    id: newId('conversation'),
    applicationId,
    name: input.name ?? newId('conversationName'),
    displayName: input.displayName ?? null,
    imageUrl: input.imageUrl ?? null,
    state: 'ACTIVE',
    sequenceNumber: 0,
    properties: { ttl: null, type: null, customSortKey: null, customData: {}, ...input.properties },
    numbers: input.numbers ?? [],
    callback: input.callback ?? null,
    createdAt: now,
    updatedAt: now,
    destroyedAt: null,
  };
}

/** The error of a missing conversation. */
function notFound(id: string): ConfabError {
  return new ConfabError('conversation:error:not-found', `Conversation does not exist [id:${id}].`);
}

/** The error of a name another conversation holds. */
function duplicateName(name: string): ConfabError {
  return new ConfabError(
    'conversation:error:duplicate-name',
    `Conversation name already exists [name:${name}].`,
  );
}
