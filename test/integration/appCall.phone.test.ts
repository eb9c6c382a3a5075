/* eslint-disable @typescript-eslint/no-explicit-any -- frames and responses are inspected as loose JSON. */
/**
 * Calling an app user (#7 `connect` and `POST /v1/calls` to `{type: 'app', user}`) through a whole confab
 * process: the user is invited into the caller's conversation (`member:invited` reaches its realtime
 * socket), answers by opening the conversation's audio socket, and then talks with a phone caller (the
 * plain-UDP RTP caller), tone both ways. Nobody answering ends the app leg `unanswered` (leg `timeout`).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DEFAULT_CLIENT_ACL, mintToken } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startConfab, type RunningConfab } from '../../src/main.js';
import { createRtpPacket, decodeUlaw, encodeUlaw, serializeRtp } from '../../src/media/index.js';
import { KeyScheme, createRedis, createRepositories } from '../../src/store/index.js';
import { tonePower } from '../channels/app/tonePower.js';
import { concat, toneSource } from '../media/bus/audioProbe.js';
import { minimalYaml, scratch } from '../support/config.js';
import { freePort } from '../support/net.js';
import { TEST_REDIS_URL, deleteByPattern } from '../support/redis.js';
import { startTestApp, type TestApp } from '../voice/support/httpApp.js';
import { udpCall, type UdpCall } from './udpCaller.js';

/** Rings alice for up to 20 s. */
const NUMBER = '14155550100';
/** Rings bob for 3 s, then waits. */
const NUMBER_TIMEOUT = '14155550101';

let confab: RunningConfab;
let base: string;
let sipPort: number;
let applicationId: string;
let privateKeyPem: string;
let hooks: TestApp;
let cleanup: () => Promise<void>;
let repositories: ReturnType<typeof createRepositories>;

beforeAll(async () => {
  const s = scratch();
  applicationId = randomUUID();
  privateKeyPem = s.privateKeyPem;
  sipPort = await freePort();
  hooks = await startTestApp();
  const httpPort = await freePort();
  const rtpBase = 30000 + 200 * Math.floor(Math.random() * 100);
  const recordings = mkdtempSync(join(tmpdir(), 'confab-rec-'));
  const yaml =
    minimalYaml(s, { httpPort, redisUrl: TEST_REDIS_URL, sipPort, appId: applicationId })
      .replace(
        '    signature_secret: s3cret\n',
        `    signature_secret: s3cret\n    voice: { event_url: "${hooks.url}/event" }\n`,
      )
      .replace(
        '  - { number: "14155550100", application: app }\n',
        [
          `  - number: "${NUMBER}"`,
          '    application: app',
          '    ncco: [ { action: connect, timeout: 20, endpoint: [ { type: app, user: alice } ] } ]',
          `  - number: "${NUMBER_TIMEOUT}"`,
          '    application: app',
          '    ncco:',
          '      - { action: connect, timeout: 3, endpoint: [ { type: app, user: bob } ] }',
          '      - { action: wait, timeout: 30 }',
          '',
        ].join('\n'),
      ) +
    'trunks:\n  - { name: local, inbound: { allow: [ 127.0.0.1/32 ] } }\n' +
    `media: { rtp_port_min: ${rtpBase}, rtp_port_max: ${rtpBase + 199}, recordings_dir: "${recordings}" }\n`;
  const { config } = loadConfig({ file: s.write('c.yaml', yaml), env: {} });
  confab = await startConfab({
    config,
    logger: silentLogger(),
    roles: { http: true, worker: true },
    strict: false,
    searchPath: process.env.PATH ?? '',
  });
  base = confab.httpAddress ?? '';
  const redis = createRedis({ url: TEST_REDIS_URL, name: 'confab-app-call-test' });
  await redis.connect();
  repositories = createRepositories(redis, new KeyScheme(config.redis.prefix));
  cleanup = async () => {
    await deleteByPattern(redis, `${config.redis.prefix}:*`);
    await deleteByPattern(redis, `{${config.redis.prefix}:*`);
    redis.disconnect();
  };
}, 30_000);

afterAll(async () => {
  await confab?.stop('test over');
  await hooks.close();
  await cleanup();
});

const admin = (): Promise<string> => mintToken({ applicationId, privateKeyPem });
const client = (sub: string): Promise<string> =>
  mintToken({ applicationId, privateKeyPem, sub, acl: DEFAULT_CLIENT_ACL });

async function call(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();

  return { status: response.status, json: text === '' ? null : JSON.parse(text) };
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((wake) => setTimeout(wake, 50));
  }
}

/** A client socket with every text frame (parsed) and binary frame (as PCM) it received. */
interface ClientSocket {
  readonly ws: WebSocket;
  readonly texts: any[];
  readonly frames: Int16Array[];
  readonly closed: Promise<number>;
}

