import type { ConversationEvent, RealtimeFeed, RealtimeListener } from '../domain/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { createRedis, type KeyScheme, type RedisClient } from '../store/index.js';

/** Options of {@link createRealtimeFeed}. */
export interface RealtimeFeedOptions {
  redisUrl: string;
  keys: KeyScheme;
  logger?: Logger;
  /**
   * The connection name shown by `CLIENT LIST`.
   * @defaultValue 'confab-realtime-feed'
   */
  connectionName?: string;
}

/**
 * The realtime feed of one process over Redis pub/sub: ONE subscriber connection shared by every socket of
 * the process, subscribed to an application's channel the first time someone follows that application.
 *
 * It plays the role of {@link subscribeRealtime} for many listeners at once: that function fixes its
 * applications up front and opens a connection per call, whereas sockets come and go per application.
 * A channel stays subscribed once followed (applications are few and configured), which keeps subscribe
 * and unsubscribe free of races. After the connection comes back from a drop, listeners are told to
 * resync, since messages published meanwhile are lost.
 */
class RedisRealtimeFeed implements RealtimeFeed {
  readonly #client: RedisClient;
  readonly #keys: KeyScheme;
  readonly #log: Logger;
  readonly #listeners = new Map<string, Set<RealtimeListener>>();
  readonly #channels = new Map<string, string>();
  readonly #subscribed = new Map<string, Promise<void>>();
  #connected: Promise<void> | null = null;
  #readyCount = 0;
  #closed = false;

  constructor(options: RealtimeFeedOptions) {
    this.#keys = options.keys;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'realtime-feed' });
    this.#client = createRedis({
      url: options.redisUrl,
      role: 'subscriber',
      name: options.connectionName ?? 'confab-realtime-feed',
    });
    this.#client.on('error', (error: Error) =>
      this.#log.warn({ err: error.message }, 'realtime feed connection error'),
    );
    this.#client.on('message', (channel: string, message: string) => this.#deliver(channel, message));
    this.#client.on('ready', () => {
      this.#readyCount += 1;
      if (this.#readyCount > 1 && !this.#closed) {
        // The connection came back: anything published while it was away is lost. ioredis resubscribes by
        // itself, but without telling when that is done; subscribing again (a no-op for Redis) gives a reply
        // to wait for, after which every new event is seen and a catch-up by listeners leaves no gap.
        const channels = [...this.#channels.keys()];
        const resubscribed = channels.length === 0 ? Promise.resolve(0) : this.#client.subscribe(...channels);
        resubscribed.then(
          () => this.#resync(),
          (error: unknown) =>
            this.#log.warn({ err: (error as Error).message }, 'realtime feed could not resubscribe'),
        );
      }
    });
  }

  async subscribe(applicationId: string, listener: RealtimeListener): Promise<() => void> {
    if (this.#closed) {
      throw new Error('realtime feed closed');
    }
    this.#connected ??= this.#client.connect();
    await this.#connected;
    let listeners = this.#listeners.get(applicationId);
    if (listeners === undefined) {
      listeners = new Set();
      this.#listeners.set(applicationId, listeners);
    }
    listeners.add(listener);
    let subscribed = this.#subscribed.get(applicationId);
    if (subscribed === undefined) {
      const channel = this.#keys.realtimeChannel(applicationId);
      this.#channels.set(channel, applicationId);
      subscribed = this.#client.subscribe(channel).then(() => undefined);
      this.#subscribed.set(applicationId, subscribed);
    }
    await subscribed;
    const set = listeners;

    return () => {
      set.delete(listener);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#listeners.clear();
    await this.#connected?.catch(() => undefined);
    this.#client.disconnect();
  }

  #deliver(channel: string, message: string): void {
    const applicationId = this.#channels.get(channel);
    const listeners = applicationId === undefined ? undefined : this.#listeners.get(applicationId);
    if (listeners === undefined || listeners.size === 0) {
      return;
    }
    let event: ConversationEvent;
    try {
      event = JSON.parse(message) as ConversationEvent;
    } catch (error) {
      this.#log.warn({ err: (error as Error).message, channel }, 'realtime message is not JSON');
      return;
    }
    for (const listener of listeners) {
      try {
        listener.onEvent(event);
      } catch (error) {
        this.#log.warn({ err: (error as Error).message }, 'realtime listener failed');
      }
    }
  }

  #resync(): void {
    for (const listeners of this.#listeners.values()) {
      for (const listener of listeners) {
        try {
          listener.onResync?.();
        } catch (error) {
          this.#log.warn({ err: (error as Error).message }, 'realtime listener failed to resync');
        }
      }
    }
  }
}

/**
 * Builds the process's realtime feed (the App channel's source of live events). The Redis connection
 * opens on the first subscription; `close()` releases it.
 */
export function createRealtimeFeed(options: RealtimeFeedOptions): RealtimeFeed {
  return new RedisRealtimeFeed(options);
}
