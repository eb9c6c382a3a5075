/* eslint-disable @typescript-eslint/no-explicit-any -- frames and responses are inspected as loose JSON. */
import { applicationWithKeys } from '../../support/application.js';
import type { FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import { tokenGenerate } from '@vonage/jwt';
import { conversationApi, createHttpServer, realtimeTicketsApi } from '../../../src/api/index.js';
import { DEFAULT_CLIENT_ACL, RateLimiter, TokenVerifier } from '../../../src/auth/index.js';
import { createAppChannel, type AppChannel, type AppChannelOptions } from '../../../src/channels/index.js';
import type { Application } from '../../../src/domain/index.js';
import {
  createEventProducer,
  createRealtimeFeed,
  startEventWorker,
  type EventProducer,
  type EventWorker,
} from '../../../src/events/index.js';
import { createMetricsRegistry, silentLogger } from '../../../src/log/index.js';
import { createServices, type Repositories } from '../../../src/services/index.js';
import { createRepositories, RedisTicketRepository } from '../../../src/store/index.js';
import { TEST_REDIS_URL, testRedis } from '../../support/redis.js';

/** Channel options a test may tune. */
export type ChannelTuning = Partial<
  Pick<
    AppChannelOptions,
    | 'pingIntervalMs'
    | 'sessionTtlSeconds'
    | 'maxBufferedBytes'
    | 'closeGraceMs'
    | 'maxPayloadBytes'
    | 'maxSocketsPerUser'
  >
>;

/** One confab process of the rig: HTTP API, ticket route and App channel over the shared Redis. */
export interface RigNode {
  readonly base: string;
  readonly wsBase: string;
  readonly app: FastifyInstance;
  readonly channel: AppChannel;
}

/** A test client of the App channel: every frame it received, in order. */
export interface TestSocket {
  readonly ws: WebSocket;
  readonly frames: any[];
  /** The ids of the event frames of one conversation, in arrival order. */
  eventIds(conversationId: string): number[];
  /** Resolves with the first frame (already received or coming) that matches. */
  waitFrame(match: (frame: any) => boolean, timeoutMs?: number): Promise<any>;
  send(frame: unknown): void;
  close(): Promise<void>;
}

/** Several confab nodes on one Redis prefix, two applications, one event worker. */
export interface Rig {
  readonly nodes: RigNode[];
  readonly apps: readonly [
    { application: Application; privateKeyPem: string },
    { application: Application; privateKeyPem: string },
  ];
  readonly redis: Awaited<ReturnType<typeof testRedis>>;
  adminToken(index?: 0 | 1): string;
  clientToken(name: string, acl?: unknown, index?: 0 | 1): string;
  /** A client token of app 0 signed with app 1's key (a bad signature). */
  foreignKeyToken(name: string): string;
  call(
    node: number,
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown },
  ): Promise<{ status: number; json: any }>;
  /** Opens a socket on `node`; `auth` is a bearer token, or `{ticket}`; resolves once open. */
  connect(
    node: number,
    auth: string | { ticket: string },
    query?: Record<string, string>,
  ): Promise<TestSocket>;
  /** Tries a socket that should be refused; resolves with the HTTP status and body of the refusal. */
  refused(
    node: number,
    auth: string | { ticket: string } | null,
    query?: Record<string, string>,
  ): Promise<{ status: number; json: any }>;
  /** Creates users (by name), a conversation, and JOINED members; returns their ids. */
  conversationWith(
    names: string[],
  ): Promise<{ conversationId: string; users: Record<string, string>; members: Record<string, string> }>;
  close(): Promise<void>;
}

const makeApp = applicationWithKeys;

