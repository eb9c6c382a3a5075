import { Queue, type JobsOptions } from 'bullmq';
import type { Logger } from '../log/index.js';
import type { KeyScheme, RedisClient } from '../store/index.js';
import { webhookQueueName, type WebhookJobData } from './EventPipelineTypes.js';

/**
 * The per-application webhook queues on one connection, each opened on first use. The dispatcher adds
 * `deliver` jobs to them and the outbox `outbox` jobs; the delivery workers drain them.
 */
export class WebhookQueues {
  readonly #client: RedisClient;
  readonly #keys: KeyScheme;
  readonly #log: Logger;
  readonly #queues = new Map<string, Queue<WebhookJobData>>();

  /** @param client - the connection the queues share; @param log - where queue errors go */
  constructor(client: RedisClient, keys: KeyScheme, log: Logger) {
    this.#client = client;
    this.#keys = keys;
    this.#log = log;
  }

  /** The webhook queue of `applicationId`. */
  get(applicationId: string): Queue<WebhookJobData> {
    let queue = this.#queues.get(applicationId);
    if (queue === undefined) {
      queue = new Queue<WebhookJobData>(webhookQueueName(applicationId), {
        connection: this.#client,
        prefix: this.#keys.queuePrefix(),
      });
      queue.on('error', (error: Error) => this.#log.warn({ err: error.message }, 'webhook queue error'));
      this.#queues.set(applicationId, queue);
    }

    return queue;
  }

  /** Closes every queue opened (not the connection). */
  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close().catch(() => undefined)));
  }
}

/** Makes sure an `outbox` job will look at each of these streams (at most one active and one waiting each). */
export async function addOutboxJobs(queue: Queue<WebhookJobData>, streams: readonly string[]): Promise<void> {
  await queue.addBulk(
    [...new Set(streams)].map((stream) => ({
      name: 'outbox',
      data: { stream },
      opts: deliveryJobOptions(`o-${stream}`),
    })),
  );
}

/**
 * The options of a delivery job. BullMQ's deduplication (`keepLastIfActive`) keeps at most one job per
 * conversation or stream active and one waiting; errors other than a failed attempt (Redis away, say)
 * retry the whole job soon.
 */
export function deliveryJobOptions(deduplicationId: string): JobsOptions {
  return {
    deduplication: { id: deduplicationId, keepLastIfActive: true },
    removeOnComplete: true,
    removeOnFail: true,
    attempts: 1000,
    backoff: { type: 'fixed', delay: 1000 },
  };
}
