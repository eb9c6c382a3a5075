import { randomUUID } from 'node:crypto';
import { createRedis, KeyScheme, type RedisClient } from '../../src/store/index.js';

/** The Redis every integration test talks to (the CI script starts one when none answers). */
export const TEST_REDIS_URL = process.env.CONFAB_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix, so that tests never see each other's keys. */
export function freshPrefix(): string {
  return `test-${randomUUID().slice(0, 8)}`;
}

/** A connected client plus a fresh key scheme; `cleanup()` deletes every key under the prefix and disconnects. */
export async function testRedis(): Promise<{
  redis: RedisClient;
  keys: KeyScheme;
  prefix: string;
  cleanup: () => Promise<void>;
}> {
  const redis = createRedis({ url: TEST_REDIS_URL, name: 'confab-test' });
  await redis.connect();
  const prefix = freshPrefix();
  const keys = new KeyScheme(prefix);

  return {
    redis,
    keys,
    prefix,
    cleanup: async () => {
      await deleteByPattern(redis, `${prefix}:*`);
      await deleteByPattern(redis, `{${prefix}:*`);
      redis.disconnect();
    },
  };
}

/** Deletes every key matching a glob pattern (SCAN, never KEYS). */
export async function deleteByPattern(redis: RedisClient, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (batch.length > 0) {
      await redis.unlink(...batch);
    }
  } while (cursor !== '0');
}
