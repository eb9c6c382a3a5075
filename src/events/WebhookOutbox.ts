import { randomUUID } from 'node:crypto';
import type { OutboundWebhook, WebhookOutbox } from '../domain/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { createRedis, type KeyScheme, type RedisClient } from '../store/index.js';
import type { OutboxEntry } from './EventPipelineTypes.js';
import { addOutboxJobs, WebhookQueues } from './WebhookQueues.js';

/** Options of {@link createWebhookOutbox}. */
export interface WebhookOutboxOptions {
  readonly redisUrl: string;
  readonly keys: KeyScheme;
  readonly logger?: Logger;
}

/**
 * The webhook outbox over Redis: a request is appended to its stream's list and an `outbox` job is added
 * to its application's webhook queue; the delivery workers ({@link WebhookDispatcher}, in any process that
 * runs the event worker) send it, signed, retried and dead-lettered like conversation webhooks. Requests
 * handed over one after another for one stream are stored in that order (one connection, commands in
 * order), so they are delivered in that order.
 */
export class RedisWebhookOutbox implements WebhookOutbox {
  readonly #client: RedisClient;
  readonly #keys: KeyScheme;
  readonly #queues: WebhookQueues;
  #closed = false;

  /** @private Use {@link createWebhookOutbox}. */
  constructor(client: RedisClient, keys: KeyScheme, logger: Logger) {
    this.#client = client;
    this.#keys = keys;
    this.#queues = new WebhookQueues(client, keys, logger);
  }

  async enqueue(webhook: OutboundWebhook): Promise<void> {
    if (this.#closed) {
      throw new Error('the webhook outbox is closed');
    }
    const entry: OutboxEntry = {
      id: randomUUID(),
      method: webhook.method,
      url: webhook.url,
      ...(webhook.body === undefined ? {} : { body: webhook.body }),
      queuedAt: new Date().toISOString(),
    };
    // The request and its stream's place in the set of streams with requests, together.
    const results = await this.#client
      .multi()
      .rpush(this.#keys.webhookOutbox(webhook.applicationId, webhook.stream), JSON.stringify(entry))
      .sadd(this.#keys.webhookOutboxStreams(webhook.applicationId), webhook.stream)
      .exec();
    const failure = results?.find(([error]) => error !== null)?.[0];
    if (results === null || failure != null) {
      throw new Error(`the request was not stored: ${failure?.message ?? 'transaction aborted'}`);
    }
    await addOutboxJobs(this.#queues.get(webhook.applicationId), [webhook.stream]);
  }

  /** Closes the queues and the connection; later enqueues reject. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await this.#queues.close();
    await this.#client.quit().catch(() => undefined);
  }
}

/**
 * Opens the webhook outbox on its own connection, which waits through a Redis restart rather than losing
 * a request. Close it with `close()`.
 */
export async function createWebhookOutbox(options: WebhookOutboxOptions): Promise<RedisWebhookOutbox> {
  const log = (options.logger ?? silentLogger()).child({ component: 'webhook-outbox' });
  const client = createRedis({ url: options.redisUrl, role: 'blocking', name: 'confab-outbox' });
  client.on('error', (error: Error) => log.warn({ err: error.message }, 'outbox connection error'));
  await client.connect();

  return new RedisWebhookOutbox(client, options.keys, log);
}
