import type { Application } from '../domain/index.js';
import type { KeyScheme } from '../store/index.js';
import type { Logger, MetricsRegistry } from '../log/index.js';
import type { SignedRequest } from './WebhookDelivery.js';

/** The BullMQ queue that carries events from producers to recording workers. */
export const RECORD_QUEUE = 'events';

/** The BullMQ queue of one application's webhook deliveries (one queue per application isolates them). */
export function webhookQueueName(applicationId: string): string {
  return `webhooks-${applicationId}`;
}

/** One event inside a recording job. */
export interface RecordJobEvent {
  readonly conversationId: string;
  /** The producer's idempotency key. */
  readonly key: string;
  readonly type: string;
  readonly from: string | null;
  readonly body: Record<string, unknown>;
}

/** The data of a recording job: a batch of events of one application, in emit order per conversation. */
export interface RecordJobData {
  readonly applicationId: string;
  /** The producer to confirm to, or null when nobody waits (a replay, a tool). */
  readonly producerId: string | null;
  readonly events: readonly RecordJobEvent[];
}

/**
 * The data of a webhook job: deliver what conversation `conversationId` has recorded beyond its cursor
 * (job name `deliver`), or the requests waiting in outbox stream `stream` (job name `outbox`).
 */
export type WebhookJobData = { readonly conversationId: string } | { readonly stream: string };

/** A request waiting in an outbox stream (the JSON of each entry of its list). */
export interface OutboxEntry extends SignedRequest {
  /** Unique within the application; names its attempts counter and its dead letter. */
  readonly id: string;
  /** When it was handed over (ISO-8601). */
  readonly queuedAt: string;
}

/** What both sides of the pipeline are built with. */
export interface PipelineBaseOptions {
  /** The `redis://` URL. */
  redisUrl: string;
  /** The key scheme (its prefix separates confab installations, or tests, on one Redis). */
  keys: KeyScheme;
  /** @defaultValue silentLogger */
  logger?: Logger;
  /** The registry to register the pipeline's metrics on; none when absent. */
  metrics?: MetricsRegistry;
}

/** Options of {@link createEventProducer}. */
export interface EventProducerOptions extends PipelineBaseOptions {
  /**
   * The most events one recording job carries. Events that wait while a conversation's previous job is
   * in flight are sent together, so batches grow with load.
   * @defaultValue 500
   */
  maxBatch?: number;
  /**
   * The most recording jobs of this producer in flight at once. While that many are unconfirmed, the
   * conversations that become ready wait and then go out together in one job per application, so that
   * under load many conversations share a job (fewer queue operations per event), while a quiet producer
   * still sends every emit at once.
   * @defaultValue 4
   */
  maxJobsInFlight?: number;
  /**
   * How long `emit` waits for its event to be confirmed before rejecting with an
   * {@link EventNotConfirmedError} (the event may still be recorded later).
   * @defaultValue 60000
   */
  confirmTimeoutMs?: number;
  /**
   * How often jobs that have waited this long are checked in Redis directly, in case their pub/sub
   * confirmation was lost (for instance across a Redis restart).
   * @defaultValue 1000
   */
  confirmPollMs?: number;
}

/** Retry settings of webhook deliveries. */
export interface WebhookRetryOptions {
  /** Attempts per event before it becomes a dead letter. @defaultValue 5 */
  attempts?: number;
  /**
   * The delay before the second attempt; each later delay doubles. The default spreads 5 attempts over
   * 40 + 80 + 160 + 320 s = 10 minutes.
   * @defaultValue 40000
   */
  backoffMs?: number;
  /** The timeout of one attempt (connect to end of response). @defaultValue 5000 */
  timeoutMs?: number;
  /** Conversations of one application delivered in parallel per worker process. @defaultValue 20 */
  concurrency?: number;
}

/** Options of {@link startEventWorker}. */
export interface EventWorkerOptions extends PipelineBaseOptions {
  /** The configured applications: their webhook URL and signing secret. */
  applications: readonly Application[];
  /** Recording jobs processed in parallel by this process. @defaultValue 16 */
  concurrency?: number;
  /**
   * The BullMQ job lock. A worker that dies (SIGKILL) holds its jobs until the lock lapses, after which
   * the stalled check hands them to another worker; short values make that redelivery quick.
   * @defaultValue 10000
   */
  lockDurationMs?: number;
  /** How often the stalled check runs. @defaultValue 5000 */
  stalledIntervalMs?: number;
  /** Webhook retry and isolation settings. */
  webhooks?: WebhookRetryOptions;
  /** The public base URL of the API (`https://host`), used for `_links.self.href` in webhooks; none when absent. */
  publicUrl?: string;
  /** Whether this process also delivers webhooks. @defaultValue true */
  deliverWebhooks?: boolean;
  /**
   * Called after a job's events are recorded and before the job completes, and awaited. Meant for
   * fault-injection tests, which widen the window in which a killed worker leaves a recorded but
   * uncompleted job behind; leave it unset otherwise.
   */
  afterRecord?: (jobId: string) => Promise<void>;
}
