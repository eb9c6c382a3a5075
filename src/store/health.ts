import type { RedisClient } from './connection.js';

/** What confab found of a Redis server's durability settings. */
export interface RedisDurability {
  /** The `maxmemory-policy`, or null when it could not be read (CONFIG may be disabled). */
  readonly maxmemoryPolicy: string | null;
  /** Whether the append-only file is on, or null when unknown. */
  readonly appendonly: boolean | null;
  /** The RDB `save` schedule ('' when off), or null when unknown. */
  readonly save: string | null;
  /** Human-readable problems; empty when the server is fit for confab. */
  readonly problems: string[];
}

/**
 * Reads the settings that decide whether Redis can lose confab's data: anything but `noeviction` may drop
 * queued jobs and records under memory pressure, and with neither AOF nor RDB a restart forgets everything.
 */
export async function inspectRedisDurability(redis: RedisClient): Promise<RedisDurability> {
  const read = async (name: string): Promise<string | null> => {
    try {
      const reply = await redis.config('GET', name);

      return reply[1] ?? null;
    } catch {
      return null;
    }
  };
  const [policy, appendonly, save] = await Promise.all([
    read('maxmemory-policy'),
    read('appendonly'),
    read('save'),
  ]);
  const problems: string[] = [];
  if (policy === null) {
    problems.push('could not read maxmemory-policy (CONFIG GET refused); make sure it is noeviction');
  } else if (policy !== 'noeviction') {
    problems.push(`maxmemory-policy is ${policy}: Redis may evict queued events; set it to noeviction`);
  }
  if (appendonly === 'no' && save === '') {
    problems.push(
      'persistence is off (appendonly no, no save points): a Redis restart loses every conversation',
    );
  } else if (appendonly === 'no') {
    problems.push(
      'appendonly is no: events recorded since the last RDB snapshot are lost when Redis restarts',
    );
  }

  return {
    maxmemoryPolicy: policy,
    appendonly: appendonly === null ? null : appendonly === 'yes',
    save,
    problems,
  };
}
