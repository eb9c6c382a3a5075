/* eslint-disable @typescript-eslint/no-explicit-any -- responses are inspected as loose JSON. */
import { applicationWithKeys } from '../support/application.js';
import type { FastifyInstance } from 'fastify';
import { tokenGenerate } from '@vonage/jwt';
import { conversationApi, createHttpServer } from '../../src/api/index.js';
import { DEFAULT_CLIENT_ACL, RateLimiter, TokenVerifier } from '../../src/auth/index.js';
import type { Application } from '../../src/domain/index.js';
import {
  createEventProducer,
  startEventWorker,
  type EventProducer,
  type EventWorker,
} from '../../src/events/index.js';
import { createMetricsRegistry, silentLogger } from '../../src/log/index.js';
import { createServices, type Repositories, type Services } from '../../src/services/index.js';
import { createRepositories } from '../../src/store/index.js';
import { TEST_REDIS_URL, testRedis } from '../support/redis.js';

/** An application of the harness with its private key, to mint tokens. */
export interface TestApp {
  readonly application: Application;
  readonly privateKeyPem: string;
}

/** A running confab API over real Redis with a real event producer and worker. */
export interface Harness {
  readonly base: string;
  readonly app: FastifyInstance;
  readonly apps: readonly [TestApp, TestApp];
  readonly repos: Repositories;
  readonly services: Services;
  /** The real event producer the services emit through. */
  readonly eventPort: EventProducer;
  readonly redis: Awaited<ReturnType<typeof testRedis>>;
  /** An admin token of app `index` (0 or 1). */
  adminToken(index?: 0 | 1): string;
  /** A client token for user `name` of app `index`, with the default client ACL unless one is given. */
  clientToken(name: string, index?: 0 | 1, acl?: unknown): string;
  /** Sends a request to the API; JSON bodies are encoded. */
  call(
    method: string,
    path: string,
    options?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; json: any; headers: Headers; text: string }>;
  close(): Promise<void>;
}

/** Public URL of the links; the SDKs only read the cursor back from it. */
export const PUBLIC_URL = 'https://confab.test';

const makeApp = applicationWithKeys;

/** Starts the harness: two applications, real Redis under a fresh prefix, a listener on 127.0.0.1:0. */
export async function startHarness(
  options: { rateLimit?: { perSecond: number; burst: number } } = {},
): Promise<Harness> {
  const redis = await testRedis();
  const apps: [TestApp, TestApp] = [makeApp(), makeApp()];
  const applications = apps.map((a) => a.application);
  const producer: EventProducer = await createEventProducer({
    redisUrl: TEST_REDIS_URL,
    keys: redis.keys,
    confirmPollMs: 200,
  });
  const worker: EventWorker = await startEventWorker({
    redisUrl: TEST_REDIS_URL,
    keys: redis.keys,
    applications,
    deliverWebhooks: false,
  });
  const repos: Repositories = createRepositories(redis.redis, redis.keys);
  const services = createServices({ repositories: repos, eventPort: producer });
  const verifier = new TokenVerifier(applications, { clockToleranceSeconds: 30, maxLifetimeSeconds: 86_400 });
  await verifier.ready();
  const rateLimit = options.rateLimit ?? { perSecond: 1000, burst: 1000 };
  const http = { host: '127.0.0.1', port: 0, publicUrl: PUBLIC_URL, bodyLimitBytes: 1_048_576, rateLimit };
  const app = await createHttpServer({
    http,
    logger: silentLogger(),
    metrics: createMetricsRegistry(),
    readiness: [],
    plugins: [
      conversationApi({
        http,
        services,
        verifier,
        rateLimiter: new RateLimiter({ ratePerSecond: rateLimit.perSecond, burst: rateLimit.burst }),
      }),
    ],
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });

  return {
    base,
    app,
    apps,
    repos,
    services,
    eventPort: producer,
    redis,
    adminToken: (index = 0) => tokenGenerate(apps[index].application.id, apps[index].privateKeyPem),
    clientToken: (name, index = 0, acl = DEFAULT_CLIENT_ACL) =>
      tokenGenerate(apps[index].application.id, apps[index].privateKeyPem, {
        subject: name,
        acl: acl as never,
      }),
    call: async (method, path, callOptions = {}) => {
      const headers: Record<string, string> = { ...callOptions.headers };
      if (callOptions.token !== null && callOptions.token !== undefined) {
        headers.authorization = `Bearer ${callOptions.token}`;
      }
      let body: string | undefined;
      if (callOptions.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof callOptions.body === 'string' ? callOptions.body : JSON.stringify(callOptions.body);
      }
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      let json: unknown = null;
      try {
        json = text === '' ? null : JSON.parse(text);
      } catch {
        json = null;
      }

      return { status: response.status, json, headers: response.headers, text };
    },
    close: async () => {
      await app.close();
      await producer.close();
      await worker.close();
      await redis.cleanup();
    },
  };
}
