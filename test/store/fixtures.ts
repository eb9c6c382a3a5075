import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import { type ConversationEvent, type Page } from '../../src/domain/index.js';
import { type KeyScheme, type RedisClient } from '../../src/store/index.js';
import { testRedis } from '../support/redis.js';

/** What each store test gets: a client, a fresh key scheme and two application ids. */
export interface StoreContext {
  redis: RedisClient;
  keys: KeyScheme;
  app: string;
  otherApp: string;
}

/** Registers per-test Redis setup and cleanup, and hands back the live context. */
export function useStore(): StoreContext {
  const context = {} as StoreContext;
  let cleanup: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    const handle = await testRedis();
    context.redis = handle.redis;
    context.keys = handle.keys;
    context.app = randomUUID();
    context.otherApp = randomUUID();
    cleanup = handle.cleanup;
  });
  afterEach(async () => {
    await cleanup?.();
  });

  return context;
}

/** Writes events the way the event pipeline does: the `events` hash of JSON and `seq` as the last id. */
export async function writeEvents(
  context: StoreContext,
  conversationId: string,
  events: readonly { type: string; body?: Record<string, unknown>; from?: string | null }[],
): Promise<ConversationEvent[]> {
  const { redis, keys, app } = context;
  const seqKey = keys.conversationSeq(app, conversationId);
  const first = Number((await redis.get(seqKey)) ?? '0') + 1;
  const recorded = events.map((event, index): ConversationEvent => ({
    id: first + index,
    applicationId: app,
    conversationId,
    type: event.type,
    from: event.from ?? null,
    body: event.body ?? {},
    timestamp: new Date().toISOString(),
    deletedAt: null,
  }));
  if (recorded.length > 0) {
    await redis.hset(
      keys.conversationEvents(app, conversationId),
      Object.fromEntries(recorded.map((event) => [String(event.id), JSON.stringify(event)])),
    );
    await redis.set(seqKey, String(first + recorded.length - 1));
  }

  return recorded;
}

/** The pages of a list, read by following `next` from the first page and then `prev` back again. */
export interface Walk<T> {
  forward: Page<T>[];
  backward: Page<T>[];
}

/** Follows `next` cursors to the end, then `prev` cursors from the last page to the start. */
export async function walk<T>(read: (cursor?: string) => Promise<Page<T>>, limit = 50): Promise<Walk<T>> {
  const forward: Page<T>[] = [await read()];
  while (forward[forward.length - 1]!.next !== undefined) {
    forward.push(await read(forward[forward.length - 1]!.next));
    if (forward.length > limit) {
      throw new Error('too many pages going forward');
    }
  }
  const backward: Page<T>[] = [forward[forward.length - 1]!];
  while (backward[backward.length - 1]!.prev !== undefined) {
    backward.push(await read(backward[backward.length - 1]!.prev));
    if (backward.length > limit) {
      throw new Error('too many pages going backward');
    }
  }

  return { forward, backward };
}

/** The ids of every item of some pages, in page order. */
export function idsOf<T extends { id: string | number }>(pages: readonly Page<T>[]): (string | number)[] {
  return pages.flatMap((page) => page.items.map((item) => item.id));
}

/** Runs `count` calls at once and splits the outcomes. */
export async function race<T>(
  count: number,
  call: (index: number) => Promise<T>,
): Promise<{ won: T[]; lost: unknown[] }> {
  const outcomes = await Promise.allSettled(Array.from({ length: count }, (_, index) => call(index)));

  return {
    won: outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : [])),
    lost: outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : [])),
  };
}

/** Resolves after `ms` milliseconds (session expiry tests only). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Ids in list order: by creation time, ties broken by id byte order (as the store orders them). */
export function creationOrder(
  records: readonly { id: string; createdAt: string }[],
  order: 'asc' | 'desc',
): string[] {
  const sorted = [...records]
    .sort(
      (a, b) =>
        Date.parse(a.createdAt) - Date.parse(b.createdAt) ||
        Buffer.compare(Buffer.from(a.id), Buffer.from(b.id)),
    )
    .map((record) => record.id);

  return order === 'asc' ? sorted : sorted.reverse();
}

/** The keys matching a glob pattern, found with SCAN. */
export async function keysMatching(context: StoreContext, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await context.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');

  return found;
}
