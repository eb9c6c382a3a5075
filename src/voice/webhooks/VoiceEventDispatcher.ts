import type { WebhookOutbox } from '../../domain/index.js';
import { type Logger, silentLogger } from '../../log/index.js';
import type { VoiceCall, VoiceEventSink, VoiceWebhookTarget } from '../VoiceTypes.js';
import { callWebhook, webhookRequest, type WebhookSigner } from './fetchAnswer.js';

/** The application fields voice events need. */
export interface VoiceEventApplication {
  readonly id: string;
  readonly signatureSecret: string;
  readonly eventUrl: string | null;
  readonly eventMethod: 'GET' | 'POST';
}

/** Options of {@link VoiceEventDispatcher}. */
export interface VoiceEventDispatcherOptions {
  readonly applications: readonly VoiceEventApplication[];
  /**
   * Durable delivery (the events room's Redis outbox): events are stored there and sent by the event
   * workers, signed, retried and dead-lettered like conversation webhooks. Without it they are sent from
   * this process with the retries below, and a restart loses what was not delivered yet.
   */
  readonly outbox?: WebhookOutbox;
  /** Signs each request (the events room's `signWebhook`); in-process delivery only. */
  readonly sign?: WebhookSigner;
  /** Attempts per event before it is given up (logged). @defaultValue 5 */
  readonly attempts?: number;
  /** First retry delay, doubling after each failure. @defaultValue 1000 */
  readonly backoffMs?: number;
  /** Time allowed per attempt. @defaultValue 5000 */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * Sends voice events to the call's event URL (the Calls API's `event_url`, else the application's
 * `voice.event_url`), in order per call. With an outbox (as `confab start` runs) each event is stored in
 * Redis, in the call's order, and the event workers deliver it: signed like the conversation webhooks
 * (HS256 JWT binding the body's SHA-256), retried with doubling backoff, kept as a dead letter after the
 * last attempt, and not lost across a restart. Without one, this process delivers them itself (each waits
 * for the one before it) and gives an event up with an error log after its last attempt.
 */
export class VoiceEventDispatcher implements VoiceEventSink {
  readonly #apps = new Map<string, VoiceEventApplication>();
  readonly #chains = new Map<string, Promise<void>>();
  readonly #options: VoiceEventDispatcherOptions;
  readonly #log: Logger;
  #closed = false;

  /** @param options - see {@link VoiceEventDispatcherOptions} */
  constructor(options: VoiceEventDispatcherOptions) {
    this.#options = options;
    this.#log = (options.logger ?? silentLogger()).child({ module: 'voice.events' });
    for (const app of options.applications) {
      this.#apps.set(app.id, app);
    }
  }

  /** Where events of `call` go, or null when nowhere. */
  targetOf(call: VoiceCall): VoiceWebhookTarget | null {
    if (call.eventTarget !== null) {
      return call.eventTarget;
    }
    const app = this.#apps.get(call.applicationId);

    return app?.eventUrl == null ? null : { url: app.eventUrl, method: app.eventMethod };
  }

  send(call: VoiceCall, event: Readonly<Record<string, unknown>>): void {
    this.sendTo(call, this.targetOf(call), event);
  }

  /** Queues `event` for an explicit target (an action's `eventUrl`), in the call's order. */
  sendTo(call: VoiceCall, target: VoiceWebhookTarget | null, event: Readonly<Record<string, unknown>>): void {
    const app = this.#apps.get(call.applicationId);
    if (target === null || app === undefined || this.#closed) {
      return;
    }
    const key = call.uuid;
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const outbox = this.#options.outbox;
    const next = previous.then(() =>
      outbox === undefined
        ? this.#deliver(app, target, event, call.uuid)
        : this.#store(outbox, app, target, event, key),
    );
    this.#chains.set(key, next);
    void next.then(() => {
      if (this.#chains.get(key) === next) {
        this.#chains.delete(key);
      }
    });
  }

  /** Resolves when every event sent so far was delivered or given up (with an outbox: stored). */
  async flush(): Promise<void> {
    while (this.#chains.size > 0) {
      await Promise.all([...this.#chains.values()]);
    }
  }

  /** Stops retrying; what is queued is given up. Idempotent. */
  close(): void {
    this.#closed = true;
  }

  /** Hands one event to the outbox; a failure to store it (Redis away past its retries) is logged. */
  async #store(
    outbox: WebhookOutbox,
    app: VoiceEventApplication,
    target: VoiceWebhookTarget,
    event: Readonly<Record<string, unknown>>,
    uuid: string,
  ): Promise<void> {
    try {
      const request = webhookRequest(target.url, target.method, event);
      await outbox.enqueue({ applicationId: app.id, stream: uuid, method: target.method, ...request });
    } catch (error) {
      this.#log.error(
        { uuid, url: target.url, status: event.status, err: (error as Error).message },
        'voice event could not be queued; lost',
      );
    }
  }

  async #deliver(
    app: VoiceEventApplication,
    target: VoiceWebhookTarget,
    event: Readonly<Record<string, unknown>>,
    uuid: string,
  ): Promise<void> {
    const attempts = this.#options.attempts ?? 5;
    let delay = this.#options.backoffMs ?? 1000;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const outcome = await callWebhook(app, target.url, target.method, event, {
        sign: this.#options.sign,
        totalTimeoutMs: this.#options.timeoutMs ?? 5000,
        connectTimeoutMs: Math.min(3000, this.#options.timeoutMs ?? 5000),
      });
      if (outcome.ok && outcome.status >= 200 && outcome.status < 300) {
        return;
      }
      const error = outcome.ok ? `HTTP ${outcome.status}` : `${outcome.error} (${outcome.detail})`;
      const log = { uuid, url: target.url, status: event.status, attempt, err: error };
      if (attempt === attempts || this.#closed) {
        this.#log.error(log, 'voice event not delivered; given up');

        return;
      }
      this.#log.warn({ ...log, retryInMs: delay }, 'voice event attempt failed');
      await new Promise((wake) => setTimeout(wake, delay));
      delay *= 2;
    }
  }
}
