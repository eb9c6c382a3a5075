import { redisAnswers } from '../src/store/index.js';
import { TEST_REDIS_URL } from './support/redis.js';

/**
 * Runs once before the suite: the integration tests need a real Redis. When none answers the suite stops
 * here with a clear message instead of failing test by test (and never skips).
 */
export default async function setup(): Promise<void> {
  if (!(await redisAnswers(TEST_REDIS_URL, 2000))) {
    throw new Error(
      `No Redis answers at ${TEST_REDIS_URL}. Start one (redis-server --daemonize yes) or set CONFAB_TEST_REDIS_URL; ` +
        '.ci/run installs and starts it on CI.',
    );
  }
}