async function open(path: string, token: string): Promise<ClientSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const texts: any[] = [];
  const frames: Int16Array[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      const copy = Buffer.from(data);
      frames.push(new Int16Array(copy.buffer, copy.byteOffset, copy.length >> 1));
    } else {
      texts.push(JSON.parse(data.toString('utf8')));
    }
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });

  return { ws, texts, frames, closed };
}

/** The `member:invited` event of `userId` a realtime socket received, once it has. */
async function invitation(realtime: ClientSocket, userId: string): Promise<any> {
  const find = (): any =>
    realtime.texts.find(
      (f) => f.type === 'event' && f.event?.type === 'member:invited' && f.event.body?.user?.id === userId,
    );
  await until(() => find() !== undefined, 'member:invited on the realtime socket');

  return find();
}

/** Sends `frames` 20 ms frames of a 440 Hz tone as PCMU RTP, paced by elapsed time. */
async function phoneSpeaks(phone: UdpCall, frames: number, first: number): Promise<number> {
  const tone = toneSource(440, 8000);
  const started = performance.now();
  let sent = 0;
  while (sent < frames) {
    const due = Math.min(frames, Math.floor((performance.now() - started) / 20) + 1);
    for (; sent < due; sent++) {
      const sequence = first + sent;
      phone.sendRtp(
        serializeRtp(
          createRtpPacket({
            payloadType: 0,
            sequenceNumber: sequence,
            timestamp: 160 * sequence,
            ssrc: 0x5eed,
            marker: sent === 0,
            payload: encodeUlaw(tone()),
          }),
        ),
      );
    }
    await new Promise((wake) => setTimeout(wake, 10));
  }

  return first + frames;
}

/** Sends `count` 20 ms frames of a 1000 Hz tone at 16 kHz on an audio socket, paced. */
async function appSpeaks(socket: ClientSocket, count: number): Promise<void> {
  const tone = toneSource(1000, 16000);
  const startedAt = Date.now();
  for (let i = 0; i < count; i++) {
    const f = tone();
    socket.ws.send(Buffer.from(f.buffer, f.byteOffset, f.byteLength));
    await new Promise((wake) => setTimeout(wake, Math.max(0, startedAt + (i + 1) * 20 - Date.now())));
  }
}

