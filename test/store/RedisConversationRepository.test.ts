import { describe, expect, it } from 'vitest';
import { isConfabError, isId, type Member, type Conversation } from '../../src/domain/index.js';
import {
  RedisConversationRepository,
  RedisEventRepository,
  RedisLegRepository,
  RedisMemberRepository,
  RedisUserRepository,
} from '../../src/store/index.js';
import { creationOrder, idsOf, race, sleep, useStore, walk, writeEvents } from './fixtures.js';

describe('RedisConversationRepository', () => {
  const store = useStore();
  const conversations = (): RedisConversationRepository =>
    new RedisConversationRepository(store.redis, store.keys);
  const asc = { pageSize: 100, order: 'asc' } as const;

  it('creates a conversation with a generated NAM- name and defaults', async () => {
    const created = await conversations().create(store.app, {});

    expect(isId('conversation', created.id)).toBe(true);
    expect(isId('conversationName', created.name)).toBe(true);
    expect(created).toMatchObject({
      applicationId: store.app,
      displayName: null,
      imageUrl: null,
      state: 'ACTIVE',
      sequenceNumber: 0,
      properties: { ttl: null, type: null, customSortKey: null, customData: {} },
      numbers: [],
      callback: null,
      destroyedAt: null,
    });
    expect(await conversations().get(store.app, created.id)).toEqual(created);
    expect(await conversations().getByName(store.app, created.name)).toEqual(created);
    expect(await conversations().get(store.app, 'CON-missing')).toBeNull();
    expect(await conversations().getByName(store.app, 'nothing')).toBeNull();
  });

  it('keeps the given fields', async () => {
    const input = {
      name: 'support',
      displayName: 'Support',
      imageUrl: 'https://example.com/a.png',
      properties: { ttl: 60, type: 'chat', customSortKey: 'k', customData: { a: [1, 2] } },
      numbers: [{ type: 'phone', number: '447700900000' }],
      callback: { url: 'https://example.com/cb', method: 'POST' },
    };
    const created = await conversations().create(store.app, input);

    expect(created).toMatchObject(input);
    expect(await conversations().get(store.app, created.id)).toEqual(created);
  });

  it('reads the sequence number from the seq key the event pipeline writes', async () => {
    const created = await conversations().create(store.app, { name: 'seq' });
    await writeEvents(store, created.id, [{ type: 'custom:a' }, { type: 'custom:b' }, { type: 'custom:c' }]);

    expect((await conversations().get(store.app, created.id))?.sequenceNumber).toBe(3);
    expect((await conversations().getByName(store.app, 'seq'))?.sequenceNumber).toBe(3);
    expect((await conversations().list(store.app, asc)).items[0]?.sequenceNumber).toBe(3);
    // A patch cannot set the number: the seq key stays the one source.
    expect((await conversations().update(store.app, created.id, { sequenceNumber: 99 })).sequenceNumber).toBe(
      3,
    );
  });

  it('refuses a duplicate name, and lets exactly one of 20 concurrent creates win', async () => {
    await conversations().create(store.app, { name: 'taken' });
    await expect(conversations().create(store.app, { name: 'taken' })).rejects.toSatisfy((error) =>
      isConfabError(error, 'conversation:error:duplicate-name'),
    );
    const { won, lost } = await race(20, () => conversations().create(store.app, { name: 'contested' }));

    expect(won).toHaveLength(1);
    expect(lost.every((error) => isConfabError(error, 'conversation:error:duplicate-name'))).toBe(true);
    expect(lost).toHaveLength(19);
    expect((await conversations().list(store.app, asc)).items).toHaveLength(2);
  });

  it('updates fields and renames atomically', async () => {
    const created = await conversations().create(store.app, { name: 'old' });
    await conversations().create(store.app, { name: 'other' });
    const destroyedAt = new Date().toISOString();
    const updated = await conversations().update(store.app, created.id, {
      name: 'new',
      state: 'INACTIVE',
      destroyedAt,
    });

    expect(updated).toMatchObject({
      id: created.id,
      name: 'new',
      state: 'INACTIVE',
      destroyedAt,
      createdAt: created.createdAt,
    });
    expect((await conversations().getByName(store.app, 'new'))?.id).toBe(created.id);
    expect(await conversations().getByName(store.app, 'old')).toBeNull();
    await expect(conversations().update(store.app, created.id, { name: 'other' })).rejects.toSatisfy(
      (error) => isConfabError(error, 'conversation:error:duplicate-name'),
    );
    await expect(conversations().update(store.app, 'CON-missing', { displayName: 'x' })).rejects.toSatisfy(
      (error) => isConfabError(error, 'conversation:error:not-found'),
    );
  });

  it('deletes a conversation with its members, memberships, events, legs index and name', async () => {
    const users = new RedisUserRepository(store.redis, store.keys);
    const members = new RedisMemberRepository(store.redis, store.keys);
    const legs = new RedisLegRepository(store.redis, store.keys);
    const alice = await users.create(store.app, { name: 'alice' });
    const bob = await users.create(store.app, { name: 'bob' });
    const doomed = await conversations().create(store.app, { name: 'doomed' });
    const kept = await conversations().create(store.app, { name: 'kept' });
    const channel = { type: 'app' } as const;
    const first = await members.create(store.app, {
      conversationId: doomed.id,
      userId: alice.id,
      state: 'JOINED',
      channel,
    });
    await members.update(store.app, doomed.id, first.id, { state: 'LEFT' });
    const again = await members.create(store.app, {
      conversationId: doomed.id,
      userId: alice.id,
      state: 'JOINED',
      channel,
    });
    const bobs = await members.create(store.app, {
      conversationId: doomed.id,
      userId: bob.id,
      state: 'INVITED',
      channel,
    });
    const keptMember = await members.create(store.app, {
      conversationId: kept.id,
      userId: alice.id,
      state: 'JOINED',
      channel,
    });
    const leg = await legs.create(store.app, {
      conversationId: doomed.id,
      type: 'phone',
      direction: 'inbound',
      from: { type: 'phone', number: '1' },
      to: { type: 'phone', number: '2' },
    });
    await writeEvents(store, doomed.id, [
      { type: 'member:joined' },
      { type: 'message', body: { text: 'hi' } },
    ]);
    await writeEvents(store, kept.id, [{ type: 'member:joined' }]);
    await store.redis.hset(store.keys.conversationEventKeys(store.app, doomed.id), 'k1', '1');
    await store.redis.set(store.keys.conversationWebhookCursor(store.app, doomed.id), '2');

    expect(await conversations().delete(store.app, doomed.id)).toBe(true);

    expect(await conversations().get(store.app, doomed.id)).toBeNull();
    expect(await conversations().getByName(store.app, 'doomed')).toBeNull();
    expect(idsOf([await conversations().list(store.app, asc)])).toEqual([kept.id]);
    for (const member of [first, again, bobs] as Member[]) {
      expect(await store.redis.exists(store.keys.member(store.app, member.id))).toBe(0);
    }
    const keys = store.keys;
    const gone = [
      keys.conversationMembers(store.app, doomed.id),
      keys.conversationMemberUsers(store.app, doomed.id),
      keys.conversationLegs(store.app, doomed.id),
      keys.conversationEvents(store.app, doomed.id),
      keys.conversationSeq(store.app, doomed.id),
      keys.conversationEventKeys(store.app, doomed.id),
      keys.conversationWebhookCursor(store.app, doomed.id),
    ];
    expect(await store.redis.exists(...gone)).toBe(0);
    expect(await store.redis.zrange(keys.userConversations(store.app, alice.id), '0', '-1')).toEqual([
      kept.id,
    ]);
    expect(await store.redis.exists(keys.userConversations(store.app, bob.id))).toBe(0);
    // The other conversation is untouched.
    expect(await members.get(store.app, kept.id, keptMember.id)).toEqual(keptMember);
    expect(
      (await new RedisEventRepository(store.redis, store.keys).list(store.app, kept.id, asc)).items,
    ).toHaveLength(1);
    // Legs are detached: the record stays, the conversation's legs index is gone.
    expect(await legs.get(store.app, leg.id)).toEqual(leg);
    expect((await legs.list(store.app, asc, { conversationId: doomed.id })).items).toEqual([]);
    expect(idsOf([await legs.list(store.app, asc)])).toEqual([leg.id]);
    // The name is free again, and a second delete finds nothing.
    expect(await conversations().delete(store.app, doomed.id)).toBe(false);
    expect((await conversations().create(store.app, { name: 'doomed' })).name).toBe('doomed');
  });

  it('refuses members of a deleted conversation', async () => {
    const users = new RedisUserRepository(store.redis, store.keys);
    const members = new RedisMemberRepository(store.redis, store.keys);
    const user = await users.create(store.app, { name: 'late' });
    const conversation = await conversations().create(store.app, {});
    await conversations().delete(store.app, conversation.id);

    await expect(
      members.create(store.app, {
        conversationId: conversation.id,
        userId: user.id,
        state: 'JOINED',
        channel: { type: 'app' },
      }),
    ).rejects.toSatisfy((error) => isConfabError(error, 'conversation:error:not-found'));
  });

  it.each(['asc', 'desc'] as const)(
    'lists 25 conversations in pages of 10 in %s order, both ways',
    async (order) => {
      const created = await Promise.all(
        Array.from({ length: 25 }, () => conversations().create(store.app, {})),
      );
      const expected = creationOrder(created, order);
      const { forward, backward } = await walk((cursor) =>
        conversations().list(store.app, { pageSize: 10, order, cursor }),
      );

      expect(forward.map((page) => page.items.length)).toEqual([10, 10, 5]);
      expect(idsOf(forward)).toEqual(expected);
      expect(idsOf([...backward].reverse())).toEqual(expected);
    },
  );

  it('filters the list by creation date, bounds included', async () => {
    const created: Conversation[] = [];
    for (let index = 0; index < 5; index += 1) {
      created.push(await conversations().create(store.app, {}));
      await sleep(3);
    }
    const filter = { dateStart: created[1]!.createdAt, dateEnd: created[3]!.createdAt };

    expect(idsOf([await conversations().list(store.app, asc, filter)])).toEqual(
      created.slice(1, 4).map((c) => c.id),
    );
    expect(idsOf([await conversations().list(store.app, asc, { dateStart: created[4]!.createdAt })])).toEqual(
      [created[4]!.id],
    );
    expect(idsOf([await conversations().list(store.app, asc, { dateEnd: created[0]!.createdAt })])).toEqual([
      created[0]!.id,
    ]);
    await expect(conversations().list(store.app, asc, { dateStart: 'yesterday' })).rejects.toSatisfy(
      (error) =>
        isConfabError(error, 'http:error:validation-fail') &&
        error.invalidParameters[0]?.name === 'date_start',
    );
  });

  it('refuses a garbled cursor', async () => {
    await expect(conversations().list(store.app, { ...asc, cursor: 'eyJ2IjoxfQ' })).rejects.toSatisfy(
      (error) =>
        isConfabError(error, 'http:error:validation-fail') && error.invalidParameters[0]?.name === 'cursor',
    );
  });

  it('keeps applications apart', async () => {
    const mine = await conversations().create(store.app, { name: 'same' });
    const theirs = await conversations().create(store.otherApp, { name: 'same' });

    expect(await conversations().get(store.otherApp, mine.id)).toBeNull();
    expect((await conversations().getByName(store.otherApp, 'same'))?.id).toBe(theirs.id);
    expect(idsOf([await conversations().list(store.otherApp, asc)])).toEqual([theirs.id]);
    expect(await conversations().delete(store.otherApp, mine.id)).toBe(false);
    await expect(conversations().update(store.otherApp, mine.id, { name: 'x' })).rejects.toSatisfy((error) =>
      isConfabError(error, 'conversation:error:not-found'),
    );
    expect(await conversations().get(store.app, mine.id)).toEqual(mine);
  });
});
