import { randomUUID } from 'node:crypto';
import { startSipService, type SipService, type SipServiceOptions } from '../../../src/channels/index.js';
import { type ApplicationConfig, type TrunkConfig } from '../../../src/config/index.js';
import { type ConversationEvent, type Leg } from '../../../src/domain/index.js';
import { type EventProducer } from '../../../src/events/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { type Repositories } from '../../../src/services/index.js';
import {
  RedisConversationRepository,
  RedisEventRepository,
  RedisLegRepository,
  RedisMemberRepository,
  RedisSessionRepository,
  RedisUserRepository,
} from '../../../src/store/index.js';
import { testRedis } from '../../support/redis.js';
import { loopbackTrunk } from '../../support/trunk.js';
import { bareApplication, startTestPipeline } from '../../support/pipeline.js';

/** The number the rig's application answers. */
export const NUMBER = '15550001000';

/** A trunk admitting 127.0.0.1 with generous limits. */
export function trunk(overrides: Partial<TrunkConfig> = {}): TrunkConfig {
  return loopbackTrunk({ name: 'carrier', limits: { maxCalls: 1000, cps: 1000 }, ...overrides });
}

/** A running SIP service over a fresh Redis prefix with the real event pipeline. */
export interface PhoneRig {
  service: SipService;
  port: number;
  applicationId: string;
  legs: RedisLegRepository;
  /** Every repository, for building services next to the channel. */
  repositories: Repositories;
  /** The event producer. */
  eventPort: EventProducer;
  /** Events of a conversation, in order. */
  events(conversationId: string): Promise<ConversationEvent[]>;
  /** All legs of the application. */
  allLegs(): Promise<Leg[]>;
  /** Polls `check` until it returns true (bounded). */
  until(check: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

let portBase = 20000 + Math.floor(Math.random() * 200) * 100;

/** Starts a rig with `trunks` and service options. */
export async function startPhoneRig(
  trunks: TrunkConfig[],
  extra: Partial<SipServiceOptions> = {},
): Promise<PhoneRig> {
  const redis = await testRedis();
  const applicationId = randomUUID();
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
    },
    rtc: { eventUrl: null, eventMethod: 'POST' },
  };
  const { worker, producer } = await startTestPipeline(redis.keys, [bareApplication(applicationId)]);
  const legs = new RedisLegRepository(redis.redis, redis.keys);
  const eventsRepo = new RedisEventRepository(redis.redis, redis.keys);
  const repositories: Repositories = {
    users: new RedisUserRepository(redis.redis, redis.keys),
    conversations: new RedisConversationRepository(redis.redis, redis.keys),
    members: new RedisMemberRepository(redis.redis, redis.keys),
    legs,
    sessions: new RedisSessionRepository(redis.redis, redis.keys),
    events: eventsRepo,
  };
  const min = portBase;
  portBase = portBase >= 39000 ? 20000 : portBase + 1000;
  const service = await startSipService({
    config: {
      sip: {
        listen: [
          { transport: 'udp', host: '127.0.0.1', port: 0 },
          { transport: 'tcp', host: '127.0.0.1', port: 0 },
        ],
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
        recordingsDir: '/tmp',
        jitterMinMs: 20,
        jitterMaxMs: 100,
        rtpTimeoutSeconds: 0,
      },
      numbers: [{ number: NUMBER, application: 'app' }],
      applications: [application],
      trunks,
    },
    repositories,
    eventPort: producer,
    logger: silentLogger(),
    ...extra,
  });
  const until = async (check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) {
        throw new Error('condition not reached in time');
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  return {
    service,
    port: service.ports.udp ?? 0,
    applicationId,
    legs,
    repositories,
    eventPort: producer,
    events: async (conversationId) =>
      (await eventsRepo.list(applicationId, conversationId, { pageSize: 100, order: 'asc' })).items,
    allLegs: async () => {
      const out: Leg[] = [];
      let cursor: string | undefined;
      do {
        const page = await legs.list(applicationId, { pageSize: 100, order: 'asc', cursor });
        out.push(...page.items);
        cursor = page.next;
      } while (cursor !== undefined);

      return out;
    },
    until,
    close: async () => {
      await service.close();
      await producer.close();
      await worker.close();
      await redis.cleanup();
    },
  };
}
