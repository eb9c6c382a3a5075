import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConversationMediaHub, startSipService, type SipService } from '../../../src/channels/index.js';
import type { ApplicationConfig, ConfabConfig, NumberConfig } from '../../../src/config/index.js';
import { signWebhook } from '../../../src/events/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { createRepositories } from '../../../src/store/index.js';
import type { Repositories } from '../../../src/services/index.js';
import { createVoice, type SpeechEngine, type Voice } from '../../../src/voice/index.js';
import { testRedis } from '../../support/redis.js';
import { bareApplication, startTestPipeline } from '../../support/pipeline.js';

/** The numbers of the rig. */
export const NUMBER = '15550002000';

/** What a voice rig is started with. */
export interface VoiceRigOptions {
  /** The application's `voice` section. */
  readonly voice?: Partial<ApplicationConfig['voice']>;
  /** Static NCCOs per number (besides {@link NUMBER}, which gets `ncco`). */
  readonly ncco?: readonly Record<string, unknown>[];
  readonly speech?: SpeechEngine | null | 'default';
}

/** confab's SIP service, media hub and voice room over a fresh Redis prefix. */
export interface VoiceRig {
  readonly sip: SipService;
  readonly port: number;
  readonly voice: Voice;
  readonly hub: ConversationMediaHub;
  readonly applicationId: string;
  readonly recordingsDir: string;
  /** The rig's records (conversations, members, legs, events). */
  readonly repositories: Repositories;
  close(): Promise<void>;
}

let portBase = 40000 + Math.floor(Math.random() * 100) * 100;

/** Starts a {@link VoiceRig}. */
export async function startVoiceRig(options: VoiceRigOptions = {}): Promise<VoiceRig> {
  const redis = await testRedis();
  const applicationId = randomUUID();
  const recordingsDir = mkdtempSync(join(tmpdir(), 'confab-rec-'));
  const application: ApplicationConfig = {
    name: 'app',
    id: applicationId,
    publicKeyPem: '',
    privateKeyPem: null,
    signatureSecret: 's3cret',
    voice: {
      answerUrl: null,
      answerMethod: 'GET',
      eventUrl: null,
      eventMethod: 'POST',
      fallbackAnswerUrl: null,
      ...options.voice,
    },
    rtc: { eventUrl: null, eventMethod: 'POST' },
  };
  const numbers: NumberConfig[] = [
    { number: NUMBER, application: 'app', ...(options.ncco === undefined ? {} : { ncco: options.ncco }) },
  ];
  const min = portBase;
  portBase = portBase >= 49000 ? 40000 : portBase + 1000;
  const config = {
    sip: {
      listen: [{ transport: 'udp' as const, host: '127.0.0.1', port: 0 }],
      publicHost: '127.0.0.1',
      timers: { t1Ms: 100, t2Ms: 800, t4Ms: 1000 },
      userAgent: 'confab-test',
      tcpIdleTimeoutSeconds: 30,
      maxMessageBytes: 65535,
    },
    media: {
      rtpPortMin: min,
      rtpPortMax: min + 999,
      publicIp: '127.0.0.1',
      recordingsDir,
      jitterMinMs: 20,
      jitterMaxMs: 100,
      rtpTimeoutSeconds: 0,
    },
    numbers,
    applications: [application],
    trunks: [
      {
        name: 'carrier',
        inbound: { allow: ['127.0.0.1/32'], digest: null },
        outbound: null,
        limits: { maxCalls: 100, cps: 100 },
      },
    ],
    http: { publicUrl: 'http://127.0.0.1:3999' } as ConfabConfig['http'],
    events: { workerConcurrency: 1, webhookAttempts: 3, webhookBackoffMs: 50, webhookTimeoutMs: 2000 },
  };
  // The real event pipeline records the calls' conversation events, and its workers deliver the voice
  // events from the outbox, as in `confab start`.
  const { worker, producer, outbox } = await startTestPipeline(redis.keys, [bareApplication(applicationId)], {
    webhooks: { attempts: 3, backoffMs: 50, timeoutMs: 2000 },
  });
  const repositories = createRepositories(redis.redis, redis.keys);
  const hub = new ConversationMediaHub({ logger: silentLogger() });
  const voice = await createVoice({
    config,
    hub,
    repositories,
    sign: signWebhook,
    ...(outbox === null ? {} : { outbox }),
    speech: options.speech,
    answerTiming: {
      attempts: 2,
      fallbackAttempts: 1,
      retryDelayMs: 20,
      totalTimeoutMs: 1000,
      connectTimeoutMs: 500,
    },
    logger: silentLogger(),
  });
  const sip = await startSipService({
    config,
    repositories,
    eventPort: producer,
    logger: silentLogger(),
    hub,
    onInbound: voice.onInbound,
  });

  return {
    sip,
    port: sip.ports.udp ?? 0,
    voice,
    hub,
    applicationId,
    recordingsDir,
    repositories,
    close: async () => {
      await sip.close();
      await voice.close();
      await hub.close();
      await outbox?.close();
      await producer.close();
      await worker.close();
      await redis.cleanup();
    },
  };
}

/** sipp arguments for one call of `scenario` to `number` (the rig's {@link NUMBER}) on SIP `port`. */
export function sippArgs(scenario: string, port: number, number = NUMBER): string[] {
  return ['-sf', scenario, '-s', number, '-m', '1', '-i', '127.0.0.1', '-p', '0', `127.0.0.1:${port}`];
}
