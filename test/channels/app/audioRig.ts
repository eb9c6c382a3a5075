/* eslint-disable @typescript-eslint/no-explicit-any -- responses are inspected as loose JSON. */
/**
 * A confab HTTP node with the media hub, the conversation audio socket, MediaControl (following the
 * realtime feed) and the recordings route, over a fresh Redis prefix with a real event worker, for the
 * #6 items 4, 5 and 7 tests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenGenerate } from '@vonage/jwt';
import { WebSocket } from 'ws';
import { conversationApi, createHttpServer, realtimeTicketsApi } from '../../../src/api/index.js';
import { DEFAULT_CLIENT_ACL, RateLimiter, TokenVerifier } from '../../../src/auth/index.js';
import {
  ConversationMediaHub,
  MediaControl,
  createAppAudioChannel,
  createAppChannel,
  recordingsRoute,
} from '../../../src/channels/index.js';
import type { ConversationEvent, Leg } from '../../../src/domain/index.js';
import { createEventProducer, createRealtimeFeed, startEventWorker } from '../../../src/events/index.js';
import { createMetricsRegistry, silentLogger } from '../../../src/log/index.js';
import { createServices } from '../../../src/services/index.js';
import { createRepositories, RedisTicketRepository } from '../../../src/store/index.js';
import { applicationWithKeys } from '../../support/application.js';
import { TEST_REDIS_URL, testRedis } from '../../support/redis.js';

/** A client of the conversation audio socket. */
export interface AudioClient {
  readonly ws: WebSocket;
  /** Text frames, parsed. */
  readonly texts: any[];
  /** Binary frames as samples, in arrival order. */
  readonly frames: Int16Array[];
  /** Sends `frames` more 20 ms frames from `source`, one every 20 ms; resolves when all went out. */
  speak(source: () => Int16Array, frames: number): Promise<void>;
  close(): Promise<void>;
}

