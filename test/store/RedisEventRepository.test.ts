import { describe, expect, it } from 'vitest';
import { isConfabError } from '../../src/domain/index.js';
import { EventRecorder, RedisEventRepository } from '../../src/store/index.js';
import { idsOf, useStore, walk, writeEvents } from './fixtures.js';

describe('RedisEventRepository', () => {
  const store = useStore();
  const events = (): RedisEventRepository => new RedisEventRepository(store.redis, store.keys);
  const conversationId = 'CON-00000000-0000-4000-8000-000000000001';
  const asc = { pageSize: 100, order: 'asc' } as const;
  /** 25 events: every fifth a message, the rest custom ones. */
  const fill = () =>
    writeEvents(
      store,
      conversationId,
      Array.from({ length: 25 }, (_, index) => ({
        type: index % 5 === 0 ? 'message' : 'custom:tick',
        body: { n: index + 1 },
        from: 'MEM-1',
      })),
    );

  it('reads one event, and null for ids that are missing or not ids', async () => {
    const [first] = await fill();

    expect(await events().get(store.app, conversationId, 1)).toEqual(first);
    for (const id of [0, 26, -1, 1.5]) {
      expect(await events().get(store.app, conversationId, id)).toBeNull();
    }
    expect(await events().get(store.app, 'CON-other', 1)).toBeNull();
  });

  it.each(['asc', 'desc'] as const)(
    'lists 25 events in pages of 10 in %s order, both ways',
    async (order) => {
      const written = await fill();
      const expected = written.map((event) => event.id);
      if (order === 'desc') {
        expected.reverse();
      }
      const { forward, backward } = await walk((cursor) =>
        events().list(store.app, conversationId, { pageSize: 10, order, cursor }),
      );

      expect(forward.map((page) => page.items.length)).toEqual([10, 10, 5]);
      expect(idsOf(forward)).toEqual(expected);
      expect(idsOf([...backward].reverse())).toEqual(expected);
      expect(forward[0]!.items[0]).toEqual(written[order === 'asc' ? 0 : 24]);
    },
  );

  it('filters by id range and type, across pages', async () => {
    await fill();
    const read = (cursor?: string) =>
      events().list(
        store.app,
        conversationId,
        { pageSize: 2, order: 'asc', cursor },
        { startId: 3, endId: 22, eventType: 'message' },
      );
    const { forward, backward } = await walk(read);

    expect(idsOf(forward)).toEqual([6, 11, 16, 21]);
    expect(forward.map((page) => page.items.length)).toEqual([2, 2]);
    expect(idsOf([...backward].reverse())).toEqual([6, 11, 16, 21]);
    expect(idsOf([await events().list(store.app, conversationId, asc, { startId: 24 })])).toEqual([24, 25]);
    expect(idsOf([await events().list(store.app, conversationId, asc, { endId: 2 })])).toEqual([1, 2]);
    expect(idsOf([await events().list(store.app, conversationId, asc, { endId: 99, startId: 25 })])).toEqual([
      25,
    ]);
    expect((await events().list(store.app, conversationId, asc, { startId: 10, endId: 5 })).items).toEqual(
      [],
    );
  });

  it('marks an event deleted, and can leave deleted events out of a list', async () => {
    await fill();

    expect(await events().markDeleted(store.app, conversationId, 2)).toBe(true);
    const deleted = await events().get(store.app, conversationId, 2);
    expect(deleted).toMatchObject({ id: 2, type: 'custom:tick', body: {}, from: 'MEM-1' });
    expect(deleted!.deletedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    // Marking again keeps the first deletion time.
    expect(await events().markDeleted(store.app, conversationId, 2)).toBe(true);
    expect(await events().get(store.app, conversationId, 2)).toEqual(deleted);

    expect(idsOf([await events().list(store.app, conversationId, { pageSize: 3, order: 'asc' })])).toEqual([
      1, 2, 3,
    ]);
    expect(
      idsOf([
        await events().list(
          store.app,
          conversationId,
          { pageSize: 3, order: 'asc' },
          { excludeDeleted: true },
        ),
      ]),
    ).toEqual([1, 3, 4]);
    expect(await events().markDeleted(store.app, conversationId, 99)).toBe(false);
    expect(await events().markDeleted(store.app, 'CON-other', 1)).toBe(false);
  });

  it('ends a list at the sequence number the caller read, when it gives one', async () => {
    await fill();

    const page = await events().list(store.app, conversationId, asc, {}, 20);

    expect(page.items.map((event) => event.id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(page.next).toBeUndefined();
  });

  it('gives an empty page for a conversation without events', async () => {
    expect(await events().list(store.app, conversationId, asc)).toEqual({ items: [] });
  });

  it('refuses bad filters and garbled cursors', async () => {
    await fill();
    for (const [filter, name] of [
      [{ startId: 0 }, 'start_id'],
      [{ endId: 1.5 }, 'end_id'],
    ] as const) {
      await expect(events().list(store.app, conversationId, asc, filter)).rejects.toSatisfy(
        (error) =>
          isConfabError(error, 'http:error:validation-fail') && error.invalidParameters[0]?.name === name,
      );
    }
    await expect(events().list(store.app, conversationId, { ...asc, cursor: '%%%' })).rejects.toSatisfy(
      (error) =>
        isConfabError(error, 'http:error:validation-fail') && error.invalidParameters[0]?.name === 'cursor',
    );
  });

  it('reads what the event pipeline records', async () => {
    const recorder = new EventRecorder(store.redis, store.keys);
    const timestamp = new Date().toISOString();
    const toRecord = ['a', 'b'].map((key) => ({
      conversationId,
      key,
      type: 'custom:x',
      from: 'MEM-1',
      body: { key, list: [] },
      effect: { kind: 'none' } as const,
    }));
    await recorder.record(store.app, toRecord, { jobId: 'job-1', confirmChannel: null, timestamp });

    expect((await events().list(store.app, conversationId, asc)).items).toEqual(
      toRecord.map((event, index) => ({
        id: index + 1,
        applicationId: store.app,
        conversationId,
        type: 'custom:x',
        from: 'MEM-1',
        body: event.body,
        timestamp,
        deletedAt: null,
      })),
    );
  });

  it('keeps applications apart', async () => {
    await fill();

    expect(await events().get(store.otherApp, conversationId, 1)).toBeNull();
    expect((await events().list(store.otherApp, conversationId, asc)).items).toEqual([]);
    expect(await events().markDeleted(store.otherApp, conversationId, 1)).toBe(false);
    expect((await events().get(store.app, conversationId, 1))?.deletedAt).toBeNull();
  });
});
