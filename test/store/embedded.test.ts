import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/index.js';
import {
  createRedis,
  inspectRedisDurability,
  redisAnswers,
  startEmbeddedRedis,
} from '../../src/store/index.js';
import { freePort } from '../support/net.js';
import { TEST_REDIS_URL } from '../support/redis.js';

describe('embedded redis-server', () => {
  it('starts bound to loopback with AOF and noeviction, keeps data across a restart, and stops', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'confab-redis-')), 'redis');
    const port = await freePort();
    const options = { dataDir, port, searchPath: process.env.PATH ?? '', logger: silentLogger() };
    const first = await startEmbeddedRedis(options);
    const client = createRedis({ url: first.url });
    await client.connect();
    const durability = await inspectRedisDurability(client);
    expect(durability).toMatchObject({ maxmemoryPolicy: 'noeviction', appendonly: true, problems: [] });
    expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
    await client.set('kept', 'yes');
    client.disconnect();
    await first.stop();
    expect(await redisAnswers(first.url, 300)).toBe(false);
    expect(existsSync(dataDir) && readdirSync(dataDir).length).toBeGreaterThan(0);

    const second = await startEmbeddedRedis(options);
    const again = createRedis({ url: second.url });
    await again.connect();
    expect(await again.get('kept')).toBe('yes');
    again.disconnect();
    await second.stop();
  });

  it('reports when redis-server is not on the search path', async () => {
    await expect(
      startEmbeddedRedis({
        dataDir: tmpdir(),
        port: await freePort(),
        searchPath: '/nonexistent',
        logger: silentLogger(),
      }),
    ).rejects.toThrow('redis-server is not on PATH');
  });
});

describe('inspectRedisDurability', () => {
  it('names an evicting policy and missing persistence', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'confab-redis-'));
    const server = await startEmbeddedRedis({
      dataDir,
      port: await freePort(),
      searchPath: process.env.PATH ?? '',
      logger: silentLogger(),
    });
    const client = createRedis({ url: server.url });
    await client.connect();
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await client.config('SET', 'appendonly', 'no');
    const durability = await inspectRedisDurability(client);
    client.disconnect();
    await server.stop();

    expect(durability.problems).toEqual([
      'maxmemory-policy is allkeys-lru: Redis may evict queued events; set it to noeviction',
      'persistence is off (appendonly no, no save points): a Redis restart loses every conversation',
    ]);
  });

  it('reads the shared test server without throwing', async () => {
    const client = createRedis({ url: TEST_REDIS_URL });
    await client.connect();
    const durability = await inspectRedisDurability(client);
    client.disconnect();
    expect(typeof durability.maxmemoryPolicy).toBe('string');
  });
});