/** The running node. */
export interface AudioRig {
  readonly base: string;
  readonly wsBase: string;
  readonly applicationId: string;
  readonly hub: ConversationMediaHub;
  readonly control: MediaControl;
  readonly recordingsDir: string;
  adminToken(): string;
  clientToken(name: string): string;
  call(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown },
  ): Promise<{ status: number; json: any }>;
  /** Users, a conversation, and members in `state` (JOINED unless told). */
  conversationWith(
    names: string[],
    states?: Record<string, 'joined' | 'invited'>,
  ): Promise<{ conversationId: string; members: Record<string, string> }>;
  /** Opens an audio socket; resolves once open. */
  openAudio(conversationId: string, auth: string | { ticket: string }): Promise<AudioClient>;
  /** Tries an audio socket that should be refused: the HTTP status and body of the refusal. */
  refused(conversationId: string, auth: string | null): Promise<{ status: number; json: any }>;
  events(conversationId: string): Promise<ConversationEvent[]>;
  legs(conversationId: string): Promise<Leg[]>;
  until(check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startAudioRig(): Promise<AudioRig> {
  const redis = await testRedis();
  const { application, privateKeyPem } = applicationWithKeys();
  const applications = [application];
  const worker = await startEventWorker({
    redisUrl: TEST_REDIS_URL,
    keys: redis.keys,
    applications,
    deliverWebhooks: false,
  });
  const repositories = createRepositories(redis.redis, redis.keys);
  const tickets = new RedisTicketRepository(redis.redis, redis.keys);
  const verifier = new TokenVerifier(applications, { clockToleranceSeconds: 30, maxLifetimeSeconds: 86_400 });
  await verifier.ready();
  const producer = await createEventProducer({
    redisUrl: TEST_REDIS_URL,
    keys: redis.keys,
    confirmPollMs: 200,
  });
  const feed = createRealtimeFeed({ redisUrl: TEST_REDIS_URL, keys: redis.keys });
  const hub = new ConversationMediaHub({});
  const recordingsDir = mkdtempSync(join(tmpdir(), 'confab-rec-'));
  const http = {
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'http://confab.test',
    bodyLimitBytes: 1_048_576,
    rateLimit: { perSecond: 10_000, burst: 10_000 },
  };
  const control = new MediaControl({
    hub,
    repositories,
    eventPort: producer,
    recordingsDir,
    publicUrl: http.publicUrl,
  });
  await control.follow(feed, [application.id]);
  const services = createServices({ repositories, eventPort: producer });
  const rateLimiter = new RateLimiter({ ratePerSecond: 10_000, burst: 10_000 });
  const realtime = createAppChannel({ verifier, services, repositories, feed, tickets, rateLimiter });
  const audio = createAppAudioChannel({ hub, verifier, tickets, repositories, eventPort: producer });
  const app = await createHttpServer({
    http,
    logger: silentLogger(),
    metrics: createMetricsRegistry(),
    readiness: [],
    plugins: [
      conversationApi({ http, services, verifier, rateLimiter }),
      realtimeTicketsApi({ verifier, tickets, publicUrl: http.publicUrl, rateLimiter }),
      realtime.plugin,
      audio.plugin,
      recordingsRoute({ control, verifier }),
    ],
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const wsBase = base.replace(/^http/, 'ws');
  const clients = new Set<WebSocket>();
  const adminToken = (): string => tokenGenerate(application.id, privateKeyPem);
  const clientToken = (name: string): string =>
    tokenGenerate(application.id, privateKeyPem, { subject: name, acl: DEFAULT_CLIENT_ACL as never });
  const call: AudioRig['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? adminToken() : options.token;
    if (token !== null) {
      headers.authorization = `Bearer ${token}`;
    }
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();

    return { status: response.status, json: text === '' ? null : JSON.parse(text) };
  };
  const target = (conversationId: string, auth: string | { ticket: string } | null) => {
    const path = `${wsBase}/v1/conversations/${conversationId}/audio`;
    if (auth !== null && typeof auth === 'object') {
      return { url: `${path}?ticket=${encodeURIComponent(auth.ticket)}`, headers: {} };
    }

    return { url: path, headers: auth === null ? {} : { authorization: `Bearer ${auth}` } };
  };
  const until: AudioRig['until'] = async (check, what, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}`);
      }
      await new Promise((wake) => setTimeout(wake, 50));
    }
  };

  return {
    base,
    wsBase,
    applicationId: application.id,
    hub,
    control,
    recordingsDir,
    adminToken,
    clientToken,
    call,
    conversationWith: async (names, states = {}) => {
      const members: Record<string, string> = {};
      const conversation = await call('POST', '/v1/conversations', { body: {} });
      const conversationId: string = conversation.json.id;
      for (const name of names) {
        const existing = await call('GET', `/v1/users?name=${name}`);
        const userId: string =
          existing.json._embedded.users[0]?.id ??
          (await call('POST', '/v1/users', { body: { name } })).json.id;
        const member = await call('POST', `/v1/conversations/${conversationId}/members`, {
          body: { state: states[name] ?? 'joined', user: { id: userId }, channel: { type: 'app' } },
        });
        members[name] = member.json.id;
      }

      return { conversationId, members };
    },
    openAudio: async (conversationId, auth) => {
      const { url, headers } = target(conversationId, auth);
      const ws = new WebSocket(url, { headers });
      clients.add(ws);
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
        ws.once('unexpected-response', (_req, res) => reject(new Error(`refused: ${res.statusCode}`)));
      });
      let speaking = Promise.resolve();

      return {
        ws,
        texts,
        frames,
        speak: (source, count) => {
          speaking = speaking.then(async () => {
            const started = Date.now();
            for (let i = 0; i < count && ws.readyState === WebSocket.OPEN; i++) {
              const frame = source();
              ws.send(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
              // Paced to the wall clock, so that the playout queue neither starves nor piles up.
              const due = started + (i + 1) * 20 - Date.now();
              await new Promise((wake) => setTimeout(wake, Math.max(0, due)));
            }
          });

          return speaking;
        },
        close: async () => {
          if (ws.readyState === WebSocket.CLOSED) {
            return;
          }
          const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
          ws.close(1000);
          await closed;
        },
      };
    },
    refused: async (conversationId, auth) => {
      const { url, headers } = target(conversationId, auth);
      const ws = new WebSocket(url, { headers });

      return new Promise((resolve, reject) => {
        ws.once('open', () => {
          ws.terminate();
          reject(new Error('the socket opened'));
        });
        ws.once('unexpected-response', (_req, res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, json: text === '' ? null : JSON.parse(text) }),
          );
        });
        ws.once('error', () => undefined);
      });
    },
    events: async (conversationId) =>
      (await repositories.events.list(application.id, conversationId, { pageSize: 100, order: 'asc' })).items,
    legs: async (conversationId) =>
      (await repositories.legs.list(application.id, { pageSize: 100, order: 'asc' }, { conversationId }))
        .items,
    until,
    close: async () => {
      for (const ws of clients) {
        ws.terminate();
      }
      await app.close();
      await control.close();
      await hub.close();
      await feed.close();
      await producer.close();
      await worker.close();
      await redis.cleanup();
    },
  };
}
