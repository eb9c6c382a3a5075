import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type ConfabConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startConfab, StartupError, type RunningConfab } from '../../src/main.js';
import { runSipp } from '../sip/sippRun.js';
import { mintToken } from '../../src/auth/index.js';
import { minimalYaml, scratch, type Scratch } from '../support/config.js';
import { freePort } from '../support/net.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { createRedis, KeyScheme } from '../../src/store/index.js';
import { startTestApp, type TestApp } from './support/httpApp.js';
import { uacScenario } from './support/scenario.js';
import { sippArgs } from './support/voiceRig.js';

const running: RunningConfab[] = [];

/** Starts confab on `config` with the given roles, quietly. */
const startWith = (config: ConfabConfig, roles: { http: boolean; worker: boolean }): Promise<RunningConfab> =>
  startConfab({ config, logger: silentLogger(), roles, strict: false, searchPath: process.env.PATH ?? '' });
let app: TestApp | undefined;
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop('test over')));
  await app?.close();
  app = undefined;
});

/** The minimal test YAML with a voice event URL and the given `ncco` lines under the test number. */
async function yamlWith(
  eventUrl: string,
  nccoLines: string[],
  sipPort: number,
  httpPort?: number,
): Promise<{ file: string; s: Scratch; appId: string; recordings: string }> {
  const s = scratch();
  const appId = randomUUID();
  const recordings = mkdtempSync(join(tmpdir(), 'confab-rec-'));
  const base = minimalYaml(s, {
    redisUrl: TEST_REDIS_URL,
    httpPort: httpPort ?? (await freePort()),
    sipPort,
    appId,
  })
    .replace(
      '    signature_secret: s3cret\n',
      `    signature_secret: s3cret\n    voice: { event_url: "${eventUrl}" }\n`,
    )
    .replace(
      '  - { number: "14155550100", application: app }\n',
      ['  - number: "14155550100"', '    application: app', '    ncco:', ...nccoLines, ''].join('\n'),
    );

  const file = s.write(
    'c.yaml',
    `${base}media: { recordings_dir: "${recordings}" }\ntrunks:\n  - { name: local, inbound: { allow: [ 127.0.0.1/32 ] } }\n`,
  );

  return { file, s, appId, recordings };
}

describe('confab start with numbers[].ncco', () => {
  it('routes a number to its YAML NCCO: the call is answered, the NCCO runs, confab hangs up', async () => {
    app = await startTestApp();
    const sipPort = await freePort();
    const { file } = await yamlWith(
      `${app.url}/event`,
      [
        '      - { action: wait, timeout: 0.5 }',
        '      - { action: notify, payload: { from: yaml }, eventUrl: ["URL/notify"] }',
      ].map((l) => l.replace('URL', app?.url ?? '')),
      sipPort,
    );
    const { config } = loadConfig({ file, env: {} });
    running.push(await startWith(config, { http: true, worker: true }));
    const result = await runSipp(sippArgs(uacScenario({ end: 'bye' }), sipPort, '14155550100'));

    expect(result.code, result.explain).toBe(0);
    expect(app.at('/notify')[0]?.body).toEqual({ from: 'yaml' });
    await app.waitFor((r) => r.some((e) => e.body?.status === 'completed'));
    expect(app.at('/event').map((e) => e.body?.status)).toEqual([
      'started',
      'ringing',
      'answered',
      'completed',
    ]);
  });

  it('keeps voice events in Redis while no worker runs; a worker started later delivers them in order', async () => {
    app = await startTestApp();
    const sipPort = await freePort();
    const { file, appId } = await yamlWith(
      `${app.url}/event`,
      ['      - { action: wait, timeout: 0.2 }'],
      sipPort,
    );
    const { config } = loadConfig({ file, env: {} });
    const gateway = await startWith(config, { http: true, worker: false });
    running.push(gateway);
    const result = await runSipp(sippArgs(uacScenario({ end: 'bye' }), sipPort, '14155550100'));
    expect(result.code, result.explain).toBe(0);
    const redis = createRedis({ url: TEST_REDIS_URL });
    try {
      const keys = new KeyScheme(config.redis.prefix);
      const outboxKeys = async (): Promise<string[]> => redis.keys(`${keys.webhookOutbox(appId, '')}*`);
      const stored = async (): Promise<number> => {
        const found = await outboxKeys();

        return found.length === 1 ? redis.llen(found[0]!) : 0;
      };
      const deadline = Date.now() + 10_000;
      while ((await stored()) < 4 && Date.now() < deadline) {
        await new Promise((wake) => setTimeout(wake, 50));
      }
      expect(await stored()).toBe(4);
      // The gateway goes away; nothing was delivered, nothing is lost.
      running.splice(running.indexOf(gateway), 1);
      await gateway.stop('test: gateway restart');
      expect(app.at('/event')).toEqual([]);

      running.push(await startWith(config, { http: false, worker: true }));
      await app.waitFor((r) => r.some((e) => e.body?.status === 'completed'));
      expect(app.at('/event').map((e) => e.body?.status)).toEqual([
        'started',
        'ringing',
        'answered',
        'completed',
      ]);
      expect(await outboxKeys()).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('records with the NCCO and serves the recording at its recording_url to admin tokens only', async () => {
    app = await startTestApp();
    const sipPort = await freePort();
    const httpPort = await freePort();
    const { file, s, appId } = await yamlWith(
      `${app.url}/event`,
      [`      - { action: record, timeOut: 3, eventUrl: ["${app.url}/rec"] }`],
      sipPort,
      httpPort,
    );
    const { config } = loadConfig({ file, env: {} });
    running.push(await startWith(config, { http: true, worker: true }));
    const result = await runSipp(sippArgs(uacScenario({ end: 'bye' }), sipPort, '14155550100'));

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => r.some((e) => e.path === '/rec'));
    const rec = app.at('/rec')[0]?.body ?? {};
    const url = String(rec.recording_url);
    expect(url).toBe(`http://127.0.0.1:${httpPort}/v1/recordings/${String(rec.recording_uuid)}`);
    const token = await mintToken({ applicationId: appId, privateKeyPem: s.privateKeyPem });
    const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('audio/wav');
    expect((await ok.arrayBuffer()).byteLength).toBe(rec.size);
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
  });

  it('refuses to start when a number carries an NCCO that cannot run, with the path of the bad field', async () => {
    app = await startTestApp();
    const { file } = await yamlWith(
      `${app.url}/event`,
      ['      - { action: input, type: [dtmf], dtmf: { maxDigits: 30 } }'],
      await freePort(),
    );
    const { config } = loadConfig({ file, env: {} });
    const starting = startWith(config, { http: true, worker: true });

    await expect(starting).rejects.toThrow(StartupError);
    await expect(starting).rejects.toThrow(
      'numbers[0].ncco[0].dtmf.maxDigits: must be between 1 and 20 (got 30)',
    );
  });
});
