import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isConfabError, isUuid, type NewCall, type NewLeg } from '../../src/domain/index.js';
import {
  RedisConversationRepository,
  RedisLegRepository,
  RedisMemberRepository,
  RedisUserRepository,
} from '../../src/store/index.js';
import { creationOrder, idsOf, useStore, walk } from './fixtures.js';

describe('RedisLegRepository', () => {
  const store = useStore();
  const legs = (): RedisLegRepository => new RedisLegRepository(store.redis, store.keys);
  const asc = { pageSize: 100, order: 'asc' } as const;
  const newLeg = (conversationId: string): NewLeg => ({
    conversationId,
    type: 'sip',
    direction: 'outbound',
    from: { type: 'sip', uri: 'sip:a@example.com' },
    to: { type: 'sip', uri: 'sip:b@example.com' },
  });
  const conversation = async (app = store.app): Promise<string> =>
    (await new RedisConversationRepository(store.redis, store.keys).create(app, {})).id;

  it('creates a leg with a fresh id and a first history entry', async () => {
    const chat = await conversation();
    const created = await legs().create(store.app, newLeg(chat));

    expect(isUuid(created.id)).toBe(true);
    expect(created).toMatchObject({
      ...newLeg(chat),
      applicationId: store.app,
      memberId: null,
      status: 'started',
      statusHistory: [{ status: 'started', date: created.createdAt }],
      endedAt: null,
    });
    expect(await legs().get(store.app, created.id)).toEqual(created);
    expect(await legs().get(store.app, randomUUID())).toBeNull();
  });

  it('keeps a given id and status, and refuses an id that is taken', async () => {
    const chat = await conversation();
    const id = randomUUID();
    const created = await legs().create(store.app, {
      ...newLeg(chat),
      id,
      status: 'ringing',
      memberId: 'MEM-1',
    });

    expect(created).toMatchObject({ id, status: 'ringing', memberId: 'MEM-1' });
    await expect(legs().create(store.app, { ...newLeg(chat), id })).rejects.toSatisfy(
      (error) =>
        isConfabError(error, 'http:error:validation-fail') && error.invalidParameters[0]?.name === 'id',
    );
    expect(await legs().get(store.app, id)).toEqual(created);
  });

  it('needs an existing conversation', async () => {
    await expect(legs().create(store.app, newLeg('CON-missing'))).rejects.toSatisfy((error) =>
      isConfabError(error, 'conversation:error:not-found'),
    );
  });

  it('updates a leg, moving it between conversation indexes', async () => {
    const [first, second] = [await conversation(), await conversation()];
    const created = await legs().create(store.app, newLeg(first));
    const endedAt = new Date().toISOString();
    const statusHistory = [...created.statusHistory, { status: 'completed' as const, date: endedAt }];
    const updated = await legs().update(store.app, created.id, {
      status: 'completed',
      statusHistory,
      endedAt,
      conversationId: second,
    });

    expect(updated).toMatchObject({
      id: created.id,
      status: 'completed',
      statusHistory,
      endedAt,
      conversationId: second,
    });
    expect(await legs().get(store.app, created.id)).toEqual(updated);
    expect((await legs().list(store.app, asc, { conversationId: first })).items).toEqual([]);
    expect(idsOf([await legs().list(store.app, asc, { conversationId: second })])).toEqual([created.id]);
    await expect(legs().update(store.app, created.id, { conversationId: 'CON-missing' })).rejects.toSatisfy(
      (error) => isConfabError(error, 'conversation:error:not-found'),
    );
    expect(await legs().get(store.app, created.id)).toEqual(updated);
    await expect(legs().update(store.app, randomUUID(), { status: 'ringing' })).rejects.toSatisfy((error) =>
      isConfabError(error, 'leg:error:not-found'),
    );
  });

  it.each(['asc', 'desc'] as const)(
    'lists 25 legs in pages of 10 in %s order, of the application and of a conversation',
    async (order) => {
      const [chat, other] = [await conversation(), await conversation()];
      const created = await Promise.all(
        Array.from({ length: 25 }, () => legs().create(store.app, newLeg(chat))),
      );
      const elsewhere = await legs().create(store.app, newLeg(other));
      const ofChat = await walk((cursor) =>
        legs().list(store.app, { pageSize: 10, order, cursor }, { conversationId: chat }),
      );

      expect(ofChat.forward.map((page) => page.items.length)).toEqual([10, 10, 5]);
      expect(idsOf(ofChat.forward)).toEqual(creationOrder(created, order));
      expect(idsOf([...ofChat.backward].reverse())).toEqual(creationOrder(created, order));
      const all = await walk((cursor) => legs().list(store.app, { pageSize: 10, order, cursor }));

      expect(idsOf(all.forward)).toEqual(creationOrder([...created, elsewhere], order));
    },
  );

  it('keeps applications apart', async () => {
    const created = await legs().create(store.app, newLeg(await conversation()));

    expect(await legs().get(store.otherApp, created.id)).toBeNull();
    expect((await legs().list(store.otherApp, asc)).items).toEqual([]);
    await expect(legs().update(store.otherApp, created.id, { status: 'ringing' })).rejects.toSatisfy(
      (error) => isConfabError(error, 'leg:error:not-found'),
    );
    await expect(legs().create(store.otherApp, newLeg(created.conversationId))).rejects.toSatisfy((error) =>
      isConfabError(error, 'conversation:error:not-found'),
    );
  });
  describe('createCall', () => {
    const users = (): RedisUserRepository => new RedisUserRepository(store.redis, store.keys);
    const members = (): RedisMemberRepository => new RedisMemberRepository(store.redis, store.keys);
    const conversations = (): RedisConversationRepository =>
      new RedisConversationRepository(store.redis, store.keys);
    const newCall = (userName: string): NewCall => {
      const id = randomUUID();
      const from = { type: 'phone', number: '14155550100' } as const;
      const to = { type: 'phone', number: '14155550199' } as const;

      return {
        userName,
        leg: { id, type: 'phone', direction: 'inbound', from, to, status: 'started' },
        member: {
          state: 'INVITED',
          channel: { type: 'phone', from, to, legId: id },
          initiator: { invited: { isSystem: true } },
        },
      };
    };

    it('creates the conversation, a new user, the member and the leg, indexed as the single creates do', async () => {
      const repo = legs();
      const call = newCall('14155550100');
      const created = await repo.createCall(store.app, call);
      const user = await users().getByName(store.app, '14155550100');

      expect(user).toMatchObject({ id: created.userId, name: '14155550100' });
      expect(await conversations().get(store.app, created.conversation.id)).toEqual(created.conversation);
      expect(created.leg).toMatchObject({
        id: call.leg.id,
        conversationId: created.conversation.id,
        memberId: created.member.id,
        status: 'started',
        statusHistory: [],
      });
      expect(await repo.get(store.app, created.leg.id)).toEqual(created.leg);
      expect(created.member).toMatchObject({
        conversationId: created.conversation.id,
        userId: created.userId,
        state: 'INVITED',
        channel: call.member.channel,
      });
      expect(await members().getByUser(store.app, created.conversation.id, created.userId)).toEqual(
        created.member,
      );
      expect(idsOf([await repo.list(store.app, asc, { conversationId: created.conversation.id })])).toEqual([
        created.leg.id,
      ]);
      const ofUser = await members().listConversationsOfUser(store.app, created.userId, asc);
      expect(ofUser.items.map((item) => item.conversation.id)).toEqual([created.conversation.id]);
      expect((await conversations().list(store.app, asc)).items.map((c) => c.id)).toEqual([
        created.conversation.id,
      ]);
    });

    it('reuses the user of the name, also through another repository instance and after a rename', async () => {
      const existing = await users().create(store.app, { name: 'alice' });
      const repo = legs();
      const first = await repo.createCall(store.app, newCall('alice'));
      const second = await repo.createCall(store.app, newCall('alice'));
      const third = await legs().createCall(store.app, newCall('alice'));

      expect([first.userId, second.userId, third.userId]).toEqual([existing.id, existing.id, existing.id]);
      expect(new Set([first, second, third].map((c) => c.conversation.id)).size).toBe(3);
      // The remembered id goes stale: the name moves to a new user, then the user is deleted.
      await users().update(store.app, existing.id, { name: 'alice-old' });
      const successor = await users().create(store.app, { name: 'alice' });
      expect((await repo.createCall(store.app, newCall('alice'))).userId).toBe(successor.id);
      await users().delete(store.app, successor.id);
      const fresh = await repo.createCall(store.app, newCall('alice'));
      expect(fresh.userId).not.toBe(successor.id);
      expect((await users().getByName(store.app, 'alice'))?.id).toBe(fresh.userId);
      expect((await users().list(store.app, asc)).items).toHaveLength(2);
    });

    it('writes nothing when the leg id is taken, and keeps applications apart', async () => {
      const call = newCall('bob');
      await legs().createCall(store.app, call);
      await expect(legs().createCall(store.app, call)).rejects.toSatisfy((error) =>
        isConfabError(error, 'http:error:validation-fail'),
      );
      expect((await conversations().list(store.app, asc)).items).toHaveLength(1);
      const elsewhere = await legs().createCall(store.otherApp, newCall('bob'));
      expect(await users().get(store.app, elsewhere.userId)).toBeNull();
      expect((await conversations().list(store.otherApp, asc)).items).toHaveLength(1);
    });

    it('gives each of many concurrent calls from one new name the same user', async () => {
      const repo = legs();
      const created = await Promise.all(
        Array.from({ length: 20 }, () => repo.createCall(store.app, newCall('carol'))),
      );

      expect(new Set(created.map((c) => c.userId)).size).toBe(1);
      expect((await users().list(store.app, asc)).items).toHaveLength(1);
    });
  });
});
