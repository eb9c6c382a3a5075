import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Application } from '../../src/domain/index.js';
import {
  createWebhookOutbox,
  listDeadLetters,
  replayDeadLetters,
  startEventWorker,
  verifyWebhook,
  type EventWorker,
  type RedisWebhookOutbox,
} from '../../src/events/index.js';
import { createMetricsRegistry } from '../../src/log/index.js';
import { TEST_REDIS_URL, testRedis } from '../support/redis.js';
import { startTestApp, type Received, type TestApp } from '../voice/support/httpApp.js';
import { testApplication, waitFor } from './helpers.js';

describe('webhook outbox (durable voice events)', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let app: Application;
  let receiver: TestApp;
  let outbox: RedisWebhookOutbox | null;
  let worker: EventWorker | null;

  beforeEach(async () => {
    ctx = await testRedis();
    app = testApplication();
    receiver = await startTestApp();
    outbox = null;
    worker = null;
  });

  afterEach(async () => {
    await outbox?.close();
    await worker?.close();
    await receiver.close();
    await ctx.cleanup();
  });

  const openOutbox = async (): Promise<RedisWebhookOutbox> =>
    (outbox = await createWebhookOutbox({ redisUrl: TEST_REDIS_URL, keys: ctx.keys }));

  const startWorker = async (
    webhooks: { attempts: number; backoffMs: number },
    metrics = createMetricsRegistry(),
  ) =>
    (worker = await startEventWorker({
      redisUrl: TEST_REDIS_URL,
      keys: ctx.keys,
      applications: [app],
      metrics,
      lockDurationMs: 5000,
      stalledIntervalMs: 1000,
      webhooks: { ...webhooks, timeoutMs: 2000 },
    }));

  const post = (stream: string, body: Record<string, unknown>) => ({
    applicationId: app.id,
    stream,
    method: 'POST' as const,
    url: `${receiver.url}/event`,
    body: JSON.stringify(body),
  });

  /** The `status` of each request to /event of one call, in arrival order. */
  const statusesOf = (uuid: string): unknown[] =>
    receiver
      .at('/event')
      .map((r) => r.body ?? r.query)
      .filter((body) => body.uuid === uuid)
      .map((body) => body.status);

  it('delivers the requests of a call in order, signed, retrying a failed one before the next', async () => {
    let failures = 2;
    receiver.route('/event', (req: Received, res: ServerResponse) => {
      const status = req.body?.status ?? req.query.status;
      if (status === 'ringing' && failures > 0) {
        failures--;
        res.writeHead(503).end();
      } else {
        res.writeHead(200).end();
      }
    });
    await startWorker({ attempts: 5, backoffMs: 50 });
    const out = await openOutbox();
    for (const status of ['started', 'ringing', 'answered']) {
      await out.enqueue(post('CALL-1', { uuid: 'CALL-1', status }));
    }
    // An event URL asked for GET: the event travels in the query string, and that is what is signed.
    const query = new URL(`${receiver.url}/event`);
    query.searchParams.set('uuid', 'CALL-1');
    query.searchParams.set('status', 'completed');
    await out.enqueue({ applicationId: app.id, stream: 'CALL-1', method: 'GET', url: query.toString() });

    await waitFor(() => statusesOf('CALL-1').includes('completed'), 10_000, 'the last event');
    expect(statusesOf('CALL-1')).toEqual([
      'started',
      'ringing',
      'ringing',
      'ringing',
      'answered',
      'completed',
    ]);
    for (const request of receiver.at('/event')) {
      const signed = request.method === 'GET' ? new URL(query).search : request.raw;
      const claims = await verifyWebhook(app.signatureSecret, request.headers.authorization, signed);
      expect(claims.application_id).toBe(app.id);
    }
    expect(receiver.at('/event').at(-1)?.method).toBe('GET');
    // Delivered requests leave nothing behind.
    expect(await ctx.redis.exists(ctx.keys.webhookOutbox(app.id, 'CALL-1'))).toBe(0);
    expect(await ctx.redis.exists(ctx.keys.webhookOutboxStreams(app.id))).toBe(0);
    expect(await ctx.redis.hlen(ctx.keys.webhookAttempts(app.id))).toBe(0);
  });

  it('keeps what was handed over while no worker ran, and delivers it, in order, once one starts', async () => {
    const out = await openOutbox();
    for (let n = 0; n < 5; n++) {
      for (const uuid of ['CALL-a', 'CALL-b']) {
        await out.enqueue(post(uuid, { uuid, status: `s${n}` }));
      }
    }
    // The process that handed the events over goes away before any is delivered.
    await out.close();
    outbox = null;
    expect(receiver.received).toHaveLength(0);

    await startWorker({ attempts: 3, backoffMs: 50 });
    await waitFor(() => receiver.received.length === 10, 10_000, 'ten deliveries');
    for (const uuid of ['CALL-a', 'CALL-b']) {
      expect(statusesOf(uuid)).toEqual(['s0', 's1', 's2', 's3', 's4']);
    }
  });

  it('delivers requests whose job was lost, found by the sweep when a worker starts', async () => {
    // What a process that died between storing a request and adding its job leaves behind.
    await ctx.redis.sadd(ctx.keys.webhookOutboxStreams(app.id), 'CALL-lost');
    for (const status of ['started', 'completed']) {
      await ctx.redis.rpush(
        ctx.keys.webhookOutbox(app.id, 'CALL-lost'),
        JSON.stringify({
          id: `req-${status}`,
          method: 'POST',
          url: `${receiver.url}/event`,
          body: JSON.stringify({ uuid: 'CALL-lost', status }),
          queuedAt: new Date().toISOString(),
        }),
      );
    }
    await startWorker({ attempts: 3, backoffMs: 50 });
    await waitFor(() => statusesOf('CALL-lost').length === 2, 10_000, 'the swept requests');
    expect(statusesOf('CALL-lost')).toEqual(['started', 'completed']);
    // Once its list is empty the stream leaves the set the sweep reads.
    await waitFor(
      async () => (await ctx.redis.scard(ctx.keys.webhookOutboxStreams(app.id))) === 0,
      5000,
      'the stream set to empty',
    );
  });

  it('keeps a request that exhausts its attempts as a dead letter, goes on, and replays it later', async () => {
    let broken = true;
    receiver.route('/event', (req: Received, res: ServerResponse) => {
      res.writeHead(broken && req.body?.status === 'ringing' ? 500 : 204).end();
    });
    const metrics = createMetricsRegistry();
    await startWorker({ attempts: 2, backoffMs: 50 }, metrics);
    const out = await openOutbox();
    for (const status of ['ringing', 'answered']) {
      await out.enqueue(post('CALL-d', { uuid: 'CALL-d', status }));
    }
    await waitFor(() => statusesOf('CALL-d').includes('answered'), 10_000, 'the event after the dead one');
    expect(statusesOf('CALL-d')).toEqual(['ringing', 'ringing', 'answered']);

    const letters = await listDeadLetters({ redis: ctx.redis, keys: ctx.keys, applicationIds: [app.id] });
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect(letter).toMatchObject({
      kind: 'request',
      applicationId: app.id,
      stream: 'CALL-d',
      url: `${receiver.url}/event`,
      attempts: 2,
      lastError: 'HTTP 500',
      request: { method: 'POST', url: `${receiver.url}/event` },
    });
    expect(letter.id).toMatch(/^CALL-d\./);
    expect(await metrics.metrics()).toContain(`confab_webhook_dead_letters_total{application="${app.id}"} 1`);

    // Once the receiver is mended, a replay sends the same request again, freshly signed, and drops it.
    broken = false;
    const replay = await replayDeadLetters({ redis: ctx.redis, keys: ctx.keys, applications: [app] });
    expect(replay.delivered.map((l) => l.id)).toEqual([letter.id]);
    const last = receiver.at('/event').at(-1)!;
    expect(last.body).toEqual({ uuid: 'CALL-d', status: 'ringing' });
    await expect(
      verifyWebhook(app.signatureSecret, last.headers.authorization, last.raw),
    ).resolves.toBeTruthy();
    expect(await listDeadLetters({ redis: ctx.redis, keys: ctx.keys, applicationIds: [app.id] })).toEqual([]);
  });

  it('holds back only the call whose event is failing, not the others', async () => {
    receiver.route('/event', (req: Received, res: ServerResponse) => {
      res.writeHead(req.body?.uuid === 'CALL-stuck' ? 503 : 200).end();
    });
    await startWorker({ attempts: 5, backoffMs: 60_000 });
    const out = await openOutbox();
    await out.enqueue(post('CALL-stuck', { uuid: 'CALL-stuck', status: 'started' }));
    await out.enqueue(post('CALL-stuck', { uuid: 'CALL-stuck', status: 'ringing' }));
    await out.enqueue(post('CALL-ok', { uuid: 'CALL-ok', status: 'started' }));
    await waitFor(() => statusesOf('CALL-ok').length === 1, 10_000, 'the other call');
    expect(statusesOf('CALL-stuck')).toEqual(['started']);
    // The stuck call's events wait in Redis for their next attempt.
    expect(await ctx.redis.llen(ctx.keys.webhookOutbox(app.id, 'CALL-stuck'))).toBe(2);
  });
});
