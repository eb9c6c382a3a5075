import { describe, expect, it } from 'vitest';
import { type PageRequest } from '../../src/domain/index.js';
import { paginate, zsetScan, type ScoreBounds } from '../../src/store/index.js';
import { idsOf, useStore, walk } from './fixtures.js';

describe('paginate over a sorted set', () => {
  const store = useStore();

  /** Fills a sorted set with 25 members, five per score, added in scrambled order. */
  async function fill(): Promise<{ key: string; sorted: string[] }> {
    const key = store.keys.app(store.app) + ':pagination-test';
    const entries = Array.from({ length: 25 }, (_, index) => ({
      score: 1000 + Math.floor(index / 5),
      id: `m-${(index * 7) % 25}`,
    }));
    await store.redis.zadd(key, ...entries.flatMap((entry) => [entry.score, entry.id]));
    const sorted = [...entries]
      .sort((a, b) => a.score - b.score || Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)))
      .map((entry) => entry.id);

    return { key, sorted };
  }

  /** Reads a page whose items are the members themselves, optionally keeping only some. */
  function reader(
    key: string,
    order: PageRequest['order'],
    pageSize: number,
    bounds?: ScoreBounds,
    keep?: (id: string) => boolean,
  ) {
    return (cursor?: string) =>
      paginate({ pageSize, order, cursor }, zsetScan(store.redis, key, bounds), (positions) =>
        Promise.resolve(
          positions.map((position) => (keep === undefined || keep(position.id) ? { id: position.id } : null)),
        ),
      );
  }

  it.each(['asc', 'desc'] as const)(
    'walks 25 members with ties in pages of 10 (%s), both ways',
    async (order) => {
      const { key, sorted } = await fill();
      const expected = order === 'asc' ? sorted : [...sorted].reverse();
      const { forward, backward } = await walk(reader(key, order, 10));

      expect(forward.map((page) => page.items.length)).toEqual([10, 10, 5]);
      expect(idsOf(forward)).toEqual(expected);
      expect(forward[0]!.prev).toBeUndefined();
      expect(forward[1]!.prev).toBeDefined();
      expect(forward[2]!.next).toBeUndefined();
      // Going back from the last page gives the same pages again, the first of them without a prev.
      expect(backward.map((page) => page.items.length)).toEqual([5, 10, 10]);
      expect(idsOf([...backward].reverse())).toEqual(expected);
      expect(backward[2]!.prev).toBeUndefined();
      expect(backward[2]!.next).toBeDefined();
    },
  );

  it('walks in pages of 1 without gaps or repeats', async () => {
    const { key, sorted } = await fill();
    const { forward, backward } = await walk(reader(key, 'asc', 1));

    expect(idsOf(forward)).toEqual(sorted);
    expect(idsOf([...backward].reverse())).toEqual(sorted);
  });

  it('continues after a cursor whose member was removed meanwhile', async () => {
    const { key, sorted } = await fill();
    const read = reader(key, 'asc', 7);
    const first = await read();
    await store.redis.zrem(key, String(first.items[6]!.id));
    const second = await read(first.next);

    expect(second.items.map((item) => item.id)).toEqual(sorted.slice(7, 14));
  });

  it('keeps to score bounds and skips items the loader rejects', async () => {
    const { key, sorted } = await fill();
    const keep = (id: string): boolean => Number(id.slice(2)) % 2 === 0;
    const { forward } = await walk(reader(key, 'desc', 3, { min: 1001, max: 1003 }, keep));
    const inBounds = sorted.slice(5, 20).filter(keep).reverse();

    expect(idsOf(forward)).toEqual(inBounds);
    expect(forward.every((page) => page.items.length === 3 || page.next === undefined)).toBe(true);
  });

  it('gives a single page without cursors when everything fits, and an empty page for an empty set', async () => {
    const { key } = await fill();
    const all = await reader(key, 'asc', 100)();

    expect(all.items).toHaveLength(25);
    expect(all.next).toBeUndefined();
    expect(all.prev).toBeUndefined();
    expect(await reader(`${key}:none`, 'asc', 10)()).toEqual({ items: [] });
  });
});
