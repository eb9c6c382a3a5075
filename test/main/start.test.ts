import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startConfab, StartupError, type RunningConfab } from '../../src/main.js';
import { createRedis, startEmbeddedRedis } from '../../src/store/index.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_REDIS_URL } from '../support/redis.js';
import { minimalYaml, scratch } from '../support/config.js';
import { freePort, waitForHttp } from '../support/net.js';

const running: RunningConfab[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop('test over')));
});

async function start(
  yamlOptions: { httpPort: number; redisUrl?: string; sipPort?: number },
  strict = false,
): Promise<RunningConfab> {
  const s = scratch();
  // A trunk admits loopback, so that the test may talk SIP to the running process.
  const yaml = `${minimalYaml(s, { redisUrl: TEST_REDIS_URL, sipPort: await freePort(), ...yamlOptions })}trunks:\n  - { name: local, inbound: { allow: [ 127.0.0.1/32 ] } }\n`;
  const { config } = loadConfig({ file: s.write('c.yaml', yaml), env: {} });
  const confab = await startConfab({
    config,
    logger: silentLogger(),
    roles: { http: true, worker: false },
    strict,
    searchPath: process.env.PATH ?? '',
  });
  running.push(confab);

  return confab;
}

/** Sends one OPTIONS request over UDP and returns the first line of the answer. */
async function sipOptions(port: number): Promise<string> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const local = socket.address().port;
  const request = [
    `OPTIONS sip:confab@127.0.0.1:${port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-${Date.now()};rport`,
    'Max-Forwards: 70',
    `From: <sip:test@127.0.0.1:${local}>;tag=t1`,
    `To: <sip:confab@127.0.0.1:${port}>`,
    `Call-ID: ${Date.now()}@127.0.0.1`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer to OPTIONS')), 3000);
      socket.once('message', (message) => {
        clearTimeout(timer);
        resolve(message.toString('utf8').split('\r\n')[0] ?? '');
      });
      socket.send(request, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

describe('startConfab', () => {
  it('serves health, readiness and Prometheus metrics, and releases its port on stop', async () => {
    const port = await freePort();
    const sipPort = await freePort();
    const confab = await start({ httpPort: port, sipPort });
    const base = `http://127.0.0.1:${port}`;

    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'up' });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { redis: true } });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toMatch(/^confab_process_cpu_user_seconds_total \d/m);
    const missing = await fetch(`${base}/v1/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await missing.json()).toMatchObject({ code: 'http:error:not-found', title: 'Not found.' });

    // SIP answers OPTIONS from an admitted source.
    expect(await sipOptions(sipPort)).toMatch(/^SIP\/2\.0 200 /);

    // The Conversation API, its OpenAPI document and the realtime endpoint are mounted.
    expect((await fetch(`${base}/v1/users`)).status).toBe(401);
    expect(((await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string }).openapi).toBe(
      '3.1.0',
    );
    expect((await fetch(`${base}/v1/realtime`)).status).toBeGreaterThanOrEqual(400);

    await confab.stop('test');
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });

  it('refuses to start on a port in use, naming the key, and leaves nothing running', async () => {
    const port = await freePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const attempt = start({ httpPort: port });
      await expect(attempt).rejects.toBeInstanceOf(StartupError);
      await expect(attempt).rejects.toThrow(`http.port: TCP port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it('fails within 5 s with advice when no Redis answers at a configured URL', async () => {
    const deadPort = await freePort();
    const began = Date.now();
    const attempt = start({ httpPort: await freePort(), redisUrl: `redis://127.0.0.1:${deadPort}` });

    await expect(attempt).rejects.toThrow(
      /no Redis answers at redis:\/\/127\.0\.0\.1:\d+\. Install and start Redis/,
    );
    expect(Date.now() - began).toBeLessThan(5000);
  });
});

describe('Redis fitness', () => {
  it('refuses with --strict a Redis that may evict keys, and only warns without it', async () => {
    const redis = await startEmbeddedRedis({
      dataDir: mkdtempSync(join(tmpdir(), 'confab-redis-')),
      port: await freePort(),
      searchPath: process.env.PATH ?? '',
      logger: silentLogger(),
    });
    const admin = createRedis({ url: redis.url });
    await admin.connect();
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    admin.disconnect();
    try {
      await expect(start({ httpPort: await freePort(), redisUrl: redis.url }, true)).rejects.toThrow(
        /Redis is not fit for confab \(--strict\):\n {2}maxmemory-policy is allkeys-lru/,
      );
      const lenient = await start({ httpPort: await freePort(), redisUrl: redis.url }, false);
      expect(lenient.httpAddress).not.toBeNull();
    } finally {
      await Promise.all(running.splice(0).map((r) => r.stop('test over')));
      await redis.stop();
    }
  });
});

describe('confab start as a process', () => {
  it('drains and exits 0 on SIGTERM', async () => {
    const s = scratch();
    const port = await freePort();
    const file = s.write(
      'c.yaml',
      minimalYaml(s, { httpPort: port, redisUrl: TEST_REDIS_URL, sipPort: await freePort() }),
    );
    const entry = new URL('../../src/cli/run.ts', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', entry, 'start', '--no-worker', '--config', file],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    expect(await waitForHttp(`http://127.0.0.1:${port}/health`, 10_000), output).toBe('{"status":"up"}');
    child.kill('SIGTERM');

    expect(await exited).toBe(0);
  });
});
