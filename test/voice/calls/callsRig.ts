/* eslint-disable @typescript-eslint/no-explicit-any -- responses are inspected as loose JSON. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { tokenGenerate } from '@vonage/jwt';
import { Vonage } from '@vonage/server-sdk';
import { conversationApi, createHttpServer } from '../../../src/api/index.js';
import { RateLimiter, TokenVerifier } from '../../../src/auth/index.js';
import {
  ConversationMediaHub,
  MediaControl,
  startSipService,
  type SipService,
} from '../../../src/channels/index.js';
import type { ApplicationConfig } from '../../../src/config/index.js';
import { createMetricsRegistry, silentLogger } from '../../../src/log/index.js';
import { CallService, createServices, type Repositories } from '../../../src/services/index.js';
import { createRepositories } from '../../../src/store/index.js';
import {
  CallsService,
  VoiceEventDispatcher,
  callsWebhooks,
  createConnectHandler,
  webSocketConnector,
  type ConnectHandler,
} from '../../../src/voice/index.js';
import { loadAudio } from '../../../src/voice/audio/loadAudio.js';
import { CallControl } from '../../../src/voice/control/CallControl.js';
import { EspeakEngine } from '../../../src/voice/speech/EspeakEngine.js';
import { applicationWithKeys } from '../../support/application.js';
import { testRedis } from '../../support/redis.js';
import { startTestApp, type TestApp } from '../support/httpApp.js';
import { startTestPipeline } from '../../support/pipeline.js';

/** A confab of SIP service, media hub, call control, the Calls API over HTTP, and a webhook app. */
export interface CallsRig {
  readonly base: string;
  readonly applicationId: string;
  readonly sip: SipService;
  readonly hub: ConversationMediaHub;
  readonly calls: CallsService;
  readonly control: CallControl;
  /** Where recordings are written (one directory per application). */
  readonly recordingsDir: string;
  readonly repos: Repositories;
  /** The local application that answers webhooks (`/event` gets the voice events). */
  readonly app: TestApp;
  /** The official SDK pointed at the rig. */
  readonly vonage: Vonage;
  /** An admin JWT. */
  token(): string;
  /** A raw request to the API with an admin token. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** Polls `check` until it holds (bounded). */
  until(check: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

let portBase = 40000 + Math.floor(Math.random() * 40) * 250;

/** Starts a rig whose only trunk dials out to `calleePort` on 127.0.0.1 (a sipp `-sn uas`), `maxCalls` at once. */
export async function startCallsRig(
  calleePort: number,
  options: { maxCalls?: number } = {},
): Promise<CallsRig> {
  const redis = await testRedis();
  const { application, privateKeyPem } = applicationWithKeys();
  const applicationId = application.id;
  const app = await startTestApp();
  const appConfig: ApplicationConfig = {
    name: application.name,
    id: applicationId,
    publicKeyPem: application.publicKeyPem,
    privateKeyPem,
    signatureSecret: application.signatureSecret,
    voice: {
      answerUrl: null,
      answerMethod: 'GET',
      eventUrl: `${app.url}/event`,
      eventMethod: 'POST',
      fallbackAnswerUrl: null,
    },
    rtc: { eventUrl: null, eventMethod: 'POST' },
  };
  // Voice events go through the outbox and the pipeline's webhook workers, as in `confab start`.
  const { worker, producer, outbox } = await startTestPipeline(redis.keys, [application], {
    webhooks: { attempts: 2, backoffMs: 100, timeoutMs: 3000 },
  });
  const repos = createRepositories(redis.redis, redis.keys);
  const min = portBase;
  portBase = portBase >= 49000 ? 40000 : portBase + 250;
  const hub = new ConversationMediaHub({ logger: silentLogger() });
  const sip = await startSipService({
    config: {
      sip: {
        listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
        publicHost: '127.0.0.1',
        timers: { t1Ms: 100, t2Ms: 800, t4Ms: 1000 },
        userAgent: 'confab-test',
        tcpIdleTimeoutSeconds: 30,
        maxMessageBytes: 65535,
      },
      media: {
        rtpPortMin: min,
        rtpPortMax: min + 249,
        publicIp: '127.0.0.1',
        recordingsDir: '/tmp',
        jitterMinMs: 20,
        jitterMaxMs: 100,
        rtpTimeoutSeconds: 0,
      },
      numbers: [],
      applications: [appConfig],
      trunks: [
        {
          name: 'carrier',
          inbound: { allow: ['127.0.0.1/32'], digest: null },
          outbound: { uri: `sip:127.0.0.1:${calleePort}`, transport: 'udp', from: null, auth: null },
          limits: { maxCalls: options.maxCalls ?? 100, cps: 100 },
        },
      ],
    },
    repositories: repos,
    eventPort: producer,
    logger: silentLogger(),
    hub,
  });
  const events = new VoiceEventDispatcher({
    applications: [
      { id: applicationId, signatureSecret: 's3cret', eventUrl: `${app.url}/event`, eventMethod: 'POST' },
    ],
    ...(outbox === null ? {} : { outbox }),
  });
  const webhooks = callsWebhooks([{ id: applicationId, signatureSecret: 's3cret' }], {
    timing: { attempts: 1, retryDelayMs: 50 },
  });
  const speech = new EspeakEngine();
  let connect: ConnectHandler | null = null;
  const recordingsDir = mkdtempSync(join(tmpdir(), 'confab-calls-'));
  const control = new CallControl({
    hub,
    events,
    applications: new Map([[applicationId, { id: applicationId, signatureSecret: 's3cret' }]]),
    repositories: repos,
    speech,
    recordingsDir,
    publicUrl: 'http://127.0.0.1',
    connect: (call, action, signal) => {
      if (connect === null) {
        throw new Error('connect not wired');
      }

      return connect(call, action, signal);
    },
    callbackTimeoutMs: 3000,
    startedConversations: new Set(),
    parkedCalls: new Map(),
  });
  const media = new MediaControl({
    hub,
    repositories: repos,
    eventPort: producer,
    recordingsDir,
    publicUrl: 'https://confab.test',
  });
  const legRecords = new CallService(repos, producer);
  const calls = new CallsService({
    media,
    legRecords,
    repositories: repos,
    dialer: sip,
    controller: control,
    hub,
    fetchAnswer: webhooks.fetchAnswer,
    events,
    speech,
    loadAudio,
  });
  connect = createConnectHandler({
    calls,
    loadAudio,
    syncEvent: webhooks.syncEvent,
    websocket: webSocketConnector(calls),
  });
  const services = createServices({
    repositories: repos,
    eventPort: producer,
    hangup: (leg) => sip.hangupHook(leg),
  });
  const verifier = new TokenVerifier([application], {
    clockToleranceSeconds: 30,
    maxLifetimeSeconds: 86_400,
  });
  await verifier.ready();
  const rateLimit = { perSecond: 1000, burst: 1000 };
  const http = {
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'https://confab.test',
    bodyLimitBytes: 1_048_576,
    rateLimit,
  };
  const server: FastifyInstance = await createHttpServer({
    http,
    logger: silentLogger(),
    metrics: createMetricsRegistry(),
    readiness: [],
    plugins: [
      conversationApi({
        http,
        services,
        verifier,
        rateLimiter: new RateLimiter({ ratePerSecond: 1000, burst: 1000 }),
        calls,
      }),
    ],
  });
  const base = await server.listen({ host: '127.0.0.1', port: 0 });
  const token = (): string => tokenGenerate(applicationId, privateKeyPem);

  return {
    base,
    applicationId,
    sip,
    hub,
    calls,
    control,
    recordingsDir,
    repos,
    app,
    vonage: new Vonage({ applicationId, privateKey: privateKeyPem }, { apiHost: base }),
    token,
    request: async (method, path, body) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token()}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();

      return { status: response.status, json: text === '' ? null : (JSON.parse(text) as unknown) };
    },
    until: async (check, timeoutMs = 15_000) => {
      const end = Date.now() + timeoutMs;
      while (!(await check())) {
        if (Date.now() > end) {
          throw new Error('condition not reached in time');
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: async () => {
      await server.close();
      control.close();
      await calls.close();
      await media.close();
      await sip.close();
      await hub.close();
      events.close();
      await app.close();
      await outbox?.close();
      await producer.close();
      await worker.close();
      await redis.cleanup();
    },
  };
}

/** Mean absolute amplitude of a frame. */
export function energy(pcm: Int16Array): number {
  let sum = 0;
  for (const sample of pcm) {
    sum += Math.abs(sample);
  }

  return pcm.length === 0 ? 0 : sum / pcm.length;
}
