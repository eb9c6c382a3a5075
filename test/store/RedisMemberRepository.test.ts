import { describe, expect, it } from 'vitest';
import { isConfabError, isId, type Conversation, type Member, type User } from '../../src/domain/index.js';
import {
  RedisConversationRepository,
  RedisMemberRepository,
  RedisUserRepository,
} from '../../src/store/index.js';
import { creationOrder, idsOf, keysMatching, race, useStore, walk } from './fixtures.js';

describe('RedisMemberRepository', () => {
  const store = useStore();
  const members = (): RedisMemberRepository => new RedisMemberRepository(store.redis, store.keys);
  const channel = { type: 'app', to: { type: 'app', user: 'alice' } } as const;
  const asc = { pageSize: 100, order: 'asc' } as const;

  async function user(name: string, app = store.app): Promise<User> {
    return new RedisUserRepository(store.redis, store.keys).create(app, { name });
  }
  async function conversation(app = store.app): Promise<Conversation> {
    return new RedisConversationRepository(store.redis, store.keys).create(app, {});
  }

  it('creates a member with defaults and reads it by id and by user', async () => {
    const [alice, chat] = [await user('alice'), await conversation()];
    const created = await members().create(store.app, {
      conversationId: chat.id,
      userId: alice.id,
      state: 'INVITED',
      channel,
    });

    expect(isId('member', created.id)).toBe(true);
    expect(created).toMatchObject({
      applicationId: store.app,
      conversationId: chat.id,
      userId: alice.id,
      state: 'INVITED',
      channel,
      initiator: {},
      knockingId: null,
      invitedBy: null,
      leftReason: null,
      media: { audioSettings: { enabled: false, earmuffed: false, muted: false }, audio: false },
    });
    expect(created.timestamps).toEqual({ invited: created.createdAt });
    expect(await members().get(store.app, chat.id, created.id)).toEqual(created);
    expect(await members().getByUser(store.app, chat.id, alice.id)).toEqual(created);
    expect(await members().get(store.app, 'CON-other', created.id)).toBeNull();
    expect(await members().getByUser(store.app, chat.id, 'USR-nobody')).toBeNull();
    expect(await store.redis.zrange(store.keys.userConversations(store.app, alice.id), '0', '-1')).toEqual([
      chat.id,
    ]);
  });

  it('refuses a second member of a user unless the first has left', async () => {
    const [alice, chat] = [await user('alice'), await conversation()];
    const first = await members().create(store.app, {
      conversationId: chat.id,
      userId: alice.id,
      state: 'INVITED',
      channel,
    });
    const input = { conversationId: chat.id, userId: alice.id, state: 'JOINED', channel } as const;

    await expect(members().create(store.app, input)).rejects.toSatisfy((error) =>
      isConfabError(error, 'conversation:error:already-member'),
    );
    await members().update(store.app, chat.id, first.id, { state: 'JOINED' });
    await expect(members().create(store.app, input)).rejects.toSatisfy((error) =>
      isConfabError(error, 'conversation:error:member-already-joined'),
    );
    await members().update(store.app, chat.id, first.id, {
      state: 'LEFT',
      leftReason: { code: '1', text: 'bye' },
    });
    const second = await members().create(store.app, input);

    expect(second.id).not.toBe(first.id);
    expect(second.timestamps).toEqual({ joined: second.createdAt });
    expect(await members().getByUser(store.app, chat.id, alice.id)).toEqual(second);
    expect(idsOf([await members().list(store.app, chat.id, asc)])).toEqual([first.id, second.id]);
    expect(await store.redis.zcard(store.keys.userConversations(store.app, alice.id))).toBe(1);
  });

  it('lets exactly one of 20 concurrent creates for one user win', async () => {
    const [alice, chat] = [await user('alice'), await conversation()];
    const { won, lost } = await race(20, () =>
      members().create(store.app, { conversationId: chat.id, userId: alice.id, state: 'JOINED', channel }),
    );

    expect(won).toHaveLength(1);
    expect(lost.every((error) => isConfabError(error, 'conversation:error:member-already-joined'))).toBe(
      true,
    );
    expect(idsOf([await members().list(store.app, chat.id, asc)])).toEqual([won[0]!.id]);
  });

  it('needs an existing conversation and user', async () => {
    const [alice, chat] = [await user('alice'), await conversation()];

    await expect(
      members().create(store.app, {
        conversationId: 'CON-missing',
        userId: alice.id,
        state: 'JOINED',
        channel,
      }),
    ).rejects.toSatisfy((error) => isConfabError(error, 'conversation:error:not-found'));
    await expect(
      members().create(store.app, {
        conversationId: chat.id,
        userId: 'USR-missing',
        state: 'JOINED',
        channel,
      }),
    ).rejects.toSatisfy((error) => isConfabError(error, 'user:error:not-found'));
  });

  it('updates a member of its conversation only', async () => {
    const [alice, chat] = [await user('alice'), await conversation()];
    const created = await members().create(store.app, {
      conversationId: chat.id,
      userId: alice.id,
      state: 'INVITED',
      channel,
    });
    const joined = new Date().toISOString();
    const media = { audioSettings: { enabled: true, earmuffed: false, muted: true }, audio: true };
    const updated = await members().update(store.app, chat.id, created.id, {
      state: 'JOINED',
      timestamps: { ...created.timestamps, joined },
      initiator: { joined: { isSystem: false, userId: alice.id, memberId: created.id } },
      media,
    });

    expect(updated).toMatchObject({ id: created.id, state: 'JOINED', media, timestamps: { joined } });
    expect(await members().get(store.app, chat.id, created.id)).toEqual(updated);
    for (const [conversationId, memberId] of [
      ['CON-other', created.id],
      [chat.id, 'MEM-missing'],
    ] as const) {
      await expect(
        members().update(store.app, conversationId, memberId, { state: 'LEFT' }),
      ).rejects.toSatisfy((error) => isConfabError(error, 'member:error:not-found'));
    }
  });

  it.each(['asc', 'desc'] as const)(
    'lists 25 members in pages of 10 in %s order, both ways',
    async (order) => {
      const chat = await conversation();
      const people = await Promise.all(Array.from({ length: 25 }, (_, index) => user(`u${index}`)));
      const created = await Promise.all(
        people.map((person) =>
          members().create(store.app, {
            conversationId: chat.id,
            userId: person.id,
            state: 'JOINED',
            channel,
          }),
        ),
      );
      const expected = creationOrder(created, order);
      const { forward, backward } = await walk((cursor) =>
        members().list(store.app, chat.id, { pageSize: 10, order, cursor }),
      );

      expect(forward.map((page) => page.items.length)).toEqual([10, 10, 5]);
      expect(idsOf(forward)).toEqual(expected);
      expect(idsOf([...backward].reverse())).toEqual(expected);
    },
  );

  it('lists the conversations of a user with its member, filtered by state', async () => {
    const alice = await user('alice');
    const chats = await Promise.all(Array.from({ length: 12 }, () => conversation()));
    const states = ['INVITED', 'JOINED', 'LEFT'] as const;
    const created: Member[] = [];
    for (const [index, chat] of chats.entries()) {
      created.push(
        await members().create(store.app, {
          conversationId: chat.id,
          userId: alice.id,
          state: states[index % 3]!,
          channel,
        }),
      );
    }
    const read = (state?: 'INVITED' | 'JOINED' | 'LEFT') => (cursor?: string) =>
      members().listConversationsOfUser(
        store.app,
        alice.id,
        { pageSize: 3, order: 'desc', cursor },
        state ? { state } : {},
      );
    const all = await walk(read());
    const pairs = all.forward.flatMap((page) => page.items);
    // The index holds conversation ids, so ties of one millisecond go by conversation id.
    const byMembership = (list: typeof created) =>
      list.map((m) => ({ id: m.conversationId, createdAt: m.createdAt }));

    expect(pairs.map((pair) => pair.conversation.id)).toEqual(creationOrder(byMembership(created), 'desc'));
    expect(pairs.every((pair) => pair.member.conversationId === pair.conversation.id)).toBe(true);
    const joined = await walk(read('JOINED'));
    const joinedPairs = joined.forward.flatMap((page) => page.items);

    expect(joined.forward.map((page) => page.items.length)).toEqual([3, 1]);
    expect(joinedPairs.every((pair) => pair.member.state === 'JOINED')).toBe(true);
    expect(joinedPairs.map((pair) => pair.conversation.id)).toEqual(
      creationOrder(byMembership(created.filter((m) => m.state === 'JOINED')), 'desc'),
    );
    expect([...joined.backward].reverse().flatMap((page) => page.items)).toEqual(joinedPairs);
    await expect(read('GONE' as 'LEFT')()).rejects.toSatisfy((error) =>
      isConfabError(error, 'http:error:validation-fail'),
    );
  });

  it('leaves nothing behind when members are created while their conversation is deleted', async () => {
    const chat = await conversation();
    const people = await Promise.all(Array.from({ length: 10 }, (_, index) => user(`p${index}`)));
    const conversations = new RedisConversationRepository(store.redis, store.keys);
    const creates = people.map((person) =>
      members()
        .create(store.app, { conversationId: chat.id, userId: person.id, state: 'JOINED', channel })
        .catch(() => null),
    );
    const deleted = conversations.delete(store.app, chat.id);
    await Promise.all([...creates, deleted]);

    expect(await deleted).toBe(true);
    for (const person of people) {
      expect(
        await store.redis.zscore(store.keys.userConversations(store.app, person.id), chat.id),
      ).toBeNull();
    }
    expect(await keysMatching(store, `${store.keys.app(store.app)}:member:*`)).toEqual([]);
  });

  it('keeps applications apart', async () => {
    const [alice, chat] = [await user('alice'), await conversation()];
    const created = await members().create(store.app, {
      conversationId: chat.id,
      userId: alice.id,
      state: 'JOINED',
      channel,
    });

    expect(await members().get(store.otherApp, chat.id, created.id)).toBeNull();
    expect(await members().getByUser(store.otherApp, chat.id, alice.id)).toBeNull();
    expect((await members().list(store.otherApp, chat.id, asc)).items).toEqual([]);
    expect((await members().listConversationsOfUser(store.otherApp, alice.id, asc)).items).toEqual([]);
    await expect(
      members().create(store.otherApp, {
        conversationId: chat.id,
        userId: alice.id,
        state: 'JOINED',
        channel,
      }),
    ).rejects.toSatisfy((error) => isConfabError(error, 'conversation:error:not-found'));
  });
});
