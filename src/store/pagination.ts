import { type Page, type PageRequest } from '../domain/index.js';
import { type RedisClient } from './connection.js';
import { checkPageRequest, decodeCursor, encodeCursor, type Position } from './cursor.js';
import { LuaScript } from './LuaScript.js';

/** Which way a scan walks a list: towards higher (score, id) or lower. */
export type Travel = 'up' | 'down';

/**
 * Reads up to `count` positions of a list strictly beyond `from` (or from the start of the travel when
 * null), in travel order. Fewer than `count` means the list is exhausted in that direction.
 */
export type Scan = (from: Position | null, travel: Travel, count: number) => Promise<Position[]>;

/**
 * Loads the items at the given positions, in the same order; null for an item that is gone or that a
 * filter rejects (it is then skipped and the scan goes on).
 */
export type Load<T> = (positions: readonly Position[]) => Promise<(T | null)[]>;

/** The largest batch a filtered scan reads in one go. */
const MAX_BATCH = 200;

/**
 * Reads one page of an ordered list. Walks from the cursor's position (or the start) in the page's order,
 * or against it for a `prev` cursor, keeps the items `load` accepts, and builds the `next` and `prev`
 * cursors: `next` is absent when nothing follows, and `prev` is absent on a page reached without a cursor
 * or by a `prev` cursor with nothing before it. A page reached by a `next` cursor always has a `prev`.
 */
export async function paginate<T>(page: PageRequest, scan: Scan, load: Load<T>): Promise<Page<T>> {
  checkPageRequest(page);
  const cursor = page.cursor === undefined ? null : decodeCursor(page.cursor, page.order);
  const forward: Travel = page.order === 'asc' ? 'up' : 'down';
  const travel: Travel = cursor?.direction === 'prev' ? opposite(forward) : forward;
  const found = await collect(scan, load, cursor?.position ?? null, travel, page.pageSize + 1);
  const more = found.length > page.pageSize;
  const taken = found.slice(0, page.pageSize);
  if (travel !== forward) {
    taken.reverse();
  }
  const result: Page<T> = { items: taken.map((entry) => entry.item) };
  const link = (direction: 'next' | 'prev', position: Position): string =>
    encodeCursor({ order: page.order, direction, position });
  const firstItem = taken[0]?.position;
  const lastItem = taken[taken.length - 1]?.position;
  if (cursor === null) {
    if (more && lastItem !== undefined) {
      result.next = link('next', lastItem);
    }
  } else if (cursor.direction === 'next') {
    result.prev = link('prev', firstItem ?? cursor.position);
    if (more && lastItem !== undefined) {
      result.next = link('next', lastItem);
    }
  } else {
    result.next = link('next', lastItem ?? cursor.position);
    if (more && firstItem !== undefined) {
      result.prev = link('prev', firstItem);
    }
  }

  return result;
}

/** The other way. */
function opposite(travel: Travel): Travel {
  return travel === 'up' ? 'down' : 'up';
}

/** Walks the list in batches until `wanted` items are accepted or the list ends. */
async function collect<T>(
  scan: Scan,
  load: Load<T>,
  from: Position | null,
  travel: Travel,
  wanted: number,
): Promise<{ position: Position; item: T }[]> {
  const found: { position: Position; item: T }[] = [];
  let at = from;
  let batch = wanted;
  for (;;) {
    const positions = await scan(at, travel, batch);
    const items = positions.length > 0 ? await load(positions) : [];
    positions.forEach((position, index) => {
      const item = items[index];
      if (item !== null && item !== undefined && found.length < wanted) {
        found.push({ position, item });
      }
    });
    const lastRead = positions[positions.length - 1];
    if (found.length >= wanted || positions.length < batch || lastRead === undefined) {
      return found;
    }
    at = lastRead;
    batch = Math.min(batch * 2, MAX_BATCH);
  }
}

// One window of a sorted set, ordered by (score, member) as Redis orders it. The position of a cursor
// may name a member that has since been removed, so the window is located by counting: the members
// before a position are those with a lower score plus the ties at its score whose bytes sort lower.
// Lua compares strings with the C locale's strcoll, which may differ from Redis' byte order, so the tie
// comparison is done byte by byte.
const ZSET_WINDOW = new LuaScript(`
local key = KEYS[1]
local function bytes_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local function before(score, id, inclusive)
  local n = redis.call('ZCOUNT', key, '-inf', '(' .. score)
  local ties = redis.call('ZRANGE', key, score, score, 'BYSCORE')
  for _, member in ipairs(ties) do
    if bytes_less(member, id) or (inclusive and member == id) then n = n + 1 end
  end
  return n
end
local lo = 0
if ARGV[5] ~= '-inf' then lo = redis.call('ZCOUNT', key, '-inf', '(' .. ARGV[5]) end
local hi = redis.call('ZCOUNT', key, '-inf', ARGV[6])
local count = tonumber(ARGV[7])
local first, stop
if ARGV[1] == 'up' then
  first = lo
  if ARGV[2] == '1' then first = math.max(first, before(ARGV[3], ARGV[4], true)) end
  stop = math.min(hi, first + count)
else
  stop = hi
  if ARGV[2] == '1' then stop = math.min(stop, before(ARGV[3], ARGV[4], false)) end
  first = math.max(lo, stop - count)
end
if stop <= first then return {} end
return redis.call('ZRANGE', key, first, stop - 1, 'WITHSCORES')
`);

/** Inclusive score bounds of a sorted-set scan; absent means unbounded. */
export interface ScoreBounds {
  min?: number;
  max?: number;
}

/** A {@link Scan} over a sorted set whose scores are integers (creation or expiry times in ms). */
export function zsetScan(redis: RedisClient, key: string, bounds: ScoreBounds = {}): Scan {
  return async (from, travel, count) => {
    const reply = await ZSET_WINDOW.run(
      redis,
      [key],
      [
        travel,
        from === null ? '0' : '1',
        from === null ? '0' : String(from.score),
        from === null ? '' : from.id,
        bounds.min === undefined ? '-inf' : String(bounds.min),
        bounds.max === undefined ? '+inf' : String(bounds.max),
        count,
      ],
    );
    if (!Array.isArray(reply)) {
      throw new TypeError('unexpected reply of the sorted-set window script');
    }
    const positions: Position[] = [];
    for (let index = 0; index + 1 < reply.length; index += 2) {
      positions.push({ id: String(reply[index]), score: Number(reply[index + 1]) });
    }

    return travel === 'up' ? positions : positions.reverse();
  };
}