describe('calling an app user (#7 connect and POST /v1/calls to an app endpoint)', () => {
  it('invites the user, answers on its audio socket, and bridges it with the phone caller both ways', async () => {
    const adminToken = await admin();
    const alice = await call('POST', '/v1/users', adminToken, { name: 'alice' });
    expect(alice.status).toBeLessThan(300);
    const aliceToken = await client('alice');
    const realtime = await open('/v1/realtime', aliceToken);
    const phone = await udpCall(sipPort, NUMBER);
    let audio: ClientSocket | undefined;
    let hungUp = false;
    try {
      // The caller's conversation invites alice; her realtime socket hears of it.
      const invited = await invitation(realtime, alice.json.id as string);
      const conversationId: string = invited.conversation_id;
      const legs = (
        await repositories.legs.list(applicationId, { pageSize: 10, order: 'asc' }, { conversationId })
      ).items;
      const phoneLeg = legs.find((leg) => leg.type === 'phone')!;
      const appLeg = legs.find((leg) => leg.type === 'app')!;
      expect(phoneLeg).toBeDefined();
      expect(appLeg).toMatchObject({ direction: 'outbound', to: { type: 'app', user: 'alice' } });
      expect(invited.event.body).toMatchObject({
        member_id: appLeg.memberId,
        channel: { type: 'app', legId: appLeg.id },
        conversation: { conversation_id: conversationId },
      });
      expect((await repositories.legs.get(applicationId, appLeg.id))?.status).toBe('ringing');

      // She answers by opening the conversation's audio socket: the socket is the rung leg.
      audio = await open(`/v1/conversations/${conversationId}/audio`, aliceToken);
      await until(() => audio!.texts.length > 0, 'the connected frame');
      expect(audio.texts[0]).toMatchObject({
        event: 'websocket:connected',
        leg_id: appLeg.id,
        member_id: appLeg.memberId,
      });
      await until(
        async () => (await repositories.legs.get(applicationId, appLeg.id))?.status === 'answered',
        'the app leg to be answered',
      );
      await until(
        async () =>
          (await repositories.members.get(applicationId, conversationId, appLeg.memberId!))?.state ===
          'JOINED',
        'alice to join',
      );
      await hooks.waitFor((received) =>
        received.some(
          (x) => x.path === '/event' && x.body?.uuid === appLeg.id && x.body?.status === 'answered',
        ),
      );

      // Both speak at once: the phone a 440 Hz tone, alice 1000 Hz; each hears the other.
      const fromFrame = audio.frames.length;
      const speaking = appSpeaks(audio, 75);
      await phoneSpeaks(phone, 75, 0);
      await speaking;
      await new Promise((wake) => setTimeout(wake, 150));
      const aliceHeard = concat(audio.frames.slice(fromFrame));
      expect(tonePower(aliceHeard, 440, 16000)).toBeGreaterThan(100 * tonePower(aliceHeard, 1000, 16000));
      expect(tonePower(aliceHeard, 440, 16000)).toBeGreaterThan(1e5);
      const phoneHeard = concat(
        phone.received.filter((p) => p.payloadType === 0).map((p) => decodeUlaw(p.payload)),
      );
      expect(tonePower(phoneHeard, 1000, 8000)).toBeGreaterThan(100 * tonePower(phoneHeard, 440, 8000));
      expect(tonePower(phoneHeard, 1000, 8000)).toBeGreaterThan(1e5);

      // The caller hangs up: alice's call ends with it, and she leaves.
      hungUp = true;
      await phone.hangup();
      expect(await audio.closed).toBe(1000);
      await until(
        async () => (await repositories.legs.get(applicationId, appLeg.id))?.status === 'completed',
        'the app leg to complete',
      );
      await until(
        async () =>
          (await repositories.members.get(applicationId, conversationId, appLeg.memberId!))?.state === 'LEFT',
        'alice to leave',
      );
      const history = (await repositories.legs.get(applicationId, appLeg.id))!.statusHistory;
      expect(history.map((h) => h.status)).toEqual(['started', 'ringing', 'answered', 'completed']);
      await hooks.waitFor((received) =>
        received.some(
          (x) => x.path === '/event' && x.body?.uuid === appLeg.id && x.body?.status === 'completed',
        ),
      );
      const statuses = hooks
        .at('/event')
        .filter((x) => x.body?.uuid === appLeg.id)
        .map((x) => x.body?.status);
      expect(statuses).toEqual(['started', 'ringing', 'answered', 'completed']);
    } finally {
      audio?.ws.close();
      realtime.ws.close();
      if (!hungUp) {
        await phone.hangup();
      }
    }
  }, 60_000);

  it('ends an app call nobody answers as unanswered (leg timeout), and the NCCO goes on', async () => {
    const adminToken = await admin();
    const bob = await call('POST', '/v1/users', adminToken, { name: 'bob' });
    expect(bob.status).toBeLessThan(300);
    const phone = await udpCall(sipPort, NUMBER_TIMEOUT);
    try {
      await hooks.waitFor((received) =>
        received.some((x) => x.path === '/event' && x.body?.to === 'bob' && x.body?.status === 'unanswered'),
      );
      const events = hooks.at('/event').filter((x) => x.body?.to === 'bob');
      expect(events.map((x) => x.body?.status)).toEqual(['started', 'ringing', 'unanswered']);
      const legId: string = events[0]!.body!.uuid as string;
      const leg = (await repositories.legs.get(applicationId, legId))!;
      await until(
        async () => (await repositories.legs.get(applicationId, legId))?.status === 'timeout',
        'the app leg to time out',
      );
      await until(
        async () =>
          (await repositories.members.get(applicationId, leg.conversationId, leg.memberId!))?.state ===
          'LEFT',
        'bob to leave',
      );
      // The caller is still up, in the NCCO's next action.
      expect(phone.byeReceived()).toBe(false);
    } finally {
      await phone.hangup();
    }
  }, 30_000);

  it('POST /v1/calls to an app user rings it in a new conversation and runs the NCCO once it answers', async () => {
    const adminToken = await admin();
    const carol = await call('POST', '/v1/users', adminToken, { name: 'carol' });
    const carolToken = await client('carol');
    const realtime = await open('/v1/realtime', carolToken);
    let audio: ClientSocket | undefined;
    try {
      const created = await call('POST', '/v1/calls', adminToken, {
        to: [{ type: 'app', user: 'carol' }],
        from: { type: 'phone', number: '14155550199' },
        ncco: [{ action: 'talk', text: 'Hello Carol, this is confab calling.' }],
      });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ direction: 'outbound' });
      const conversationId: string = created.json.conversation_uuid;
      const uuid: string = created.json.uuid;
      const invited = await invitation(realtime, carol.json.id as string);
      expect(invited.conversation_id).toBe(conversationId);
      audio = await open(`/v1/conversations/${conversationId}/audio`, carolToken);
      await until(
        async () => (await repositories.legs.get(applicationId, uuid))?.status === 'answered',
        'the call to be answered',
      );
      // The talk is heard on the socket; when the NCCO runs out the call is hung up and the socket closes.
      await until(
        () => audio!.frames.some((f) => f.some((sample) => Math.abs(sample) > 1000)),
        'speech on the audio socket',
      );
      expect(await audio.closed).toBe(1000);
      await until(
        async () => (await repositories.legs.get(applicationId, uuid))?.status === 'completed',
        'the call to complete',
      );
      const unknown = await call('POST', '/v1/calls', adminToken, {
        to: [{ type: 'app', user: 'nobody-here' }],
        ncco: [{ action: 'talk', text: 'never' }],
      });
      expect(unknown.status).toBe(404);
    } finally {
      audio?.ws.close();
      realtime.ws.close();
    }
  }, 60_000);
});