/** Starts `nodeCount` nodes (each with its own producer, feed and channel) over one fresh Redis prefix. */
export async function startRig(
  options: { nodes?: number; tuning?: ChannelTuning[]; ticketTtlSeconds?: number } = {},
): Promise<Rig> {
  const redis = await testRedis();
  const apps = [makeApp(), makeApp()] as const;
  const applications = apps.map((a) => a.application);
  const worker: EventWorker = await startEventWorker({
    redisUrl: TEST_REDIS_URL,
    keys: redis.keys,
    applications,
    deliverWebhooks: false,
  });
  const repos: Repositories = createRepositories(redis.redis, redis.keys);
  const tickets = new RedisTicketRepository(redis.redis, redis.keys);
  const verifier = new TokenVerifier(applications, { clockToleranceSeconds: 30, maxLifetimeSeconds: 86_400 });
  await verifier.ready();
  const closers: (() => Promise<void>)[] = [];
  const nodes: RigNode[] = [];
  for (let i = 0; i < (options.nodes ?? 1); i++) {
    const producer: EventProducer = await createEventProducer({
      redisUrl: TEST_REDIS_URL,
      keys: redis.keys,
      confirmPollMs: 200,
    });
    const feed = createRealtimeFeed({
      redisUrl: TEST_REDIS_URL,
      keys: redis.keys,
      connectionName: feedName(redis.prefix, i),
    });
    const services = createServices({ repositories: repos, eventPort: producer });
    const rateLimiter = new RateLimiter({ ratePerSecond: 10_000, burst: 10_000 });
    const http = {
      host: '127.0.0.1',
      port: 0,
      publicUrl: 'https://confab.test',
      bodyLimitBytes: 1_048_576,
      rateLimit: { perSecond: 10_000, burst: 10_000 },
    };
    const channel = createAppChannel({
      verifier,
      services,
      repositories: repos,
      feed,
      tickets,
      rateLimiter,
      ...options.tuning?.[i],
    });
    const app = await createHttpServer({
      http,
      logger: silentLogger(),
      metrics: createMetricsRegistry(),
      readiness: [],
      plugins: [
        conversationApi({ http, services, verifier, rateLimiter }),
        realtimeTicketsApi({
          verifier,
          tickets,
          publicUrl: http.publicUrl,
          rateLimiter,
          ...(options.ticketTtlSeconds === undefined ? {} : { ttlSeconds: options.ticketTtlSeconds }),
        }),
        channel.plugin,
      ],
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    nodes.push({ base, wsBase: base.replace(/^http/, 'ws'), app, channel });
    closers.push(async () => {
      await app.close();
      await feed.close();
      await producer.close();
    });
  }
  const sockets = new Set<WebSocket>();

  const adminToken = (index: 0 | 1 = 0): string =>
    tokenGenerate(apps[index].application.id, apps[index].privateKeyPem);
  const clientToken = (name: string, acl: unknown = DEFAULT_CLIENT_ACL, index: 0 | 1 = 0): string =>
    tokenGenerate(apps[index].application.id, apps[index].privateKeyPem, {
      subject: name,
      acl: acl as never,
    });
  const call: Rig['call'] = async (node, method, path, callOptions = {}) => {
    const headers: Record<string, string> = {};
    const token = callOptions.token === undefined ? adminToken() : callOptions.token;
    if (token !== null) {
      headers.authorization = `Bearer ${token}`;
    }
    let body: string | undefined;
    if (callOptions.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(callOptions.body);
    }
    const response = await fetch(`${nodes[node]!.base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();

    return { status: response.status, json: text === '' ? null : JSON.parse(text) };
  };
  const socketUrl = (
    node: number,
    auth: string | { ticket: string } | null,
    query: Record<string, string> = {},
  ): { url: string; headers: Record<string, string> } => {
    const params = new URLSearchParams(query);
    const headers: Record<string, string> = {};
    if (typeof auth === 'string') {
      headers.authorization = `Bearer ${auth}`;
    } else if (auth !== null) {
      params.set('ticket', auth.ticket);
    }
    const search = params.toString();

    return { url: `${nodes[node]!.wsBase}/v1/realtime${search === '' ? '' : `?${search}`}`, headers };
  };

  return {
    nodes,
    apps,
    redis,
    adminToken,
    clientToken,
    foreignKeyToken: (name) =>
      tokenGenerate(apps[0].application.id, apps[1].privateKeyPem, {
        subject: name,
        acl: DEFAULT_CLIENT_ACL as never,
      }),
    call,
    connect: async (node, auth, query) => {
      const { url, headers } = socketUrl(node, auth, query);
      const ws = new WebSocket(url, { headers });
      sockets.add(ws);
      const frames: any[] = [];
      const waiters: { match: (frame: any) => boolean; resolve: (frame: any) => void }[] = [];
      ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString('utf8'));
        frames.push(frame);
        for (const waiter of [...waiters]) {
          if (waiter.match(frame)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(frame);
          }
        }
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });

      return {
        ws,
        frames,
        eventIds: (conversationId) =>
          frames
            .filter((f) => f.type === 'event' && f.conversation_id === conversationId)
            .map((f) => f.event.id as number),
        waitFrame: (match, timeoutMs = 5000) => {
          const found = frames.find(match);
          if (found !== undefined) {
            return Promise.resolve(found);
          }

          return new Promise((resolve, reject) => {
            const timer = setTimeout(
              () =>
                reject(
                  new Error(
                    `no matching frame within ${timeoutMs} ms; got ${JSON.stringify(frames.map((f): unknown => f.type))}`,
                  ),
                ),
              timeoutMs,
            );
            waiters.push({
              match,
              resolve: (frame) => {
                clearTimeout(timer);
                resolve(frame);
              },
            });
          });
        },
        send: (frame) => ws.send(JSON.stringify(frame)),
        close: async () => {
          if (ws.readyState === WebSocket.CLOSED) {
            return;
          }
          const closed = new Promise((resolve) => ws.once('close', resolve));
          ws.close();
          await closed;
        },
      };
    },
    refused: async (node, auth, query) => {
      const { url, headers } = socketUrl(node, auth, query);
      const ws = new WebSocket(url, { headers });

      return new Promise((resolve, reject) => {
        ws.once('open', () => {
          ws.terminate();
          reject(new Error('the socket was accepted'));
        });
        ws.once('unexpected-response', (_request, response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
          response.on('end', () => {
            ws.terminate();
            resolve({ status: response.statusCode ?? 0, json: text === '' ? null : JSON.parse(text) });
          });
        });
        ws.once('error', () => undefined);
      });
    },
    conversationWith: async (names) => {
      const users: Record<string, string> = {};
      const members: Record<string, string> = {};
      for (const name of names) {
        const existing = await call(0, 'GET', `/v1/users?name=${name}`);
        const found = existing.json._embedded.users[0];
        users[name] = found?.id ?? (await call(0, 'POST', '/v1/users', { body: { name } })).json.id;
      }
      const conversation = await call(0, 'POST', '/v1/conversations', { body: {} });
      const conversationId: string = conversation.json.id;
      for (const name of names) {
        const member = await call(0, 'POST', `/v1/conversations/${conversationId}/members`, {
          body: { state: 'joined', user: { id: users[name] }, channel: { type: 'app' } },
        });
        members[name] = member.json.id;
      }

      return { conversationId, users, members };
    },
    close: async () => {
      for (const ws of sockets) {
        ws.terminate();
      }
      for (const close of closers) {
        await close();
      }
      await worker.close();
      await redis.cleanup();
    },
  };
}

/** The Redis connection name of node `node`'s realtime feed (so a test can kill exactly that connection). */
export function feedName(prefix: string, node: number): string {
  return `confab-feed-${prefix}-${node}`;
}

/** Polls until `check` holds; throws after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((wake) => setTimeout(wake, 20));
  }
}
