import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isConfabError, isUuid, type NewLeg } from '../../src/domain/index.js';
import { RedisConversationRepository, RedisLegRepository } from '../../src/store/index.js';
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
});
