import type { Application } from '../../src/domain/index.js';
import {
  createEventProducer,
  createWebhookOutbox,
  startEventWorker,
  type EventProducer,
  type EventWorker,
  type RedisWebhookOutbox,
  type WebhookRetryOptions,
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
 * The real event pipeline over the test Redis: a recording worker and a producer that polls unconfirmed
 * jobs quickly. With `webhooks` the worker also delivers webhooks with those retries, and a webhook outbox
 * (voice events) is opened; without, webhook delivery is off (it is not what those rigs test). Close
 * everything returned when the rig closes.
 */
export async function startTestPipeline(
  keys: KeyScheme,
  applications: readonly Application[],
  options: { readonly webhooks?: WebhookRetryOptions } = {},
): Promise<{ worker: EventWorker; producer: EventProducer; outbox: RedisWebhookOutbox | null }> {
  const worker = await startEventWorker({
    redisUrl: TEST_REDIS_URL,
    keys,
    applications,
    deliverWebhooks: options.webhooks !== undefined,
    ...(options.webhooks === undefined ? {} : { webhooks: options.webhooks }),
  });
  const producer = await createEventProducer({ redisUrl: TEST_REDIS_URL, keys, confirmPollMs: 200 });
  const outbox =
    options.webhooks === undefined ? null : await createWebhookOutbox({ redisUrl: TEST_REDIS_URL, keys });

  return { worker, producer, outbox };
}
