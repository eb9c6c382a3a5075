import { Queue, Worker, type Job } from 'bullmq';
import { silentLogger, type Logger } from '../log/index.js';
import { createRedis, EventRecorder, type KeyScheme, type RedisClient } from '../store/index.js';
import { effectOf } from './EventEffects.js';
import { EventMetrics, readQueueSnapshot } from './EventMetrics.js';
import { RECORD_QUEUE, type EventWorkerOptions, type RecordJobData } from './EventPipelineTypes.js';
import { WebhookDispatcher } from './WebhookDispatcher.js';

/** Delay before retry `attemptsMade` of a recording job that failed (Redis away, say): 100 ms doubling to 5 s. */
function recordBackoff(attemptsMade: number): number {
  return Math.min(100 * 2 ** Math.max(attemptsMade - 1, 0), 5000);
}

/**
 * The recording worker (`confab worker`, or inside `confab start`). It takes recording jobs from the
 * queue and records each batch with one atomic Lua script ({@link EventRecorder}), which also applies the
 * events' effects, publishes them for realtime fan-out and confirms them to their producer. It then kicks
 * webhook delivery, and only then completes the job: a worker killed at any point leaves the job to be
 * redelivered, and the redelivery finds every idempotency key recorded, so it writes nothing, confirms
 * the same ids again and kicks the webhooks again.
 */
export class EventWorker {
  readonly #options: EventWorkerOptions;
  readonly #keys: KeyScheme;
  readonly #log: Logger;
  readonly #metrics: EventMetrics;
  readonly #client: RedisClient;
  readonly #workerConnection: RedisClient;
  readonly #recorder: EventRecorder;
  readonly #dispatcher: WebhookDispatcher;
  readonly #queue: Queue<RecordJobData>;
  #worker: Worker<RecordJobData> | null = null;
  #closed = false;

  /** @private Use {@link startEventWorker}. */
  constructor(options: EventWorkerOptions) {
    this.#options = options;
    this.#keys = options.keys;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'event-worker' });
    this.#metrics = new EventMetrics(options.metrics);
    const concurrency = options.concurrency ?? 16;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new TypeError(`invalid event worker concurrency [concurrency:${concurrency}]`);
    }
    // The command connection waits through a Redis restart instead of failing the job.
    this.#client = createRedis({ url: options.redisUrl, role: 'blocking', name: 'confab-recorder' });
    this.#workerConnection = createRedis({ url: options.redisUrl, role: 'blocking', name: 'confab-worker' });
    this.#client.on('error', (error: Error) =>
      this.#log.warn({ err: error.message }, 'recorder connection error'),
    );
    this.#workerConnection.on('error', (error: Error) =>
      this.#log.warn({ err: error.message }, 'worker connection error'),
    );
    this.#recorder = new EventRecorder(this.#client, this.#keys);
    const hooks = options.webhooks ?? {};
    this.#dispatcher = new WebhookDispatcher({
      redisUrl: options.redisUrl,
      client: this.#client,
      keys: this.#keys,
      applications: options.applications,
      logger: this.#log.child({ component: 'webhooks' }),
      metrics: this.#metrics,
      retry: {
        attempts: hooks.attempts ?? 5,
        backoffMs: hooks.backoffMs ?? 40_000,
        timeoutMs: hooks.timeoutMs ?? 5000,
        concurrency: hooks.concurrency ?? 20,
      },
      lockDurationMs: options.lockDurationMs ?? 10_000,
      stalledIntervalMs: options.stalledIntervalMs ?? 5000,
      ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    });
    this.#queue = new Queue<RecordJobData>(RECORD_QUEUE, {
      connection: this.#client,
      prefix: this.#keys.queuePrefix(),
    });
    this.#queue.on('error', (error: Error) => this.#log.warn({ err: error.message }, 'queue error'));
  }

  /** @private Starts consuming; called by {@link startEventWorker}. */
  async start(): Promise<void> {
    const options = this.#options;
    await this.#queue.waitUntilReady();
    EventMetrics.registerQueueGauges(options.metrics, () => readQueueSnapshot(this.#queue));
    if (options.deliverWebhooks ?? true) {
      await this.#dispatcher.startDelivery();
    }
    const worker = new Worker<RecordJobData>(RECORD_QUEUE, async (job) => this.#process(job), {
      connection: this.#workerConnection,
      prefix: this.#keys.queuePrefix(),
      concurrency: options.concurrency ?? 16,
      lockDuration: options.lockDurationMs ?? 10_000,
      stalledInterval: options.stalledIntervalMs ?? 5000,
      // A stalled recording job is always safe to run again, so it is never failed for stalling.
      maxStalledCount: 1000,
      settings: { backoffStrategy: recordBackoff },
    });
    worker.on('error', (error: Error) => this.#log.warn({ err: error.message }, 'worker error'));
    worker.on('failed', (job, error: Error) =>
      this.#log.error(
        { err: error.message, jobId: job?.id, attemptsMade: job?.attemptsMade },
        'recording job failed',
      ),
    );
    this.#worker = worker;
    await worker.waitUntilReady();
  }

  /** True while the worker consumes jobs (for readiness probes). */
  get running(): boolean {
    return !this.#closed && this.#worker?.isRunning() === true;
  }

  /** Stops taking jobs, lets running ones finish, and closes the connections. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await this.#worker?.close().catch(() => undefined);
    await this.#dispatcher.close();
    await this.#queue.close().catch(() => undefined);
    this.#client.disconnect();
    this.#workerConnection.disconnect();
  }

  /**
   * The pipeline's "never lost" holds only with the append-only file on and no eviction; say so loudly at
   * start-up when Redis is set up otherwise (the operator may have reasons, so it is not refused).
   */
  async #process(job: Job<RecordJobData>): Promise<void> {
    const { applicationId, producerId, events } = job.data;
    const results = await this.#recorder.record(
      applicationId,
      events.map((event) => ({ ...event, effect: effectOf(event.type, event.from, event.body) })),
      {
        jobId: job.id ?? '',
        confirmChannel: producerId === null ? null : this.#keys.producerChannel(producerId),
        timestamp: new Date().toISOString(),
      },
    );
    this.#metrics.enqueueToRecorded.observe(Math.max(Date.now() - job.timestamp, 0) / 1000);
    results.forEach((result, index) => {
      if (result.isNew) {
        this.#metrics.recorded.inc({ type: events[index]!.type });
      }
    });
    await this.#options.afterRecord?.(job.id ?? '');
    await this.#dispatcher.kick(
      applicationId,
      events.filter((_event, index) => !results[index]!.refused).map((event) => event.conversationId),
    );
  }
}

/**
 * Starts a recording worker (with webhook delivery, unless `deliverWebhooks` is false). Close it with
 * `close()`; several processes may run workers on one Redis.
 */
export async function startEventWorker(options: EventWorkerOptions): Promise<EventWorker> {
  const worker = new EventWorker(options);
  await worker.start();

  return worker;
}
