import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenGenerate } from '@vonage/jwt';
import { loadConfig } from '../../../src/config/index.js';
import type { Leg } from '../../../src/domain/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { startConfab, type RunningConfab } from '../../../src/main.js';
import { KeyScheme, createRedis, createRepositories } from '../../../src/store/index.js';
import { freeUdpPort, startSipp, type SippRun } from '../../sip/sippRun.js';
import { minimalYaml, scratch } from '../../support/config.js';
import { freePort } from '../../support/net.js';
import { TEST_REDIS_URL, deleteByPattern } from '../../support/redis.js';

const runs: SippRun[] = [];
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  for (const run of runs.splice(0)) {
    run.child.kill('SIGKILL');
  }
  await stop?.();
  stop = null;
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error('condition not reached in time');
    }
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

// The whole process (startConfab): the Calls API and the connect action as main.ts wires them.
describe('confab start: the Calls API and connect through the trunk', () => {
  it('places a call over POST /v1/calls and connects an inbound caller to a number through the trunk', async () => {
    const calleePort = await freeUdpPort();
    const callee = startSipp(
      [
        '-sn',
        'uas',
        '-i',
        '127.0.0.1',
        '-p',
        String(calleePort),
        '-m',
        '2',
        '-timeout',
        '40',
        '-timeout_error',
      ],
      45_000,
    );
    runs.push(callee);
    const s = scratch();
    const applicationId = randomUUID();
    const sipPort = await freePort();
    const httpPort = await freePort();
    const rtpBase = 30000 + 200 * Math.floor(Math.random() * 100);
    const yaml = minimalYaml(s, {
      httpPort,
      redisUrl: TEST_REDIS_URL,
      sipPort,
      appId: applicationId,
    }).replace(
      '  - { number: "14155550100", application: app }',
      [
        '  - number: "14155550100"',
        '    application: app',
        '    ncco: [ { action: connect, timeout: 10, endpoint: [ { type: phone, number: "15550002222" } ] } ]',
      ].join('\n'),
    );
    const trunk = `{ name: carrier, inbound: { allow: [ 127.0.0.1/32 ] }, outbound: { uri: "sip:127.0.0.1:${calleePort}", transport: udp } }`;
    const full = `${yaml}trunks:\n  - ${trunk}\nmedia: { rtp_port_min: ${rtpBase}, rtp_port_max: ${rtpBase + 199} }\n`;
    const { config } = loadConfig({ file: s.write('c.yaml', full), env: {} });
    const confab: RunningConfab = await startConfab({
      config,
      logger: silentLogger(),
      roles: { http: true, worker: true },
      strict: false,
      searchPath: process.env.PATH ?? '',
    });
    const redis = createRedis({ url: TEST_REDIS_URL, name: 'confab-calls-main-test' });
    await redis.connect();
    stop = async () => {
      await confab.stop('test over');
      await deleteByPattern(redis, `${config.redis.prefix}:*`);
      await deleteByPattern(redis, `{${config.redis.prefix}:*`);
      redis.disconnect();
    };
    const legs = createRepositories(redis, new KeyScheme(config.redis.prefix)).legs;
    const allLegs = async (): Promise<Leg[]> =>
      (await legs.list(applicationId, { pageSize: 100, order: 'asc' })).items;

    // An outbound call whose NCCO holds two seconds, then runs out: the call is hung up.
    const response = await fetch(`http://127.0.0.1:${httpPort}/v1/calls`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokenGenerate(applicationId, s.privateKeyPem)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        to: [{ type: 'phone', number: '15550001111' }],
        from: { type: 'phone', number: '14155550100' },
        ncco: [{ action: 'wait', timeout: 2 }],
      }),
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { uuid: string; conversation_uuid: string };
    await until(async () => (await legs.get(applicationId, created.uuid))?.status === 'completed');
    const placed = await legs.get(applicationId, created.uuid);
    expect(placed?.statusHistory.map((h) => h.status)).toEqual([
      'started',
      'ringing',
      'answered',
      'completed',
    ]);

    // An inbound caller to the number is connected to 15550002222 through the trunk, in its conversation.
    const caller = startSipp(
      [
        '-sn',
        'uac',
        '-s',
        '14155550100',
        '-m',
        '1',
        '-d',
        '3000',
        '-i',
        '127.0.0.1',
        '-p',
        String(await freeUdpPort()),
        '-timeout',
        '30',
        '-timeout_error',
        `127.0.0.1:${sipPort}`,
      ],
      35_000,
    );
    runs.push(caller);
    const callerResult = await caller.done;
    expect(callerResult.code, callerResult.explain).toBe(0);
    const calleeResult = await callee.done;
    expect(calleeResult.code, calleeResult.explain).toBe(0);
    await until(async () => (await allLegs()).every((leg) => leg.status === 'completed'));
    const [, inbound, connected] = await allLegs();
    expect(inbound).toMatchObject({ direction: 'inbound', to: { type: 'phone', number: '14155550100' } });
    expect(connected).toMatchObject({ direction: 'outbound', to: { type: 'phone', number: '15550002222' } });
    expect(connected?.statusHistory.map((h) => h.status)).toContain('answered');
  }, 60_000);
});
