import {
  ConfabError,
  MEMBER_STATES,
  newId,
  nowIso,
  type Conversation,
  type Member,
  type MemberPatch,
  type MemberRepository,
  type MemberState,
  type NewMember,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import { type RedisClient } from './connection.js';
import { type KeyScheme } from './keys.js';
import { LuaScript } from './LuaScript.js';
import { paginate, zsetScan } from './pagination.js';
import { applyPatch, loadRecords, parseRecord, REPLACE, scoreOf, swapRecord } from './record.js';
import { withSequence } from './RedisConversationRepository.js';

/** The fields a member patch may change. */
const PATCHABLE: readonly (keyof MemberPatch)[] = [
  'state',
  'timestamps',
  'initiator',
  'channel',
  'media',
  'leftReason',
];

// Creates a member when the conversation and the user exist and the user has no member in the
// conversation, or only one that has LEFT. The caller passes the member id it last saw in `member-users`
// (and that member's key); when the map has moved on meanwhile the script answers `conflict`.
const CREATE_MEMBER = new LuaScript(`
-- KEYS: conversation, user, members, member-users, new member, user conversation index, latest member.
-- ARGV: member id, member JSON, score, user id, conversation id, latest member id seen ('' for none).
if redis.call('EXISTS', KEYS[1]) == 0 then return 'no-conversation' end
if redis.call('EXISTS', KEYS[2]) == 0 then return 'no-user' end
local latest = redis.call('HGET', KEYS[4], ARGV[4])
if (latest or '') ~= ARGV[6] then return 'conflict' end
if latest then
  local raw = redis.call('GET', KEYS[7])
  if raw then
    local state = cjson.decode(raw).state
    if state == 'JOINED' then return 'joined' end
    if state ~= 'LEFT' then return 'member' end
  end
end
redis.call('SET', KEYS[5], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[6], ARGV[3], ARGV[5])
return 'ok'
`);

/** How often a create re-reads the latest member when it keeps changing under it. */
const MAX_CREATE_ATTEMPTS = 20;

/** The audio settings of a member created without any. */
const DEFAULT_MEDIA = {
  audioSettings: { enabled: false, earmuffed: false, muted: false },
  audio: false,
} as const;

/**
 * Members in Redis: `member:<id>` holds the JSON record, `conv:<id>:members` orders a conversation's
 * members by creation, `conv:<id>:member-users` maps each user to its latest member there, and
 * `user:<id>:convs` lists the conversations a user has a member in (scored by its latest membership).
 * Members are never deleted on their own; they go with their conversation.
 */
export class RedisMemberRepository implements MemberRepository {
  readonly #redis: RedisClient;
  readonly #keys: KeyScheme;

  /** @param redis - a connected command client. @param keys - the key scheme. */
  constructor(redis: RedisClient, keys: KeyScheme) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /**
   * Creates a member. Fails with `conversation:error:not-found` or `user:error:not-found` when either is
   * missing, `conversation:error:member-already-joined` when the user's member is JOINED and
   * `conversation:error:already-member` when it is INVITED. A user whose member has LEFT gets a new member.
   * Timestamps default to the initial state's one, set to now.
   */
  async create(applicationId: string, input: NewMember): Promise<Member> {
    const now = nowIso();
    const member = newMemberRecord(applicationId, input, now);
    const keys = this.#keys;
    const { conversationId, userId } = member;
    const memberUsers = keys.conversationMemberUsers(applicationId, conversationId);
    for (let attempt = 0; attempt < MAX_CREATE_ATTEMPTS; attempt += 1) {
      const latest = await this.#redis.hget(memberUsers, userId);
      const status = await CREATE_MEMBER.status(
        this.#redis,
        [
          keys.conversation(applicationId, conversationId),
          keys.user(applicationId, userId),
          keys.conversationMembers(applicationId, conversationId),
          memberUsers,
          keys.member(applicationId, member.id),
          keys.userConversations(applicationId, userId),
          latest === null ? keys.app(applicationId) : keys.member(applicationId, latest),
        ],
        [member.id, JSON.stringify(member), scoreOf(now), userId, conversationId, latest ?? ''],
      );
      switch (status) {
        case 'ok':
          return member;
        case 'no-conversation':
          throw new ConfabError(
            'conversation:error:not-found',
            `Conversation does not exist [id:${conversationId}].`,
          );
        case 'no-user':
          throw new ConfabError('user:error:not-found', `User does not exist [id:${userId}].`);
        case 'joined':
          throw new ConfabError(
            'conversation:error:member-already-joined',
            `User has already joined the conversation [user:${userId}, conversation:${conversationId}].`,
          );
        case 'member':
          throw new ConfabError(
            'conversation:error:already-member',
            `User is already a member of the conversation [user:${userId}, conversation:${conversationId}].`,
          );
      }
    }
    throw new ConfabError('system:error:unavailable', `Membership too busy to create [user:${userId}].`);
  }

  /** The member, or null (also when it belongs to another conversation). */
  async get(applicationId: string, conversationId: string, memberId: string): Promise<Member | null> {
    const member = parseRecord<Member>(await this.#redis.get(this.#keys.member(applicationId, memberId)));

    return member?.conversationId === conversationId ? member : null;
  }

  /** The latest member of that user in the conversation, or null. */
  async getByUser(applicationId: string, conversationId: string, userId: string): Promise<Member | null> {
    const memberId = await this.#redis.hget(
      this.#keys.conversationMemberUsers(applicationId, conversationId),
      userId,
    );

    return memberId === null ? null : this.get(applicationId, conversationId, memberId);
  }

  /** Applies a patch; `member:error:not-found` when there is no such member in the conversation. */
  async update(
    applicationId: string,
    conversationId: string,
    memberId: string,
    patch: MemberPatch,
  ): Promise<Member> {
    const key = this.#keys.member(applicationId, memberId);
    const outcome = await swapRecord<Member>(
      this.#redis,
      key,
      (current) => {
        if (current.conversationId !== conversationId) {
          throw memberNotFound(memberId);
        }

        return { ...applyPatch(current, patch, PATCHABLE), updatedAt: nowIso() };
      },
      (expected, next) => REPLACE.status(this.#redis, [key], [expected, next]),
    );
    if (outcome.status !== 'ok') {
      throw memberNotFound(memberId);
    }

    return outcome.record;
  }

  /** Members of a conversation by creation time (LEFT ones included). */
  async list(applicationId: string, conversationId: string, page: PageRequest): Promise<Page<Member>> {
    const scan = zsetScan(this.#redis, this.#keys.conversationMembers(applicationId, conversationId));

    return paginate(page, scan, (positions) =>
      loadRecords<Member>(
        this.#redis,
        positions.map((position) => this.#keys.member(applicationId, position.id)),
      ),
    );
  }

  /**
   * The conversations a user has a member in, by the creation of the user's latest member there, each with
   * that member; with a `state` filter only those whose latest member is in that state.
   */
  async listConversationsOfUser(
    applicationId: string,
    userId: string,
    page: PageRequest,
    filter: { state?: MemberState } = {},
  ): Promise<Page<{ conversation: Conversation; member: Member }>> {
    const { state } = filter;
    if (state !== undefined && !MEMBER_STATES.includes(state)) {
      const reason = `must be one of ${MEMBER_STATES.join(', ')}`;
      throw new ConfabError('http:error:validation-fail', `state ${reason}.`, [{ name: 'state', reason }]);
    }
    const scan = zsetScan(this.#redis, this.#keys.userConversations(applicationId, userId));

    return paginate(page, scan, async (positions) => {
      const keys = this.#keys;
      const conversationIds = positions.map((position) => position.id);
      const [texts, memberIds] = await Promise.all([
        this.#redis.mget(
          ...conversationIds.flatMap((id) => [
            keys.conversation(applicationId, id),
            keys.conversationSeq(applicationId, id),
          ]),
        ),
        Promise.all(
          conversationIds.map((id) =>
            this.#redis.hget(keys.conversationMemberUsers(applicationId, id), userId),
          ),
        ),
      ]);
      // A conversation with no member of the user (a leftover of a crashed delete) reads a key that never
      // exists, so that the lists stay aligned.
      const members = await loadRecords<Member>(
        this.#redis,
        memberIds.map((memberId) => keys.member(applicationId, memberId ?? '-')),
      );

      return conversationIds.map((_, index) => {
        const conversation = parseRecord<Conversation>(texts[2 * index]);
        const member = members[index] ?? null;
        if (conversation === null || member === null || (state !== undefined && member.state !== state)) {
          return null;
        }

        return { conversation: withSequence(conversation, texts[2 * index + 1]), member };
      });
    });
  }
}

/** The record of a new member (not stored yet), created at `now`. */
export function newMemberRecord(applicationId: string, input: NewMember, now: string): Member {
  return {
    id: newId('member'),
    applicationId,
    conversationId: input.conversationId,
    userId: input.userId,
    state: input.state,
    timestamps: { [stampOf(input.state)]: now, ...input.timestamps },
    initiator: input.initiator ?? {},
    channel: input.channel,
    media: input.media ?? structuredClone(DEFAULT_MEDIA),
    knockingId: input.knockingId ?? null,
    invitedBy: input.invitedBy ?? null,
    leftReason: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** The timestamp field a member's state stamps. */
function stampOf(state: MemberState): 'invited' | 'joined' | 'left' {
  return state === 'INVITED' ? 'invited' : state === 'JOINED' ? 'joined' : 'left';
}

/** The error of a missing member. */
function memberNotFound(memberId: string): ConfabError {
  return new ConfabError('member:error:not-found', `Member does not exist [id:${memberId}].`);
}
