import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { ConfabError, type ConversationEvent, type EventPort, type NewEvent } from '../domain/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { createRedis, type KeyScheme, type RedisClient } from '../store/index.js';
import { EventNotConfirmedError, EventProducerClosedError } from './errors.js';
import { EventMetrics, readQueueSnapshot } from './EventMetrics.js';
import { RECORD_QUEUE, type EventProducerOptions, type RecordJobData } from './EventPipelineTypes.js';

/** An emit waiting for its confirmation. */
interface PendingEmit {
  readonly event: NewEvent;
  readonly key: string;
  readonly startedAt: number;
  readonly resolve: (event: ConversationEvent) => void;
  readonly reject: (error: Error) => void;
}

/** The emits of one conversation: at most one job of them is in flight at a time. */
interface Lane {
  readonly applicationId: string;
  readonly conversationId: string;
  readonly name: string;
  pending: PendingEmit[];
  inFlight: boolean;
}

/** A recording job sent and not yet confirmed. */
interface InFlightJob {
  readonly jobId: string;
  readonly applicationId: string;
  readonly entries: PendingEmit[];
  readonly lanes: Lane[];
  readonly sentAt: number;
  added: boolean;
}

/** One row of a confirmation: id, timestamp, whether it was new. */
type ConfirmRow = [number, string, number];

/**
 * The event port over BullMQ.
 *
 * Ordering: each conversation is a lane with at most one recording job in flight. Emits that arrive while a
 * job is in flight wait in the lane and go out together in the next job, in emit order, so fire-and-forget
 * emits keep their order and batches grow with load. Jobs of different conversations (and applications)
 * are in flight at once and recorded by any worker, up to `maxJobsInFlight` jobs: beyond that, the
 * conversations that become ready wait for a confirmation and then share one job per application, so the
 * queue work per event falls as the load rises.
 *
 * Confirmation: the recording script publishes the ids of a job on this producer's channel. The
 * subscription is made before the first job is added, so a confirmation cannot arrive unheard; and jobs
 * unconfirmed after `confirmPollMs` are looked up in the conversation's `event-keys` hash, which covers a
 * confirmation lost while Redis restarted. Adding a job is retried with the same job id until
 * `confirmTimeoutMs`; the idempotency key per event makes any double add harmless.
 */
export class EventProducer implements EventPort {
  readonly #id: string;
  readonly #keys: KeyScheme;
  readonly #log: Logger;
  readonly #metrics: EventMetrics;
  readonly #maxBatch: number;
  readonly #maxJobsInFlight: number;
  readonly #confirmTimeoutMs: number;
  readonly #confirmPollMs: number;
  readonly #client: RedisClient;
  readonly #subscriber: RedisClient;
  readonly #queue: Queue<RecordJobData>;
  readonly #lanes = new Map<string, Lane>();
  readonly #ready = new Set<Lane>();
  readonly #inFlight = new Map<string, InFlightJob>();
  #counter = 0;
  #flushScheduled = false;
  #pollTimer: NodeJS.Timeout | null = null;
  #polling = false;
  #closed = false;

