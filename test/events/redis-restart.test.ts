import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventProducer } from '../../src/events/index.js';
import type { ConversationEvent } from '../../src/domain/index.js';
import {
  createRedis,
  findExecutable,
  KeyScheme,
  redisAnswers,
  type RedisClient,
} from '../../src/store/index.js';
import { freshPrefix } from '../support/redis.js';
import {
  expectExactlyOnceInOrder,
  freePort,
  spawnWorker,
  testApplication,
  waitFor,
  waitForDrain,
  type WorkerProcess,
} from './helpers.js';

/** A private redis-server with every write fsynced to its append-only file before it is acknowledged. */
class PrivateRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'confab-redis-'));
  #child: ChildProcess | null = null;

  constructor(
    readonly binary: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      this.binary,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    await waitFor(() => redisAnswers(this.url, 200), 10_000, 'the private redis-server');
  }

  /** Kills the server outright (no shutdown save), as a crash would. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child !== null && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('a Redis restart (AOF on) during load', () => {
  let redis: PrivateRedis;
  let client: RedisClient;

  beforeAll(async () => {
    const binary = await findExecutable('redis-server', `${process.env.PATH ?? ''}:/usr/bin:/usr/local/bin`);
    if (binary === null) {
      // Never skipped: without redis-server this test cannot prove anything, so it fails.
      throw new Error('redis-server is not installed; the Redis restart test needs it');
    }
    redis = new PrivateRedis(binary, await freePort());
    await redis.start();
    client = createRedis({ url: redis.url, role: 'blocking' });
    client.on('error', () => undefined);
  });

  afterAll(async () => {
    client?.disconnect();
    await redis?.dispose();
  });

  it('loses no accepted event, duplicates none, and the workers resume without a restart', async () => {
    const prefix = freshPrefix();
    const keys = new KeyScheme(prefix);
    const app = testApplication();
    const workers: WorkerProcess[] = [];
    for (let i = 0; i < 2; i++) {
      workers.push(
        await spawnWorker({
          redisUrl: redis.url,
          prefix,
          applications: [app],
          concurrency: 8,
          lockDurationMs: 2000,
          stalledIntervalMs: 500,
        }),
      );
    }
    const producer = await createEventProducer({
      redisUrl: redis.url,
      keys,
      confirmPollMs: 300,
      confirmTimeoutMs: 30_000,
    });
    try {
      const conversations = Array.from({ length: 10 }, (_, i) => `CON-r${i}`);
      const perConversation = 150;
      const outcomes: Promise<ConversationEvent | Error>[] = [];
      let emitted = 0;
      const emitting = (async () => {
        for (let n = 0; n < perConversation; n++) {
          for (const conversationId of conversations) {
            outcomes.push(
              producer
                .emit({ applicationId: app.id, conversationId, type: 'message', body: { n } })
                .catch((error: Error) => error),
            );
          }
          emitted = n + 1;
          await new Promise((wake) => setTimeout(wake, 10));
        }
      })();
      await waitFor(() => emitted >= 40, 20_000, 'load to be under way');
      await redis.kill();
      await new Promise((wake) => setTimeout(wake, 500));
      await redis.start();
      await emitting;
      const results = await Promise.all(outcomes);
      const failures = results.filter((result) => result instanceof Error);
      // Emits made while Redis was away are retried until it is back, so every one is accepted.
      expect(failures.map((error) => error.message)).toEqual([]);
      await waitForDrain(client, keys);
      for (const conversationId of conversations) {
        await expectExactlyOnceInOrder(client, keys, app.id, conversationId, perConversation);
      }
      // The same worker processes still consume after the restart.
      const after = await producer.emit({
        applicationId: app.id,
        conversationId: 'CON-after',
        type: 'message',
        body: { n: 0 },
      });
      expect(after.id).toBe(1);
      expect(workers.every((worker) => worker.child.exitCode === null)).toBe(true);
    } finally {
      await producer.close();
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });
});
