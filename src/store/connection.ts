import { Redis, type RedisOptions } from 'ioredis';

/** A Redis client (ioredis). Other rooms receive one from the composition root; only store and events build them. */
export type RedisClient = Redis;

/** What a connection is for; it decides how the client behaves while Redis is away. */
export type RedisRole =
  /** Request/response traffic of repositories: commands wait (bounded) for a reconnect. */
  | 'command'
  /** BullMQ workers and blocking readers: retry forever, never fail a command on reconnect. */
  | 'blocking'
  /** Producers that should fail fast when Redis is down instead of queueing in memory. */
  | 'producer'
  /** Pub/sub subscribers. */
  | 'subscriber';

/** Options of {@link createRedis}. */
export interface ConnectionOptions {
  /** The `redis://` or `rediss://` URL. */
  url: string;
  /** What the connection is for. @defaultValue 'command' */
  role?: RedisRole;
  /** Connection name shown by `CLIENT LIST`. @defaultValue 'confab' */
  name?: string;
  /** Give up connecting at start-up (lazy connect) after this long. @defaultValue 5000 */
  connectTimeoutMs?: number;
}

/**
 * The one place Redis connections are made. The returned client connects lazily: call `connect()` (or
 * send a command) to open it.
 */
export function createRedis(options: ConnectionOptions): RedisClient {
  const role = options.role ?? 'command';
  const base: RedisOptions = {
    lazyConnect: true,
    connectionName: options.name ?? 'confab',
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // Reconnect with a capped backoff; the process stays up through a Redis restart.
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  };
  switch (role) {
    case 'blocking':
    case 'subscriber':
      return new Redis(options.url, { ...base, maxRetriesPerRequest: null, enableReadyCheck: true });
    case 'producer':
      return new Redis(options.url, { ...base, maxRetriesPerRequest: 3, enableOfflineQueue: false });
    case 'command':
      // Commands that concurrent requests issue in the same tick go out in one write (order is kept):
      // socket writes were the largest single cost of the API process under load.
      return new Redis(options.url, { ...base, maxRetriesPerRequest: 20, enableAutoPipelining: true });
  }
}

/** Tells whether a Redis server answers PING at `url` within `timeoutMs`. Never throws. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const reply = await client.ping();

    return reply === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
