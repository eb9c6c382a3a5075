import type { Application } from '../domain/index.js';
import type { KeyScheme, RedisClient } from '../store/index.js';
import {
  deliverOnce,
  sendSigned,
  webhookBody,
  type DeliveryOutcome,
  type SignedRequest,
} from './WebhookDelivery.js';
import type { MetricsRegistry } from '../log/index.js';
import { EventMetrics } from './EventMetrics.js';

/** What every dead letter says. */
interface DeadLetterBase {
  /** Unique per application: `<conversation id>.<event id>`, or `<stream>.<request id>` for a request. */
  readonly id: string;
  readonly applicationId: string;
  /** The URL the attempts went to. */
  readonly url: string;
  readonly attempts: number;
  readonly lastError: string;
  /** When it was given up (ISO-8601). */
  readonly failedAt: string;
}

/** A conversation event whose webhook delivery exhausted its retries. */
export interface EventDeadLetter extends DeadLetterBase {
  readonly kind: 'event';
  readonly conversationId: string;
  readonly eventId: number;
}

/** A request of the webhook outbox (a voice event) that exhausted its retries; it keeps the request. */
export interface RequestDeadLetter extends DeadLetterBase {
  readonly kind: 'request';
  /** The outbox stream (a call's uuid). */
  readonly stream: string;
  readonly request: SignedRequest;
}

/** A webhook delivery that exhausted its retries. */
export type DeadLetter = EventDeadLetter | RequestDeadLetter;

/** Stores a dead letter (replacing an older one of the same event). */
export async function recordDeadLetter(
  redis: RedisClient,
  keys: KeyScheme,
  letter: DeadLetter,
): Promise<void> {
  await redis.hset(keys.webhookDeadLetters(letter.applicationId), letter.id, JSON.stringify(letter));
}

/** Options of {@link listDeadLetters}. */
export interface ListDeadLettersOptions {
  redis: RedisClient;
  keys: KeyScheme;
  /** The applications to list. */
  applicationIds: readonly string[];
  /** At most this many, oldest first. @defaultValue 1000 */
  limit?: number;
}

/** The dead letters of some applications, oldest first (`confab webhooks failed`). */
export async function listDeadLetters(options: ListDeadLettersOptions): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  for (const applicationId of options.applicationIds) {
    const all = await options.redis.hvals(options.keys.webhookDeadLetters(applicationId));
    // Letters stored before requests could become dead letters carry no kind: they are events.
    letters.push(...all.map((json) => ({ kind: 'event', ...(JSON.parse(json) as object) }) as DeadLetter));
  }
  letters.sort((a, b) => a.failedAt.localeCompare(b.failedAt) || orderInStream(a, b));

  return letters.slice(0, options.limit ?? 1000);
}

/** Options of {@link replayDeadLetters}. */
export interface ReplayDeadLettersOptions {
  redis: RedisClient;
  keys: KeyScheme;
  /** The configured applications; letters of others are left alone. */
  applications: readonly Application[];
  /** Only these dead letters (ids as listed); all of the given applications when absent. */
  ids?: readonly string[];
  /** Timeout of each attempt. @defaultValue 5000 */
  timeoutMs?: number;
  /** The public API base URL, for `_links.self.href`. */
  publicUrl?: string;
  /** The registry on which replay attempts are counted with the webhook metrics; none when absent. */
  metrics?: MetricsRegistry;
}

/** The outcome of a replay. */
export interface ReplayResult {
  /** Delivered (2xx) and removed from the dead letters. */
  readonly delivered: DeadLetter[];
  /** Still failing: kept, with one more attempt and the new error. */
  readonly failed: DeadLetter[];
}

/**
 * Delivers dead letters again, once each, in order per conversation or stream (`confab webhooks replay`).
 * A success removes the letter; a failure keeps it with its attempt count raised. An event goes to the
 * application's current URL, a request to its own URL, each with a fresh signature. A letter whose event
 * no longer exists is dropped.
 */
export async function replayDeadLetters(options: ReplayDeadLettersOptions): Promise<ReplayResult> {
  const wanted = options.ids === undefined ? null : new Set(options.ids);
  const metrics = options.metrics === undefined ? undefined : new EventMetrics(options.metrics);
  const result: ReplayResult = { delivered: [], failed: [] };
  for (const application of options.applications) {
    const letters = (
      await listDeadLetters({ ...options, applicationIds: [application.id], limit: Number.MAX_SAFE_INTEGER })
    )
      .filter((letter) => wanted === null || wanted.has(letter.id))
      .sort((a, b) => streamOf(a).localeCompare(streamOf(b)) || orderInStream(a, b));
    const deadKey = options.keys.webhookDeadLetters(application.id);
    const timeoutMs = options.timeoutMs ?? 5000;
    for (const letter of letters) {
      let outcome: DeliveryOutcome;
      if (letter.kind === 'request') {
        metrics?.webhookAttempts.inc({ application: application.id });
        outcome = await sendSigned(application, letter.request, timeoutMs);
      } else {
        const stored = await options.redis.hget(
          options.keys.conversationEvents(application.id, letter.conversationId),
          String(letter.eventId),
        );
        if (stored === null) {
          await options.redis.hdel(deadKey, letter.id);
          continue;
        }
        metrics?.webhookAttempts.inc({ application: application.id });
        outcome = await deliverOnce(application, webhookBody(stored, options.publicUrl), timeoutMs);
      }
      if (outcome.ok) {
        metrics?.webhookSuccesses.inc({ application: application.id });
        await options.redis.hdel(deadKey, letter.id);
        result.delivered.push(letter);
      } else {
        metrics?.webhookFailures.inc({ application: application.id });
        const again: DeadLetter = {
          ...letter,
          attempts: letter.attempts + 1,
          lastError: outcome.error,
          url: letter.kind === 'request' ? letter.url : (application.rtcEventUrl ?? letter.url),
        };
        await recordDeadLetter(options.redis, options.keys, again);
        result.failed.push(again);
      }
    }
  }

  return result;
}

/** The conversation or outbox stream a letter belongs to. */
function streamOf(letter: DeadLetter): string {
  return letter.kind === 'event' ? letter.conversationId : letter.stream;
}

/** Event letters by event id; request letters keep the order of their failure times. */
function orderInStream(a: DeadLetter, b: DeadLetter): number {
  if (a.kind === 'event' && b.kind === 'event') {
    return a.eventId - b.eventId;
  }

  return a.failedAt.localeCompare(b.failedAt);
}
