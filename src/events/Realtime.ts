import type { ConversationEvent } from '../domain/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { createRedis, type KeyScheme } from '../store/index.js';

/** Options of {@link subscribeRealtime}. */
export interface RealtimeOptions {
  redisUrl: string;
  keys: KeyScheme;
  /** The applications to follow; every application when absent. */
  applicationIds?: readonly string[];
  /** Called with each recorded event, in the order Redis published them (id order per conversation). */
  onEvent: (event: ConversationEvent) => void;
  logger?: Logger;
}

/** A live realtime subscription. */
export interface RealtimeSubscription {
  /** Resolves once the subscription is in place; events recorded after that are seen. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * Follows the events the recording script publishes (Redis pub/sub, one channel per application). This is
 * the feed of the App-channel socket: at most once and live only; a client that reconnects catches up by
 * listing events after the last id it saw, which the atomic recording makes gap-free.
 */
export function subscribeRealtime(options: RealtimeOptions): RealtimeSubscription {
  const log = (options.logger ?? silentLogger()).child({ component: 'realtime' });
  const client = createRedis({ url: options.redisUrl, role: 'subscriber', name: 'confab-realtime' });
  client.on('error', (error: Error) => log.warn({ err: error.message }, 'realtime connection error'));
  const deliver = (message: string): void => {
    try {
      options.onEvent(JSON.parse(message) as ConversationEvent);
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'realtime listener failed');
    }
  };
  client.on('message', (_channel: string, message: string) => deliver(message));
  client.on('pmessage', (_pattern: string, _channel: string, message: string) => deliver(message));
  const ready = (async () => {
    await client.connect();
    if (options.applicationIds === undefined) {
      // Braces are literal in a glob, so the pattern matches each application's tagged channel.
      await client.psubscribe(options.keys.realtimeChannel('*'));
    } else if (options.applicationIds.length > 0) {
      await client.subscribe(...options.applicationIds.map((id) => options.keys.realtimeChannel(id)));
    }
  })();

  return {
    ready,
    close: async () => {
      await ready.catch(() => undefined);
      client.disconnect();
    },
  };
}
