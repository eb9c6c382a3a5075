import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createEventProducer,
  listDeadLetters,
  replayDeadLetters,
  startEventWorker,
  verifyWebhook,
  WebhookSignatureError,
  type EventProducer,
  type EventWorker,
} from '../../src/events/index.js';
import type { Application } from '../../src/domain/index.js';
import { createMetricsRegistry } from '../../src/log/index.js';
import { TEST_REDIS_URL, testRedis } from '../support/redis.js';
import { freePort, startReceiver, testApplication, waitFor, type Receiver } from './helpers.js';

/** The event ids a receiver got for one conversation, in arrival order, first arrivals only. */
function firstArrivals(receiver: Receiver, conversationId: string): number[] {
  const seen = new Set<number>();
  const order: number[] = [];
  for (const { json } of receiver.received) {
    const id = json.id as number;
    if (json.conversation_id === conversationId && !seen.has(id)) {
      seen.add(id);
      order.push(id);
    }
  }

  return order;
}

describe('webhook delivery', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let producer: EventProducer;
  let worker: EventWorker | null;
  const receivers: Receiver[] = [];

  beforeEach(async () => {
    ctx = await testRedis();
    producer = await createEventProducer({ redisUrl: TEST_REDIS_URL, keys: ctx.keys, confirmPollMs: 200 });
    worker = null;
  });

  afterEach(async () => {
    await producer.close();
    await worker?.close();
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
    await ctx.cleanup();
  });

  const start = async (
    applications: Application[],
    webhooks: { attempts?: number; backoffMs?: number; timeoutMs?: number },
    metrics = createMetricsRegistry(),
  ) =>
    (worker = await startEventWorker({
      redisUrl: TEST_REDIS_URL,
      keys: ctx.keys,
      applications,
      metrics,
      lockDurationMs: 5000,
      stalledIntervalMs: 1000,
      webhooks,
      publicUrl: 'https://confab.example',
    }));

  it('signs each delivery so that the receiver can verify it, and rejects a tampered body', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const app = testApplication(receiver.url);
    await start([app], { attempts: 3, backoffMs: 100, timeoutMs: 2000 });
    const event = await producer.emit({
      applicationId: app.id,
      conversationId: 'CON-s',
      type: 'message',
      from: 'MEM-x',
      body: { text: 'hi' },
    });
    await waitFor(() => receiver.received.length === 1, 5000, 'the delivery');
    const { body, authorization, json } = receiver.received[0]!;
    expect(json).toEqual({
      id: event.id,
      type: 'message',
      from: 'MEM-x',
      body: { text: 'hi' },
      timestamp: event.timestamp,
      conversation_id: 'CON-s',
      application_id: app.id,
      _links: { self: { href: 'https://confab.example/v1/conversations/CON-s/events/1' } },
    });
    expect(authorization).toMatch(/^Bearer /);
    const claims = await verifyWebhook(app.signatureSecret, authorization, body);
    expect(claims.application_id).toBe(app.id);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    await expect(
      verifyWebhook(app.signatureSecret, authorization, body.replace('hi', 'ho')),
    ).rejects.toBeInstanceOf(WebhookSignatureError);
    await expect(verifyWebhook('another secret', authorization, body)).rejects.toBeInstanceOf(
      WebhookSignatureError,
    );
  });

  it('delivers everything, in order per conversation, to a receiver that was down for a while', async () => {
    const port = await freePort();
    const app = testApplication(`http://127.0.0.1:${port}/events`);
    const metrics = createMetricsRegistry();
    await start([app], { attempts: 20, backoffMs: 100, timeoutMs: 2000 }, metrics);
    const conversations = ['CON-d0', 'CON-d1', 'CON-d2'];
    const emits = [];
    for (let n = 0; n < 15; n++) {
      for (const conversationId of conversations) {
        emits.push(producer.emit({ applicationId: app.id, conversationId, type: 'message', body: { n } }));
      }
    }
    await Promise.all(emits);
    // Let a few attempts fail against the closed port, then bring the receiver up there.
    await new Promise((wake) => setTimeout(wake, 400));
    const receiver = await startReceiver(() => 200, port);
    receivers.push(receiver);
    await waitFor(
      () => conversations.every((c) => firstArrivals(receiver, c).length === 15),
      15_000,
      'all deliveries',
    );
    for (const conversationId of conversations) {
      expect(firstArrivals(receiver, conversationId)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    }
    expect(await listDeadLetters({ redis: ctx.redis, keys: ctx.keys, applicationIds: [app.id] })).toEqual([]);
    // Attempts did fail while it was down.
    const failures = /confab_webhook_failures_total\{application="[^"]+"\} (\d+)/.exec(
      await metrics.metrics(),
    );
    expect(Number(failures?.[1])).toBeGreaterThan(0);
  });

  it('never lets a receiver that never answers hold up another application', async () => {
    let hung = 0;
    const silent = await startReceiver(() => {
      hung += 1;

      return null;
    });
    const healthy = await startReceiver();
    receivers.push(silent, healthy);
    const slowApp = testApplication(silent.url);
    const goodApp = testApplication(healthy.url);
    // Each attempt to the silent receiver hangs for the whole 10 s timeout.
    await start([slowApp, goodApp], { attempts: 3, backoffMs: 100, timeoutMs: 10_000 });
    const emits = [];
    for (let n = 0; n < 20; n++) {
      for (const c of ['CON-a', 'CON-b', 'CON-c']) {
        emits.push(
          producer.emit({ applicationId: slowApp.id, conversationId: c, type: 'message', body: { n } }),
        );
      }
    }
    await Promise.all(emits);
    await waitFor(() => hung >= 3, 5000, 'the silent receiver to be holding requests');
    const good = [];
    for (let n = 0; n < 40; n++) {
      good.push(
        producer.emit({
          applicationId: goodApp.id,
          conversationId: `CON-g${n % 4}`,
          type: 'message',
          body: { n },
        }),
      );
    }
    await Promise.all(good);
    await waitFor(() => healthy.received.length >= 40, 8000, 'the healthy application to get everything');
    // All of it arrived while the silent receiver still held its first attempts (none has timed out).
    expect(silent.received).toHaveLength(0);
    expect(hung).toBe(3);
    for (let c = 0; c < 4; c++) {
      expect(firstArrivals(healthy, `CON-g${c}`)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    }
  });

  it('keeps deliveries that exhaust their retries as dead letters, counts them, and replays them', async () => {
    let status = 500;
    const receiver = await startReceiver(() => status);
    receivers.push(receiver);
    const app = testApplication(receiver.url);
    const metrics = createMetricsRegistry();
    await start([app], { attempts: 3, backoffMs: 50, timeoutMs: 2000 }, metrics);
    await producer.emit({ applicationId: app.id, conversationId: 'CON-x', type: 'message', body: { n: 0 } });
    await producer.emit({ applicationId: app.id, conversationId: 'CON-x', type: 'message', body: { n: 1 } });
    await waitFor(
      async () =>
        (await listDeadLetters({ redis: ctx.redis, keys: ctx.keys, applicationIds: [app.id] })).length === 2,
      10_000,
      'two dead letters',
    );
    const letters = await listDeadLetters({ redis: ctx.redis, keys: ctx.keys, applicationIds: [app.id] });
    expect(
      letters.map((letter) =>
        letter.kind === 'event'
          ? [letter.conversationId, letter.eventId, letter.attempts, letter.lastError]
          : letter,
      ),
    ).toEqual([
      ['CON-x', 1, 3, 'HTTP 500'],
      ['CON-x', 2, 3, 'HTTP 500'],
    ]);
    expect(receiver.received).toHaveLength(6);
    const text = await metrics.metrics();
    expect(text).toContain(`confab_webhook_dead_letters_total{application="${app.id}"} 2`);
    expect(text).toContain(`confab_webhook_attempts_total{application="${app.id}"} 6`);
    // A replay that still fails keeps the letters; once the receiver is fixed, a replay delivers them.
    const stillFailing = await replayDeadLetters({ redis: ctx.redis, keys: ctx.keys, applications: [app] });
    expect(stillFailing.failed.map((letter) => letter.attempts)).toEqual([4, 4]);
    status = 200;
    const replay = await replayDeadLetters({ redis: ctx.redis, keys: ctx.keys, applications: [app] });
    expect(replay.delivered.map((letter) => (letter.kind === 'event' ? letter.eventId : letter.id))).toEqual([
      1, 2,
    ]);
    expect(receiver.received.slice(-2).map(({ json }) => json.id)).toEqual([1, 2]);
    expect(await listDeadLetters({ redis: ctx.redis, keys: ctx.keys, applicationIds: [app.id] })).toEqual([]);
  });
});
