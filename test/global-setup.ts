import { createRedis, redisAnswers } from '../src/store/index.js';
import { testRunId } from './support/config.js';
import { deleteByPattern, TEST_REDIS_URL } from './support/redis.js';

/**
 * Runs once before the suite: the integration tests need a real Redis. When none answers the suite stops
 * here with a clear message instead of failing test by test (and never skips). It returns the teardown:
 * the keys the confab processes started by tests left under this run's prefixes are deleted.
 */
export default async function setup(): Promise<() => Promise<void>> {
  if (!(await redisAnswers(TEST_REDIS_URL, 2000))) {
    throw new Error(
      `No Redis answers at ${TEST_REDIS_URL}. Start one (redis-server --daemonize yes) or set CONFAB_TEST_REDIS_URL; ` +
        '.ci/run installs and starts it on CI.',
    );
  }

  return async () => {
    const redis = createRedis({ url: TEST_REDIS_URL, name: 'confab-test-teardown' });
    await redis.connect();
    try {
      await deleteByPattern(redis, `t${testRunId()}-*`);
      await deleteByPattern(redis, `{t${testRunId()}-*`);
    } finally {
      redis.disconnect();
    }
  };
}
