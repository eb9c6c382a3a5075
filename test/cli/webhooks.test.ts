import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startConfab, type RunningConfab } from '../../src/main.js';
import { runCli } from '../support/cli.js';
import { minimalYaml, scratch } from '../support/config.js';
import { freePort } from '../support/net.js';
import { TEST_REDIS_URL } from '../support/redis.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

/** Starts an HTTP receiver on `port` that records every request body. */
async function receiver(port: number): Promise<{ server: Server; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      bodies.push(JSON.parse(text) as Record<string, unknown>);
      response.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));

  return { server, bodies };
}

describe('confab webhooks failed | replay', () => {
  it('lists deliveries that exhausted their retries and delivers them again once the endpoint is back', async () => {
    const s = scratch();
    const httpPort = await freePort();
    const hookPort = await freePort();
    const appId = '5a0f9d3e-8c1b-4e2a-9f6d-1b2c3d4e5f60';
    const yaml = minimalYaml(s, { httpPort, redisUrl: TEST_REDIS_URL, appId, sipPort: await freePort() })
      .replace('shutdown:', 'events: { webhook_attempts: 1, webhook_timeout_ms: 500 }\nshutdown:')
      .replace(
        '    signature_secret: s3cret',
        `    signature_secret: s3cret\n    rtc: { event_url: "http://127.0.0.1:${hookPort}/rtc" }`,
      );
    const file = s.write('c.yaml', yaml);
    const { config } = loadConfig({ file, env: {} });
    const confab: RunningConfab = await startConfab({
      config,
      logger: silentLogger(),
      roles: { http: true, worker: true },
      strict: false,
      searchPath: process.env.PATH ?? '',
    });
    cleanups.push(() => confab.stop('test over'));

    // One member joining records one event, whose webhook has nowhere to go.
    const token = await mintToken({ applicationId: appId, privateKeyPem: s.privateKeyPem });
    const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const response = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(response.status, path).toBeLessThan(300);

      return (await response.json()) as Record<string, unknown>;
    };
    const user = await call('POST', '/v1/users', { name: 'alice' });
    const conversation = await call('POST', '/v1/conversations', { name: 'support' });
    await call('POST', `/v1/conversations/${String(conversation.id)}/members`, {
      state: 'JOINED',
      user: { id: user.id },
      channel: { type: 'app' },
    });

    let listed = '';
    for (let i = 0; i < 100 && !listed.includes(String(conversation.id)); i++) {
      await new Promise((wake) => setTimeout(wake, 100));
      listed = (await runCli(['webhooks', 'failed', '--json', '--config', file])).stdout;
    }
    const letters = JSON.parse(listed) as { id: string; conversationId: string; attempts: number }[];
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ conversationId: conversation.id, attempts: 1 });

    const { bodies } = await receiver(hookPort);
    const replay = await runCli(['webhooks', 'replay', '--config', file]);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toContain('delivered: 1');
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({
      type: 'member:joined',
      conversation_id: conversation.id,
      application_id: appId,
    });
    expect((await runCli(['webhooks', 'failed', '--config', file])).stdout).toContain('dead letters: 0');
  });
});