  /** @private Use {@link createEventProducer}. */
  constructor(options: EventProducerOptions) {
    this.#id = randomBytes(6).toString('hex');
    this.#keys = options.keys;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'event-producer', producer: this.#id });
    this.#metrics = new EventMetrics(options.metrics);
    this.#maxBatch = positive('maxBatch', options.maxBatch ?? 500);
    this.#maxJobsInFlight = positive('maxJobsInFlight', options.maxJobsInFlight ?? 4);
    this.#confirmTimeoutMs = positive('confirmTimeoutMs', options.confirmTimeoutMs ?? 60_000);
    this.#confirmPollMs = positive('confirmPollMs', options.confirmPollMs ?? 1000);
    this.#client = createRedis({ url: options.redisUrl, role: 'producer', name: 'confab-producer' });
    this.#subscriber = createRedis({
      url: options.redisUrl,
      role: 'subscriber',
      name: 'confab-producer-sub',
    });
    this.#client.on('error', (error: Error) =>
      this.#log.warn({ err: error.message }, 'producer connection error'),
    );
    this.#subscriber.on('error', (error: Error) =>
      this.#log.warn({ err: error.message }, 'confirmation connection error'),
    );
    this.#queue = new Queue<RecordJobData>(RECORD_QUEUE, {
      connection: this.#client,
      prefix: this.#keys.queuePrefix(),
    });
    this.#queue.on('error', (error: Error) => this.#log.warn({ err: error.message }, 'queue error'));
    EventMetrics.registerQueueGauges(options.metrics, () => readQueueSnapshot(this.#queue));
  }

  /** This producer's id (part of its idempotency keys and confirmation channel). */
  get id(): string {
    return this.#id;
  }

  /** @private Connects and subscribes to the confirmation channel; called by {@link createEventProducer}. */
  async start(): Promise<void> {
    this.#subscriber.on('message', (_channel: string, message: string) => this.#onConfirmation(message));
    // After a reconnect the subscription is renewed, but confirmations sent meanwhile are gone: look up
    // every unconfirmed job at once.
    this.#subscriber.on('ready', () => void this.#poll(true));
    await this.#subscriber.connect();
    await this.#subscriber.subscribe(this.#keys.producerChannel(this.#id));
    await this.#queue.waitUntilReady();
    this.#pollTimer = setInterval(() => void this.#poll(false), Math.min(this.#confirmPollMs, 1000));
    this.#pollTimer.unref();
  }

  /** Queues an event; resolves with the recorded event once it is durably stored and visible. */
  emit(event: NewEvent): Promise<ConversationEvent> {
    if (this.#closed) {
      return Promise.reject(new EventProducerClosedError('the event producer is closed'));
    }
    this.#metrics.accepted.inc({ type: event.type });

    return new Promise<ConversationEvent>((resolve, reject) => {
      const name = `${event.applicationId}\n${event.conversationId}`;
      let lane = this.#lanes.get(name);
      if (lane === undefined) {
        lane = {
          applicationId: event.applicationId,
          conversationId: event.conversationId,
          name,
          pending: [],
          inFlight: false,
        };
        this.#lanes.set(name, lane);
      }
      this.#counter += 1;
      lane.pending.push({
        event,
        key: `${this.#id}.${this.#counter.toString(36)}`,
        startedAt: performance.now(),
        resolve,
        reject,
      });
      if (!lane.inFlight) {
        this.#ready.add(lane);
        this.#scheduleFlush();
      }
    });
  }

  /** Waits (up to `timeoutMs`) for emits in flight, fails the rest, and closes the connections. Idempotent. */
  async close(timeoutMs = 5000): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    const deadline = Date.now() + timeoutMs;
    while ((this.#inFlight.size > 0 || this.#ready.size > 0) && Date.now() < deadline) {
      await new Promise((wake) => setTimeout(wake, 20));
    }
    if (this.#pollTimer !== null) {
      clearInterval(this.#pollTimer);
    }
    const closed = new EventProducerClosedError('the event producer closed before the event was confirmed');
    for (const job of this.#inFlight.values()) {
      job.entries.forEach((entry) => entry.reject(closed));
    }
    for (const lane of this.#lanes.values()) {
      lane.pending.forEach((entry) => entry.reject(closed));
    }
    this.#inFlight.clear();
    this.#lanes.clear();
    await this.#queue.close().catch(() => undefined);
    this.#client.disconnect();
    this.#subscriber.disconnect();
  }

  #scheduleFlush(): void {
    // At the cap, the next confirmation (or the confirmation timeout) releases a job and schedules the flush.
    if (!this.#flushScheduled && this.#inFlight.size < this.#maxJobsInFlight) {
      this.#flushScheduled = true;
      // Emits made in the same turn of the event loop travel in one job.
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const byApp = new Map<string, Lane[]>();
    for (const lane of this.#ready) {
      const lanes = byApp.get(lane.applicationId) ?? [];
      lanes.push(lane);
      byApp.set(lane.applicationId, lanes);
    }
    this.#ready.clear();
    const jobs: InFlightJob[] = [];
    for (const [applicationId, lanes] of byApp) {
      let current: InFlightJob | null = null;
      for (const lane of lanes) {
        if (current === null || current.entries.length >= this.#maxBatch) {
          current = {
            jobId: `r-${this.#id}-${(this.#counter++).toString(36)}`,
            applicationId,
            entries: [],
            lanes: [],
            sentAt: Date.now(),
            added: false,
          };
          jobs.push(current);
        }
        const take = lane.pending.splice(0, this.#maxBatch - current.entries.length);
        current.entries.push(...take);
        current.lanes.push(lane);
        lane.inFlight = true;
      }
    }
    for (const job of jobs) {
      this.#inFlight.set(job.jobId, job);
    }
    if (jobs.length > 0) {
      void this.#add(jobs);
    }
  }

  async #add(jobs: InFlightJob[]): Promise<void> {
    const bulk = jobs.map((job) => ({
      name: 'record',
      data: {
        applicationId: job.applicationId,
        producerId: this.#id,
        events: job.entries.map((entry) => ({
          conversationId: entry.event.conversationId,
          key: entry.key,
          type: entry.event.type,
          from: entry.event.from ?? null,
          body: entry.event.body,
        })),
      },
      opts: {
        jobId: job.jobId,
        removeOnComplete: true,
        removeOnFail: 10_000,
        attempts: 50,
        backoff: { type: 'confab' },
      },
    }));
    for (let attempt = 0; ; attempt++) {
      const live = jobs.filter((job) => this.#inFlight.has(job.jobId));
      if (live.length === 0 || this.#closed) {
        return;
      }
      try {
        await this.#queue.addBulk(bulk.filter((entry) => this.#inFlight.has(entry.opts.jobId)));
        live.forEach((job) => (job.added = true));

        return;
      } catch (error) {
        // The add may or may not have reached Redis; retrying with the same job ids is safe.
        this.#log.warn({ err: (error as Error).message, attempt }, 'adding recording jobs failed; retrying');
        await new Promise((wake) => setTimeout(wake, Math.min(50 * 2 ** attempt, 1000)));
      }
    }
  }

  #onConfirmation(message: string): void {
    let parsed: { j?: unknown; r?: unknown };
    try {
      parsed = JSON.parse(message) as { j?: unknown; r?: unknown };
    } catch {
      return;
    }
    const job = typeof parsed.j === 'string' ? this.#inFlight.get(parsed.j) : undefined;
    if (job !== undefined && Array.isArray(parsed.r) && parsed.r.length === job.entries.length) {
      this.#settle(
        job,
        (parsed.r as ConfirmRow[]).map(([id, timestamp]) => ({
          id: Number(id),
          timestamp: String(timestamp),
        })),
      );
    }
  }

  #settle(job: InFlightJob, results: readonly { id: number; timestamp: string }[]): void {
    if (!this.#inFlight.delete(job.jobId)) {
      return;
    }
    const now = performance.now();
    job.entries.forEach((entry, index) => {
      const result = results[index]!;
      if (result.id === 0) {
        // The recording script refuses events of a conversation that no longer exists.
        entry.reject(new ConfabError('conversation:error:not-found'));

        return;
      }
      this.#metrics.emitToRecorded.observe((now - entry.startedAt) / 1000);
      entry.resolve({
        id: result.id,
        applicationId: entry.event.applicationId,
        conversationId: entry.event.conversationId,
        type: entry.event.type,
        from: entry.event.from ?? null,
        body: entry.event.body,
        timestamp: result.timestamp,
        deletedAt: null,
      });
    });
    this.#release(job);
  }

  #release(job: InFlightJob): void {
    for (const lane of job.lanes) {
      lane.inFlight = false;
      if (lane.pending.length > 0) {
        this.#ready.add(lane);
      } else {
        this.#lanes.delete(lane.name);
      }
    }
    if (this.#ready.size > 0) {
      this.#scheduleFlush();
    }
  }

  /** Looks up jobs whose confirmation is overdue, and fails those past the confirmation timeout. */
  async #poll(all: boolean): Promise<void> {
    if (this.#polling || this.#inFlight.size === 0) {
      return;
    }
    this.#polling = true;
    try {
      const now = Date.now();
      for (const job of [...this.#inFlight.values()]) {
        if (now - job.sentAt > this.#confirmTimeoutMs) {
          this.#inFlight.delete(job.jobId);
          const error = new EventNotConfirmedError(
            job.entries[0]?.event.conversationId ?? '',
            'confirmation timed out',
          );
          job.entries.forEach((entry) => entry.reject(error));
          this.#release(job);
        } else if (job.added && (all || now - job.sentAt > this.#confirmPollMs)) {
          const results = await this.#lookUp(job);
          if (results !== null) {
            this.#settle(job, results);
          }
        }
      }
    } catch (error) {
      this.#log.debug({ err: (error as Error).message }, 'looking up unconfirmed jobs failed');
    } finally {
      this.#polling = false;
    }
  }

  /** The results of a job read back from Redis, or null when some event is not recorded yet. */
  async #lookUp(job: InFlightJob): Promise<{ id: number; timestamp: string }[] | null> {
    const app = job.applicationId;
    const ids = await Promise.all(
      job.entries.map((entry) =>
        this.#client.hget(this.#keys.conversationEventKeys(app, entry.event.conversationId), entry.key),
      ),
    );
    if (ids.some((id) => id === null)) {
      return null;
    }
    const stored = await Promise.all(
      job.entries.map((entry, index) =>
        this.#client.hget(this.#keys.conversationEvents(app, entry.event.conversationId), ids[index]!),
      ),
    );

    return stored.map((json, index) => {
      const stamp = json === null ? undefined : (JSON.parse(json) as { timestamp?: unknown }).timestamp;
      const timestamp = typeof stamp === 'string' ? stamp : '';

      return { id: Number(ids[index]), timestamp };
    });
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`invalid event producer option [${name}:${value}]`);
  }

  return value;
}

/**
 * Builds the event port over BullMQ and connects it. Close it with `close()`.
 * @see {@link EventProducer} for the ordering and confirmation design.
 */
export async function createEventProducer(options: EventProducerOptions): Promise<EventProducer> {
  const producer = new EventProducer(options);
  await producer.start();

  return producer;
}
