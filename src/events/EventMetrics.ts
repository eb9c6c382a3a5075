import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MetricsRegistry } from '../log/index.js';

/**
 * The pipeline's Prometheus metrics. A producer and a worker in one process (`confab start`) share one
 * registry, so each metric is created once and found again by name.
 */
export class EventMetrics {
  /** Events handed to `emit`, by type. */
  readonly accepted: Counter<'type'>;
  /** Events newly written by the recording script, by type. */
  readonly recorded: Counter<'type'>;
  /** Seconds from `emit` to its confirmation, seen by the producer. */
  readonly emitToRecorded: Histogram;
  /** Seconds from a job's enqueueing to its recording, seen by the worker. */
  readonly enqueueToRecorded: Histogram;
  /** Webhook delivery attempts, successes, failed attempts and dead letters, by application. */
  readonly webhookAttempts: Counter<'application'>;
  readonly webhookSuccesses: Counter<'application'>;
  readonly webhookFailures: Counter<'application'>;
  readonly webhookDeadLetters: Counter<'application'>;

  /** @param registry - where to register; metrics go nowhere when absent. */
  constructor(registry?: MetricsRegistry) {
    const registers: Registry[] = registry === undefined ? [] : [registry];
    const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
      (registry?.getSingleMetric(name) as Counter<L> | undefined) ??
      new Counter({ name, help, labelNames, registers });
    const histogram = (name: string, help: string): Histogram =>
      (registry?.getSingleMetric(name) as Histogram | undefined) ??
      new Histogram({
        name,
        help,
        registers,
        buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      });
    this.accepted = counter('confab_events_accepted_total', 'Events handed to the event pipeline.', ['type']);
    this.recorded = counter('confab_events_recorded_total', 'Events recorded into their conversation.', [
      'type',
    ]);
    this.emitToRecorded = histogram(
      'confab_events_emit_to_recorded_seconds',
      'From emit to confirmed recording.',
    );
    this.enqueueToRecorded = histogram(
      'confab_events_enqueue_to_recorded_seconds',
      'From a recording job being queued to its events being recorded.',
    );
    this.webhookAttempts = counter('confab_webhook_attempts_total', 'Webhook delivery attempts.', [
      'application',
    ]);
    this.webhookSuccesses = counter('confab_webhook_successes_total', 'Webhook deliveries answered 2xx.', [
      'application',
    ]);
    this.webhookFailures = counter('confab_webhook_failures_total', 'Webhook attempts that failed.', [
      'application',
    ]);
    this.webhookDeadLetters = counter(
      'confab_webhook_dead_letters_total',
      'Webhook deliveries that exhausted their retries.',
      ['application'],
    );
  }

  /**
   * Registers the queue gauges (depth by state, age of the oldest waiting job), read when scraped.
   * Only the first caller on a registry installs them.
   */
  static registerQueueGauges(
    registry: MetricsRegistry | undefined,
    read: () => Promise<{ counts: Record<string, number>; oldestWaitingAgeSeconds: number }>,
  ): void {
    if (registry === undefined || registry.getSingleMetric('confab_events_queue_jobs') !== undefined) {
      return;
    }
    let last: Promise<{ counts: Record<string, number>; oldestWaitingAgeSeconds: number }> | null = null;
    // Both gauges are filled from one read per scrape.
    const snapshot = (): Promise<{ counts: Record<string, number>; oldestWaitingAgeSeconds: number }> => {
      // A failed read (Redis away, the queue closed) leaves the gauges as they were instead of failing the scrape.
      last ??= read()
        .catch(() => ({ counts: {}, oldestWaitingAgeSeconds: 0 }))
        .finally(() => {
          setTimeout(() => {
            last = null;
          }, 100).unref();
        });

      return last;
    };
    new Gauge({
      name: 'confab_events_queue_jobs',
      help: 'Recording jobs in the queue, by state.',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const { counts } = await snapshot();
        for (const [state, count] of Object.entries(counts)) {
          this.set({ state }, count);
        }
      },
    });
    new Gauge({
      name: 'confab_events_queue_oldest_waiting_seconds',
      help: 'Age of the oldest recording job still waiting for a worker.',
      registers: [registry],
      async collect() {
        this.set((await snapshot()).oldestWaitingAgeSeconds);
      },
    });
  }
}

/** Reads the depth (by state) and the age of the oldest waiting job of a queue. */
export async function readQueueSnapshot(
  queue: Queue,
): Promise<{ counts: Record<string, number>; oldestWaitingAgeSeconds: number }> {
  const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'failed');
  const [oldest] = await queue.getJobs(['wait'], 0, 0, true);
  const age = oldest === undefined ? 0 : Math.max(Date.now() - oldest.timestamp, 0) / 1000;

  return { counts, oldestWaitingAgeSeconds: age };
}
