import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import type { Application } from '../domain/index.js';
import type { Logger } from '../log/index.js';
import { createRedis, type KeyScheme, type RedisClient } from '../store/index.js';
import { recordDeadLetter } from './DeadLetters.js';
import type { EventMetrics } from './EventMetrics.js';
import { webhookQueueName, type WebhookJobData, type WebhookRetryOptions } from './EventPipelineTypes.js';
import { deliverOnce, webhookBody } from './WebhookDelivery.js';

/** Moves a cursor from `expected - 1` to `expected`; a cursor that has moved on already stays. */
const ADVANCE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current == tonumber(ARGV[1]) - 1 then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`;

/** Options of {@link WebhookDispatcher}. */
export interface WebhookDispatcherOptions {
  redisUrl: string;
  /** A command connection that waits through reconnects (role `blocking`). */
  client: RedisClient;
  keys: KeyScheme;
  applications: readonly Application[];
  logger: Logger;
  metrics: EventMetrics;
  retry: Required<WebhookRetryOptions>;
  lockDurationMs: number;
  stalledIntervalMs: number;
  publicUrl?: string;
}

/**
 * Webhook delivery. Each conversation has a cursor, the id of the last event handed to its application's
 * webhook (or dead-lettered). A delivery job for a conversation posts the events after the cursor, one
 * at a time and in id order, moving the cursor after each success. Recording a batch "kicks" the delivery
 * job of each conversation in it; BullMQ's deduplication (`keepLastIfActive`) keeps at most one job per
 * conversation active and one waiting, so a conversation is never delivered by two jobs at once.
 *
 * A failed attempt parks the job as delayed (exponential backoff), which frees its slot; the attempt
 * count lives in Redis, so it survives worker restarts. After the last attempt the event becomes a dead
 * letter, the cursor moves past it, and delivery goes on. Every application has its own queue and its
 * own BullMQ worker with its own concurrency, so a slow or dead endpoint can only ever hold up its own
 * application's deliveries.
 */
export class WebhookDispatcher {
  readonly #options: WebhookDispatcherOptions;
  readonly #apps = new Map<string, Application>();
  readonly #queues = new Map<string, Queue<WebhookJobData>>();
  readonly #workers: Worker<WebhookJobData>[] = [];
  readonly #connections: RedisClient[] = [];
  readonly #closing = new AbortController();
  #closed = false;

  /** @param options - see {@link WebhookDispatcherOptions}. */
  constructor(options: WebhookDispatcherOptions) {
    this.#options = options;
    for (const application of options.applications) {
      if (application.rtcEventUrl !== null) {
        this.#apps.set(application.id, application);
      }
    }
  }

  /** Tells whether events of this application have somewhere to go. */
  delivers(applicationId: string): boolean {
    return this.#apps.has(applicationId);
  }

  /** Makes sure a delivery job will look at each of these conversations. */
  async kick(applicationId: string, conversationIds: Iterable<string>): Promise<void> {
    if (!this.#apps.has(applicationId)) {
      return;
    }
    const queue = this.#queue(applicationId);
    const jobs = [...new Set(conversationIds)].map((conversationId) => ({
      name: 'deliver',
      data: { conversationId },
      opts: {
        deduplication: { id: `c-${conversationId}`, keepLastIfActive: true },
        removeOnComplete: true,
        removeOnFail: true,
        // Errors other than a failed attempt (Redis away, say) retry the whole job soon.
        attempts: 1000,
        backoff: { type: 'fixed', delay: 1000 },
      },
    }));
    await queue.addBulk(jobs);
  }

  /** Starts one delivery worker per application that has a webhook URL. */
  async startDelivery(): Promise<void> {
    for (const application of this.#apps.values()) {
      const connection = createRedis({
        url: this.#options.redisUrl,
        role: 'blocking',
        name: 'confab-webhooks',
      });
      this.#connections.push(connection);
      const worker = new Worker<WebhookJobData>(
        webhookQueueName(application.id),
        async (job, token) => this.#deliver(application, job, token),
        {
          connection,
          prefix: this.#options.keys.queuePrefix(),
          concurrency: this.#options.retry.concurrency,
          lockDuration: this.#options.lockDurationMs,
          stalledInterval: this.#options.stalledIntervalMs,
          maxStalledCount: 1000,
          autorun: true,
        },
      );
      worker.on('error', (error: Error) =>
        this.#options.logger.warn({ err: error.message }, 'webhook worker error'),
      );
      this.#workers.push(worker);
      await worker.waitUntilReady();
    }
  }

  /** Stops the delivery workers and closes the queues. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    // Attempts under way are cut short; their jobs are retried (by another worker) without counting them.
    this.#closing.abort();
    await Promise.all(this.#workers.map((worker) => worker.close().catch(() => undefined)));
    await Promise.all([...this.#queues.values()].map((queue) => queue.close().catch(() => undefined)));
    this.#connections.forEach((connection) => connection.disconnect());
  }

  #queue(applicationId: string): Queue<WebhookJobData> {
    let queue = this.#queues.get(applicationId);
    if (queue === undefined) {
      queue = new Queue<WebhookJobData>(webhookQueueName(applicationId), {
        connection: this.#options.client,
        prefix: this.#options.keys.queuePrefix(),
      });
      queue.on('error', (error: Error) =>
        this.#options.logger.warn({ err: error.message }, 'webhook queue error'),
      );
      this.#queues.set(applicationId, queue);
    }

    return queue;
  }

  /** Delivers everything of one conversation beyond its cursor, in order. */
  async #deliver(
    application: Application,
    job: Job<WebhookJobData>,
    token: string | undefined,
  ): Promise<void> {
    const { client, keys, metrics, retry, logger } = this.#options;
    const app = application.id;
    const conversationId = job.data.conversationId;
    const cursorKey = keys.conversationWebhookCursor(app, conversationId);
    const seqKey = keys.conversationSeq(app, conversationId);
    const eventsKey = keys.conversationEvents(app, conversationId);
    const attemptsKey = keys.webhookAttempts(app);
    const labels = { application: app };
    for (;;) {
      const [cursorRaw, seqRaw] = await client.mget(cursorKey, seqKey);
      const cursor = Number(cursorRaw ?? 0);
      if (cursor >= Number(seqRaw ?? 0) || this.#closed) {
        return;
      }
      const next = cursor + 1;
      const stored = await client.hget(eventsKey, String(next));
      if (stored === null) {
        // The event is gone (its conversation was deleted): nothing to deliver.
        await client.eval(ADVANCE, 1, cursorKey, next);
        continue;
      }
      metrics.webhookAttempts.inc(labels);
      const outcome = await deliverOnce(
        application,
        webhookBody(stored, this.#options.publicUrl),
        retry.timeoutMs,
        this.#closing.signal,
      );
      if (this.#closed) {
        throw new Error('the webhook worker is closing');
      }
      const field = `${conversationId}:${next}`;
      if (outcome.ok) {
        metrics.webhookSuccesses.inc(labels);
        await client.eval(ADVANCE, 1, cursorKey, next);
        await client.hdel(attemptsKey, field);
        continue;
      }
      metrics.webhookFailures.inc(labels);
      const attempts = await client.hincrby(attemptsKey, field, 1);
      const log = logger.child({ applicationId: app, conversationId, eventId: next, attempts });
      if (attempts >= retry.attempts) {
        await recordDeadLetter(client, keys, {
          id: `${conversationId}.${next}`,
          applicationId: app,
          conversationId,
          eventId: next,
          url: application.rtcEventUrl ?? '',
          attempts,
          lastError: outcome.error,
          failedAt: new Date().toISOString(),
        });
        metrics.webhookDeadLetters.inc(labels);
        log.error({ err: outcome.error }, 'webhook delivery exhausted its retries; kept as a dead letter');
        await client.eval(ADVANCE, 1, cursorKey, next);
        await client.hdel(attemptsKey, field);
        continue;
      }
      const delay = retry.backoffMs * 2 ** (attempts - 1);
      log.warn({ err: outcome.error, retryInMs: delay }, 'webhook attempt failed');
      await job.moveToDelayed(Date.now() + delay, token);
      throw new DelayedError();
    }
  }
}
