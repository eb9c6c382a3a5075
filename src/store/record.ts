import { ConfabError } from '../domain/index.js';
import { type RedisClient } from './connection.js';
import { LuaScript } from './LuaScript.js';

// Records are JSON strings of domain objects. Every change is a compare-and-swap: the repository reads
// the record, builds the successor in TypeScript, and a script writes it only when the stored text is
// still the one that was read; a concurrent writer makes the script answer `conflict` and the change is
// rebuilt on the fresh record. That keeps read-modify-write atomic without WATCH, which would be unsafe
// on the one multiplexed connection repositories share.

/** Parses a stored record. The store only ever writes records of the matching type. */
export function parseRecord<T>(json: string | null | undefined): T | null {
  if (json === null || json === undefined) {
    return null;
  }

  return JSON.parse(json) as T;
}

/** Milliseconds since the epoch of an ISO timestamp: the sort score of a record. */
export function scoreOf(isoTimestamp: string): number {
  return Date.parse(isoTimestamp);
}

/**
 * Stores a new record under a unique name: claims the name, writes the record and adds it to the
 * creation index in one step. Replies `ok`, or `duplicate` when the name was taken.
 */
export const CREATE_NAMED = new LuaScript(`
-- KEYS: record, creation index, name index. ARGV: id, JSON, score, name.
if redis.call('HSETNX', KEYS[3], ARGV[4], ARGV[1]) == 0 then return 'duplicate' end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 'ok'
`);

/** Replaces a record if unchanged. Replies `ok`, `missing` or `conflict`; a TTL on the key is kept. */
export const REPLACE = new LuaScript(`
-- KEYS: record. ARGV: expected JSON, new JSON.
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
if current ~= ARGV[1] then return 'conflict' end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 'ok'
`);

/**
 * Replaces a named record if unchanged and moves its name in the name index when it changes. Replies
 * `ok`, `missing`, `conflict`, or `duplicate` when the new name belongs to another record.
 */
export const REPLACE_NAMED = new LuaScript(`
-- KEYS: record, name index. ARGV: expected JSON, new JSON, id, old name, new name.
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
if current ~= ARGV[1] then return 'conflict' end
if ARGV[4] ~= ARGV[5] then
  local owner = redis.call('HGET', KEYS[2], ARGV[5])
  if owner and owner ~= ARGV[3] then return 'duplicate' end
  if redis.call('HGET', KEYS[2], ARGV[4]) == ARGV[3] then redis.call('HDEL', KEYS[2], ARGV[4]) end
  redis.call('HSET', KEYS[2], ARGV[5], ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 'ok'
`);

/** How often a compare-and-swap is retried before the store gives up on a hot record. */
const MAX_ATTEMPTS = 50;

/** The outcome of {@link swapRecord}. */
export type SwapOutcome<T> =
  { status: 'ok'; record: T } | { status: 'missing' } | { status: 'refused'; reason: string };

/**
 * Reads the record at `key`, builds its successor with `build` and hands both texts to `write`, which runs
 * a compare-and-swap script and returns its status word. `conflict` retries on the fresh record, `ok`
 * and `missing` end, any other word is handed back as a refusal (such as `duplicate`).
 */
export async function swapRecord<T>(
  redis: RedisClient,
  key: string,
  build: (current: T) => T,
  write: (expected: string, next: string, current: T, successor: T) => Promise<string>,
): Promise<SwapOutcome<T>> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
    const expected = await redis.get(key);
    const current = parseRecord<T>(expected);
    if (expected === null || current === null) {
      return { status: 'missing' };
    }
    const successor = build(current);
    const status = await write(expected, JSON.stringify(successor), current, successor);
    switch (status) {
      case 'ok':
        return { status: 'ok', record: successor };
      case 'missing':
        return { status: 'missing' };
      case 'conflict':
        continue;
      default:
        return { status: 'refused', reason: status };
    }
  }
  throw new ConfabError('system:error:unavailable', `Record too busy to update [key:${key}].`);
}

/**
 * Copies the listed fields of a patch that are present (not undefined) onto a copy of a record. Only the
 * listed fields are taken, so an object that carries more than its patch type (a request body, say) can
 * never overwrite ids or creation times.
 */
export function applyPatch<T extends object, K extends keyof T>(
  record: T,
  patch: Partial<Pick<T, K>>,
  fields: readonly K[],
): T {
  const next: T = { ...record };
  for (const field of fields) {
    const value = patch[field];
    if (value !== undefined) {
      next[field] = value;
    }
  }

  return next;
}

/** Reads several records in one MGET (all keys of one application share a slot); null where one is gone. */
export async function loadRecords<T>(redis: RedisClient, keys: readonly string[]): Promise<(T | null)[]> {
  if (keys.length === 0) {
    return [];
  }
  const texts = await redis.mget(...keys);

  return texts.map((text) => parseRecord<T>(text));
}
