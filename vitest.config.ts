import { randomBytes } from 'node:crypto';
import { defineConfig } from 'vitest/config';

// One id per test run, inherited by the test workers: the Redis prefixes of the configurations tests write
// start with it, so the global teardown removes this run's keys and no other's.
process.env.CONFAB_TEST_RUN ??= randomBytes(3).toString('hex');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one Redis server and real ports; keep files in sequence so that
    // timing-sensitive SIP and media tests do not starve each other on a two-core machine.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
