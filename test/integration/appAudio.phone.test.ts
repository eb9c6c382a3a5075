/* eslint-disable @typescript-eslint/no-explicit-any -- responses are inspected as loose JSON. */
/**
 * A whole confab process (startConfab) with a phone caller (the plain-UDP RTP caller) and an in-app voice
 * client (`GET /v1/conversations/{id}/audio`) in one conversation: they hear each other; a posted
 * `audio:mute:on` silences the phone; a posted `audio:record` makes a recording served by confab.
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
import { udpCall, type UdpCall } from './udpCaller.js';

const NUMBER = '14155550100';

let confab: RunningConfab;
let base: string;
let sipPort: number;
let applicationId: string;
let privateKeyPem: string;
let cleanup: () => Promise<void>;
let repositories: ReturnType<typeof createRepositories>;

beforeAll(async () => {
  const s = scratch();
  applicationId = randomUUID();
  privateKeyPem = s.privateKeyPem;
  sipPort = await freePort();
  const httpPort = await freePort();
  const rtpBase = 30000 + 200 * Math.floor(Math.random() * 100);
  const recordings = mkdtempSync(join(tmpdir(), 'confab-rec-'));
  const yaml =
    minimalYaml(s, { httpPort, redisUrl: TEST_REDIS_URL, sipPort, appId: applicationId }) +
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
  const redis = createRedis({ url: TEST_REDIS_URL, name: 'confab-app-audio-test' });
  await redis.connect();
  repositories = createRepositories(redis, new KeyScheme(config.redis.prefix));
  cleanup = async () => {
    await deleteByPattern(redis, `${config.redis.prefix}:*`);
    await deleteByPattern(redis, `{${config.redis.prefix}:*`);
    redis.disconnect();
  };
}, 30_000);

afterAll(async () => {
  await confab.stop('test over');
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

describe('in-app voice with a phone caller, through confab start (#6 items 4, 5, 7)', () => {
  it('bridges a phone call and an app audio socket, follows a posted mute, and records', async () => {
    const phone = await udpCall(sipPort, NUMBER);
    try {
      let legs: Awaited<ReturnType<typeof repositories.legs.list>>['items'] = [];
      await until(async () => {
        legs = (await repositories.legs.list(applicationId, { pageSize: 10, order: 'asc' })).items;
        return legs[0]?.status === 'answered';
      }, 'the phone leg to be answered');
      const phoneLeg = legs[0]!;
      const conversationId = phoneLeg.conversationId;
      const adminToken = await admin();
      const user = await call('POST', '/v1/users', adminToken, { name: 'agent' });
      const member = await call('POST', `/v1/conversations/${conversationId}/members`, adminToken, {
        state: 'joined',
        user: { id: user.json.id },
        channel: { type: 'app' },
      });
      expect(member.status).toBe(201);

      const agentToken = await client('agent');
      const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/conversations/${conversationId}/audio`, {
        headers: { authorization: `Bearer ${agentToken}` },
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
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      await until(() => texts.length > 0, 'the connected frame');
      expect(texts[0]).toMatchObject({
        event: 'websocket:connected',
        'content-type': 'audio/l16;rate=16000',
      });

      // A recording of the whole conversation, asked for by the agent.
      const record = await call('POST', `/v1/conversations/${conversationId}/events`, agentToken, {
        type: 'audio:record',
        body: {},
      });
      expect(record.status).toBe(201);

      // Both speak at once: the phone a 440 Hz tone, the agent 1000 Hz.
      const agentTone = toneSource(1000, 16000);
      const startedAt = Date.now();
      const agentSpeaking = (async () => {
        for (let i = 0; i < 75; i++) {
          const f = agentTone();
          ws.send(Buffer.from(f.buffer, f.byteOffset, f.byteLength));
          await new Promise((wake) => setTimeout(wake, Math.max(0, startedAt + (i + 1) * 20 - Date.now())));
        }
      })();
      const fromFrame = frames.length;
      const sequence = await phoneSpeaks(phone, 75, 0);
      await agentSpeaking;
      await new Promise((wake) => setTimeout(wake, 150));
      const agentHeard = concat(frames.slice(fromFrame));
      expect(tonePower(agentHeard, 440, 16000)).toBeGreaterThan(100 * tonePower(agentHeard, 1000, 16000));
      const phoneHeard = concat(
        phone.received.filter((p) => p.payloadType === 0).map((p) => decodeUlaw(p.payload)),
      );
      expect(tonePower(phoneHeard, 1000, 8000)).toBeGreaterThan(100 * tonePower(phoneHeard, 440, 8000));

      // An admin mutes the phone's member: the agent no longer hears it.
      const muted = await call('POST', `/v1/conversations/${conversationId}/events`, adminToken, {
        type: 'audio:mute:on',
        from: phoneLeg.memberId,
        body: {},
      });
      expect(muted.status).toBe(201);
      await new Promise((wake) => setTimeout(wake, 500));
      const beforeMuted = frames.length;
      await phoneSpeaks(phone, 25, sequence);
      await new Promise((wake) => setTimeout(wake, 150));
      expect(tonePower(concat(frames.slice(beforeMuted)), 440, 16000)).toBeLessThan(
        tonePower(agentHeard, 440, 16000) / 1000,
      );

      await call('POST', `/v1/conversations/${conversationId}/events`, agentToken, {
        type: 'audio:record:stop',
        body: { record_id: record.json.id },
      });
      let done: any;
      await until(async () => {
        const events = await call(
          'GET',
          `/v1/conversations/${conversationId}/events?event_type=audio:record:done`,
          adminToken,
        );
        done = events.json?._embedded?.events?.[0] ?? events.json?._embedded?.[0];
        return done !== undefined;
      }, 'audio:record:done');
      expect(done.body).toMatchObject({ event_id: record.json.id, format: 'wav' });
      const url = new URL(done.body.destination_url as string);
      const file = await fetch(`${base}${url.pathname}`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(file.status).toBe(200);
      const bytes = Buffer.from(await file.arrayBuffer());
      expect(bytes.length).toBe(done.body.size);
      const pcm = new Int16Array(bytes.buffer, bytes.byteOffset + 44, (bytes.length - 44) >> 1);
      expect(tonePower(pcm, 440, 16000)).toBeGreaterThan(1e5);
      expect(tonePower(pcm, 1000, 16000)).toBeGreaterThan(1e5);
      ws.close();
    } finally {
      await phone.hangup();
    }
  }, 60_000);
});
