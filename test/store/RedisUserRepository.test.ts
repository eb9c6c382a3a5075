import { describe, expect, it } from 'vitest';
import { isConfabError, isId, type User } from '../../src/domain/index.js';
import { RedisSessionRepository, RedisUserRepository } from '../../src/store/index.js';
import { creationOrder, idsOf, race, useStore, walk } from './fixtures.js';

describe('RedisUserRepository', () => {
  const store = useStore();
  const users = (): RedisUserRepository => new RedisUserRepository(store.redis, store.keys);

  it('creates a user with defaults and reads it by id and by name', async () => {
    const created = await users().create(store.app, { name: 'alice', displayName: 'Alice' });

    expect(isId('user', created.id)).toBe(true);
    expect(created).toMatchObject({
      applicationId: store.app,
      name: 'alice',
      displayName: 'Alice',
      imageUrl: null,
      properties: { customData: {}, ttl: null },
      channels: {},
    });
    expect(created.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(created.updatedAt).toBe(created.createdAt);
    expect(await users().get(store.app, created.id)).toEqual(created);
    expect(await users().getByName(store.app, 'alice')).toEqual(created);
    expect(await users().get(store.app, 'USR-missing')).toBeNull();
    expect(await users().getByName(store.app, 'bob')).toBeNull();
  });

  it('refuses a second user of the same name', async () => {
    await users().create(store.app, { name: 'alice' });

    await expect(users().create(store.app, { name: 'alice' })).rejects.toSatisfy((error) =>
      isConfabError(error, 'user:error:duplicate-name'),
    );
  });

  it('lets exactly one of 20 concurrent creates of one name win', async () => {
    const { won, lost } = await race(20, (index) =>
      users().create(store.app, { name: 'carol', displayName: `try ${index}` }),
    );

    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    expect(lost.every((error) => isConfabError(error, 'user:error:duplicate-name'))).toBe(true);
    expect(await users().getByName(store.app, 'carol')).toEqual(won[0]);
    expect((await users().list(store.app, { pageSize: 100, order: 'asc' })).items).toHaveLength(1);
  });

  it('updates fields and keeps id, application and creation time', async () => {
    const created = await users().create(store.app, { name: 'dave' });
    const patch = {
      displayName: 'Dave',
      properties: { customData: { a: 1 }, ttl: 60 },
      channels: { pstn: [{ number: 1 }] },
    };
    const updated = await users().update(store.app, created.id, {
      ...patch,
      id: 'USR-forged',
      createdAt: 'x',
    } as typeof patch);

    expect(updated).toMatchObject({ id: created.id, createdAt: created.createdAt, name: 'dave', ...patch });
    expect(await users().get(store.app, created.id)).toEqual(updated);
  });

  it('renames atomically: the new name finds the user, the old one is free again', async () => {
    const created = await users().create(store.app, { name: 'erin' });
    await users().update(store.app, created.id, { name: 'erin2' });

    expect((await users().getByName(store.app, 'erin2'))?.id).toBe(created.id);
    expect(await users().getByName(store.app, 'erin')).toBeNull();
    expect((await users().create(store.app, { name: 'erin' })).name).toBe('erin');
  });

  it('refuses a rename to a taken name and changes nothing', async () => {
    const first = await users().create(store.app, { name: 'frank' });
    const second = await users().create(store.app, { name: 'grace' });

    await expect(users().update(store.app, second.id, { name: 'frank', displayName: 'G' })).rejects.toSatisfy(
      (error) => isConfabError(error, 'user:error:duplicate-name'),
    );
    expect(await users().get(store.app, second.id)).toEqual(second);
    expect((await users().getByName(store.app, 'frank'))?.id).toBe(first.id);
  });

  it('lets exactly one of concurrent renames to one name win', async () => {
    const created = await Promise.all(
      Array.from({ length: 10 }, (_, index) => users().create(store.app, { name: `u${index}` })),
    );
    const { won, lost } = await race(10, (index) =>
      users().update(store.app, created[index]!.id, { name: 'target' }),
    );

    expect(won).toHaveLength(1);
    expect(lost.every((error) => isConfabError(error, 'user:error:duplicate-name'))).toBe(true);
    expect((await users().getByName(store.app, 'target'))?.id).toBe(won[0]!.id);
  });

  it('loses no change when updates of different fields of one user race', async () => {
    const created = await users().create(store.app, { name: 'henry' });
    const patches = [
      { displayName: 'Henry' },
      { imageUrl: 'https://example.com/h.png' },
      { channels: { pstn: [{ number: 1 }] } },
      { properties: { customData: { k: 'v' }, ttl: 5 } },
    ];
    // All four reads go out before any write, so only a compare-and-swap keeps every change.
    await Promise.all(patches.map((patch) => users().update(store.app, created.id, patch)));

    expect(await users().get(store.app, created.id)).toMatchObject(
      Object.assign({ name: 'henry' }, ...patches),
    );
  });

  it('fails to update a missing user with user:error:not-found', async () => {
    await expect(users().update(store.app, 'USR-missing', { displayName: 'x' })).rejects.toSatisfy((error) =>
      isConfabError(error, 'user:error:not-found'),
    );
  });

  it('deletes a user with its name, index entry and sessions', async () => {
    const created = await users().create(store.app, { name: 'ivan' });
    const sessions = new RedisSessionRepository(store.redis, store.keys);
    const session = await sessions.create(store.app, created.id, 60);

    expect(await users().delete(store.app, created.id)).toBe(true);
    expect(await users().get(store.app, created.id)).toBeNull();
    expect(await users().getByName(store.app, 'ivan')).toBeNull();
    expect((await users().list(store.app, { pageSize: 10, order: 'asc' })).items).toEqual([]);
    expect(await sessions.get(store.app, session.id)).toBeNull();
    expect(await store.redis.exists(store.keys.userSessions(store.app, created.id))).toBe(0);
    expect(await users().delete(store.app, created.id)).toBe(false);
    expect((await users().create(store.app, { name: 'ivan' })).name).toBe('ivan');
  });

  it.each(['asc', 'desc'] as const)('lists 25 users in pages of 10 in %s order, both ways', async (order) => {
    const created: User[] = [];
    for (let index = 0; index < 25; index += 1) {
      created.push(await users().create(store.app, { name: `user-${index}` }));
    }
    const expected = creationOrder(created, order);
    const { forward, backward } = await walk((cursor) =>
      users().list(store.app, { pageSize: 10, order, cursor }),
    );

    expect(forward.map((page) => page.items.length)).toEqual([10, 10, 5]);
    expect(idsOf(forward)).toEqual(expected);
    expect(idsOf([...backward].reverse())).toEqual(expected);
    expect(backward[backward.length - 1]!.prev).toBeUndefined();
  });

  it('lists by name as a page of at most one user', async () => {
    const created = await users().create(store.app, { name: 'judy' });
    await users().create(store.app, { name: 'kim' });

    expect(await users().list(store.app, { pageSize: 10, order: 'asc' }, { name: 'judy' })).toEqual({
      items: [created],
    });
    expect(await users().list(store.app, { pageSize: 10, order: 'asc' }, { name: 'nobody' })).toEqual({
      items: [],
    });
  });

  it('refuses a garbled cursor with a validation error on cursor', async () => {
    await expect(
      users().list(store.app, { pageSize: 10, order: 'asc', cursor: 'garbage!' }),
    ).rejects.toSatisfy(
      (error) =>
        isConfabError(error, 'http:error:validation-fail') && error.invalidParameters[0]?.name === 'cursor',
    );
  });

  it('keeps applications apart', async () => {
    const mine = await users().create(store.app, { name: 'shared-name' });
    const theirs = await users().create(store.otherApp, { name: 'shared-name' });

    expect(await users().get(store.otherApp, mine.id)).toBeNull();
    expect((await users().getByName(store.otherApp, 'shared-name'))?.id).toBe(theirs.id);
    expect(idsOf([await users().list(store.otherApp, { pageSize: 100, order: 'asc' })])).toEqual([theirs.id]);
    await expect(users().update(store.otherApp, mine.id, { displayName: 'x' })).rejects.toSatisfy((error) =>
      isConfabError(error, 'user:error:not-found'),
    );
    expect(await users().delete(store.otherApp, mine.id)).toBe(false);
    expect(await users().get(store.app, mine.id)).toEqual(mine);
  });
});
