import { describe, expect, it } from 'vitest';
import { isConfabError, isId, type Session } from '../../src/domain/index.js';
import { RedisSessionRepository, RedisUserRepository } from '../../src/store/index.js';
import { idsOf, sleep, useStore, walk } from './fixtures.js';

describe('RedisSessionRepository', () => {
  const store = useStore();
  const sessions = (): RedisSessionRepository => new RedisSessionRepository(store.redis, store.keys);
  const asc = { pageSize: 100, order: 'asc' } as const;
  const user = async (name = 'alice', app = store.app): Promise<string> =>
    (await new RedisUserRepository(store.redis, store.keys).create(app, { name })).id;

  it('creates a session with a Redis TTL and reads it back', async () => {
    const userId = await user();
    const created = await sessions().create(store.app, userId, 60);

    expect(isId('session', created.id)).toBe(true);
    expect(created).toMatchObject({ applicationId: store.app, userId });
    expect(Date.parse(created.expiresAt) - Date.parse(created.createdAt)).toBe(60_000);
    expect(await sessions().get(store.app, created.id)).toEqual(created);
    const ttl = await store.redis.pttl(store.keys.session(store.app, created.id));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('needs an existing user and a positive TTL', async () => {
    await expect(sessions().create(store.app, 'USR-missing', 60)).rejects.toSatisfy((error) =>
      isConfabError(error, 'user:error:not-found'),
    );
    const userId = await user();
    for (const ttl of [0, -1, Number.NaN]) {
      await expect(sessions().create(store.app, userId, ttl)).rejects.toSatisfy(
        (error) =>
          isConfabError(error, 'http:error:validation-fail') && error.invalidParameters[0]?.name === 'ttl',
      );
    }
  });

  it('lets a session lapse after its TTL, and drops it from the list', async () => {
    const userId = await user();
    const short = await sessions().create(store.app, userId, 1);
    const long = await sessions().create(store.app, userId, 60);

    expect(idsOf([await sessions().listByUser(store.app, userId, asc)])).toEqual([short.id, long.id]);
    await sleep(1100);

    expect(await sessions().get(store.app, short.id)).toBeNull();
    expect(idsOf([await sessions().listByUser(store.app, userId, asc)])).toEqual([long.id]);
    expect(await store.redis.zrange(store.keys.userSessions(store.app, userId), '0', '-1')).toEqual([
      long.id,
    ]);
    expect(await sessions().refresh(store.app, short.id, 60)).toBe(false);
    expect(await sessions().delete(store.app, short.id)).toBe(false);
  });

  it('refreshes a session so that it outlives its first TTL', async () => {
    const userId = await user();
    const created = await sessions().create(store.app, userId, 1);
    await sleep(500);

    expect(await sessions().refresh(store.app, created.id, 2)).toBe(true);
    await sleep(800);
    const refreshed = await sessions().get(store.app, created.id);

    expect(refreshed?.id).toBe(created.id);
    expect(Date.parse(refreshed!.expiresAt)).toBeGreaterThan(Date.parse(created.expiresAt));
    expect(await store.redis.zscore(store.keys.userSessions(store.app, userId), created.id)).toBe(
      String(Date.parse(refreshed!.expiresAt)),
    );
    expect(await sessions().refresh(store.app, 'SES-missing', 2)).toBe(false);
  });

  it('deletes a session with its index entry', async () => {
    const userId = await user();
    const created = await sessions().create(store.app, userId, 60);

    expect(await sessions().delete(store.app, created.id)).toBe(true);
    expect(await sessions().get(store.app, created.id)).toBeNull();
    expect((await sessions().listByUser(store.app, userId, asc)).items).toEqual([]);
    expect(await sessions().delete(store.app, created.id)).toBe(false);
  });

  it.each(['asc', 'desc'] as const)(
    'lists 25 sessions in pages of 10 in %s order of expiry, both ways',
    async (order) => {
      const userId = await user();
      const created: Session[] = [];
      for (let index = 0; index < 25; index += 1) {
        created.push(await sessions().create(store.app, userId, 100 + index));
      }
      const expected = created.map((session) => session.id);
      if (order === 'desc') {
        expected.reverse();
      }
      const { forward, backward } = await walk((cursor) =>
        sessions().listByUser(store.app, userId, { pageSize: 10, order, cursor }),
      );

      expect(forward.map((page) => page.items.length)).toEqual([10, 10, 5]);
      expect(idsOf(forward)).toEqual(expected);
      expect(idsOf([...backward].reverse())).toEqual(expected);
    },
  );

  it('keeps users and applications apart', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const created = await sessions().create(store.app, alice, 60);
    await sessions().create(store.app, bob, 60);

    expect(idsOf([await sessions().listByUser(store.app, alice, asc)])).toEqual([created.id]);
    expect(await sessions().get(store.otherApp, created.id)).toBeNull();
    expect((await sessions().listByUser(store.otherApp, alice, asc)).items).toEqual([]);
    expect(await sessions().refresh(store.otherApp, created.id, 60)).toBe(false);
    expect(await sessions().delete(store.otherApp, created.id)).toBe(false);
    expect(await sessions().get(store.app, created.id)).toEqual(created);
  });
});
