import { DelayedError, Worker, type Job } from 'bullmq';
import type { Application } from '../domain/index.js';
import type { Logger } from '../log/index.js';
import { createRedis, type KeyScheme, type RedisClient } from '../store/index.js';
import { recordDeadLetter, type DeadLetter } from './DeadLetters.js';
import type { EventMetrics } from './EventMetrics.js';
import {
  webhookQueueName,
  type OutboxEntry,
  type WebhookJobData,
  type WebhookRetryOptions,
} from './EventPipelineTypes.js';
import { deliverOnce, sendSigned, webhookBody, type DeliveryOutcome } from './WebhookDelivery.js';
import { addOutboxJobs, deliveryJobOptions, WebhookQueues } from './WebhookQueues.js';

/** Moves a cursor from `expected - 1` to `expected`; a cursor that has moved on already stays. */
const ADVANCE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current == tonumber(ARGV[1]) - 1 then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
return 0`;

/**
 * Removes the head of an outbox list (KEYS[1]) if it is still the entry just delivered (a rerun job may
 * race), and the stream from the set of streams with requests (KEYS[2]) once its list is empty.
 */
const POP_IF_HEAD = `
if redis.call('LINDEX', KEYS[1], 0) ~= ARGV[1] then return 0 end
redis.call('LPOP', KEYS[1])
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return 1`;

/** How often outbox streams are swept for requests whose job was lost. */
const SWEEP_INTERVAL_MS = 60_000;

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
 *
 * The same workers drain the webhook outbox ({@link RedisWebhookOutbox}): requests, such as voice events,
 * kept in a Redis list per stream (a call). An `outbox` job sends the head of its stream's list, pops it on
 * success, and otherwise follows the same attempts, backoff and dead letters as conversation events. A
 * sweep at start and every minute kicks every stream that holds requests (a set per application), so a
 * request whose job was lost (its process died between storing it and adding the job) still goes out.
 */
export class WebhookDispatcher {
  readonly #options: WebhookDispatcherOptions;
  /** Applications with a conversation webhook URL. */
  readonly #apps = new Map<string, Application>();
  /** Every application: any of them may have outbox requests (a call's own event URL). */
  readonly #all: readonly Application[];
  readonly #queues: WebhookQueues;
  readonly #workers: Worker<WebhookJobData>[] = [];
  readonly #connections: RedisClient[] = [];
  readonly #closing = new AbortController();
  #sweeper: NodeJS.Timeout | null = null;
  #closed = false;

  /** @param options - see {@link WebhookDispatcherOptions}. */
  constructor(options: WebhookDispatcherOptions) {
    this.#options = options;
    this.#all = options.applications;
    this.#queues = new WebhookQueues(options.client, options.keys, options.logger);
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
    const queue = this.#queues.get(applicationId);
    const jobs = [...new Set(conversationIds)].map((conversationId) => ({
      name: 'deliver',
      data: { conversationId },
      opts: deliveryJobOptions(`c-${conversationId}`),
    }));
    await queue.addBulk(jobs);
  }

  /** Starts one delivery worker per application, then sweeps the outbox. */
  async startDelivery(): Promise<void> {
    for (const application of this.#all) {
      const connection = createRedis({
        url: this.#options.redisUrl,
        role: 'blocking',
        name: 'confab-webhooks',
      });
      this.#connections.push(connection);
      const worker = new Worker<WebhookJobData>(
        webhookQueueName(application.id),
        async (job, token) =>
          'stream' in job.data
            ? this.#drainStream(application, job, job.data.stream, token)
            : this.#deliver(application, job, job.data.conversationId, token),
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
    await this.#sweep();
    this.#sweeper = setInterval(() => void this.#sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  /** Stops the delivery workers and closes the queues. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    if (this.#sweeper !== null) {
      clearInterval(this.#sweeper);
    }
    // Attempts under way are cut short; their jobs are retried (by another worker) without counting them.
    this.#closing.abort();
    await Promise.all(this.#workers.map((worker) => worker.close().catch(() => undefined)));
    await this.#queues.close();
    this.#connections.forEach((connection) => connection.disconnect());
  }

  /** Adds an `outbox` job for each outbox stream of every application that still holds requests. */
  async #sweep(): Promise<void> {
    const { client, keys, logger } = this.#options;
    try {
      for (const application of this.#all) {
        const streams = await client.smembers(keys.webhookOutboxStreams(application.id));
        if (streams.length > 0) {
          await addOutboxJobs(this.#queues.get(application.id), streams);
        }
      }
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'outbox sweep failed');
    }
  }

  /** Delivers everything of one conversation beyond its cursor, in order. */
  async #deliver(
    application: Application,
    job: Job<WebhookJobData>,
    conversationId: string,
    token: string | undefined,
  ): Promise<void> {
    const { client, keys, metrics, logger } = this.#options;
    const app = application.id;
    const cursorKey = keys.conversationWebhookCursor(app, conversationId);
    const seqKey = keys.conversationSeq(app, conversationId);
    const eventsKey = keys.conversationEvents(app, conversationId);
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
        this.#options.retry.timeoutMs,
        this.#closing.signal,
      );
      await this.#settle(application, job, token, outcome, {
        field: `${conversationId}:${next}`,
        log: logger.child({ applicationId: app, conversationId, eventId: next }),
        letter: (attempts, lastError) => ({
          kind: 'event',
          id: `${conversationId}.${next}`,
          applicationId: app,
          conversationId,
          eventId: next,
          url: application.rtcEventUrl ?? '',
          attempts,
          lastError,
          failedAt: new Date().toISOString(),
        }),
        advance: async () => void (await client.eval(ADVANCE, 1, cursorKey, next)),
      });
    }
  }

  /** Delivers the requests of one outbox stream, oldest first. */
  async #drainStream(
    application: Application,
    job: Job<WebhookJobData>,
    stream: string,
    token: string | undefined,
  ): Promise<void> {
    const { client, keys, metrics, logger } = this.#options;
    const app = application.id;
    const listKey = keys.webhookOutbox(app, stream);
    const streamsKey = keys.webhookOutboxStreams(app);
    for (;;) {
      const head = await client.lindex(listKey, 0);
      if (head === null) {
        await client.srem(streamsKey, stream);

        return;
      }
      if (this.#closed) {
        return;
      }
      const entry = JSON.parse(head) as OutboxEntry;
      metrics.webhookAttempts.inc({ application: app });
      const request = {
        method: entry.method,
        url: entry.url,
        ...(entry.body === undefined ? {} : { body: entry.body }),
      };
      const outcome = await sendSigned(
        application,
        request,
        this.#options.retry.timeoutMs,
        this.#closing.signal,
      );
      await this.#settle(application, job, token, outcome, {
        field: `outbox:${stream}:${entry.id}`,
        log: logger.child({ applicationId: app, stream, requestId: entry.id, url: entry.url }),
        letter: (attempts, lastError) => ({
          kind: 'request',
          id: `${stream}.${entry.id}`,
          applicationId: app,
          stream,
          request,
          url: entry.url,
          attempts,
          lastError,
          failedAt: new Date().toISOString(),
        }),
        advance: async () => void (await client.eval(POP_IF_HEAD, 2, listKey, streamsKey, head, stream)),
      });
    }
  }

  /**
   * Books the outcome of one attempt. Success, or a failure that used up the attempts (kept as a dead
   * letter), moves past the item (`advance`) and returns; any other failure parks the job as delayed by
   * the backoff and throws BullMQ's DelayedError, which ends this run of the job.
   */
  async #settle(
    application: Application,
    job: Job<WebhookJobData>,
    token: string | undefined,
    outcome: DeliveryOutcome,
    item: {
      readonly field: string;
      readonly log: Logger;
      readonly letter: (attempts: number, lastError: string) => DeadLetter;
      readonly advance: () => Promise<void>;
    },
  ): Promise<void> {
    const { client, keys, metrics, retry } = this.#options;
    if (this.#closed) {
      throw new Error('the webhook worker is closing');
    }
    const labels = { application: application.id };
    const attemptsKey = keys.webhookAttempts(application.id);
    if (outcome.ok) {
      metrics.webhookSuccesses.inc(labels);
      await item.advance();
      await client.hdel(attemptsKey, item.field);

      return;
    }
    metrics.webhookFailures.inc(labels);
    const attempts = await client.hincrby(attemptsKey, item.field, 1);
    const log = item.log.child({ attempts });
    if (attempts >= retry.attempts) {
      await recordDeadLetter(client, keys, item.letter(attempts, outcome.error));
      metrics.webhookDeadLetters.inc(labels);
      log.error({ err: outcome.error }, 'webhook delivery exhausted its retries; kept as a dead letter');
      await item.advance();
      await client.hdel(attemptsKey, item.field);

      return;
    }
    const delay = retry.backoffMs * 2 ** (attempts - 1);
    log.warn({ err: outcome.error, retryInMs: delay }, 'webhook attempt failed');
    await job.moveToDelayed(Date.now() + delay, token);
    throw new DelayedError();
  }
}
