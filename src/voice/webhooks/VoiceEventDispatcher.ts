import { type Logger, silentLogger } from '../../log/index.js';
import type { VoiceCall, VoiceEventSink, VoiceWebhookTarget } from '../VoiceTypes.js';
import { callWebhook, type WebhookSigner } from './fetchAnswer.js';

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
  /** Signs each request (the events room's `signWebhook`). */
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
 * Posts voice events to the call's event URL (the Calls API's `event_url`, else the application's
 * `voice.event_url`): signed like the conversation webhooks (HS256 JWT binding the body's SHA-256), in
 * order per call (each waits for the one before it), retried with doubling backoff, and given up with an
 * error log after the last attempt. The queue lives in the process: unlike conversation events, voice
 * events are not kept in Redis, so a restart loses what was not delivered yet.
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
    const next = previous.then(() => this.#deliver(app, target, event, call.uuid));
    this.#chains.set(key, next);
    void next.then(() => {
      if (this.#chains.get(key) === next) {
        this.#chains.delete(key);
      }
    });
  }

  async flush(): Promise<void> {
    while (this.#chains.size > 0) {
      await Promise.all([...this.#chains.values()]);
    }
  }

  /** Stops retrying; what is queued is given up. Idempotent. */
  close(): void {
    this.#closed = true;
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
