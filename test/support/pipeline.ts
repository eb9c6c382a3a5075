import type { Application } from '../../src/domain/index.js';
import {
  createEventProducer,
  startEventWorker,
  type EventProducer,
  type EventWorker,
} from '../../src/events/index.js';
import type { KeyScheme } from '../../src/store/index.js';
import { TEST_REDIS_URL } from './redis.js';

/** An application record for rigs whose tests sign nothing and receive no conversation webhooks. */
export function bareApplication(id: string): Application {
  return {
    id,
    name: 'app',
    publicKeyPem: '',
    signatureSecret: 's3cret',
    rtcEventUrl: null,
    rtcEventMethod: 'POST',
  };
}

/**
 * The real event pipeline over the test Redis: a recording worker (webhook delivery off, it is not what
 * the rigs test) and a producer that polls unconfirmed jobs quickly. Close both when the rig closes.
 */
export async function startTestPipeline(
  keys: KeyScheme,
  applications: readonly Application[],
): Promise<{ worker: EventWorker; producer: EventProducer }> {
  const worker = await startEventWorker({
    redisUrl: TEST_REDIS_URL,
    keys,
    applications,
    deliverWebhooks: false,
  });
  const producer = await createEventProducer({ redisUrl: TEST_REDIS_URL, keys, confirmPollMs: 200 });

  return { worker, producer };
}
