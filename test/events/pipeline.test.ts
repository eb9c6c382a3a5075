import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createEventProducer,
  EventNotConfirmedError,
  startEventWorker,
  subscribeRealtime,
  type EventProducer,
  type EventWorker,
} from '../../src/events/index.js';
import { createMetricsRegistry, type MetricsRegistry } from '../../src/log/index.js';
import type { ConversationEvent } from '../../src/domain/index.js';
import { TEST_REDIS_URL, testRedis } from '../support/redis.js';
import { RedisConversationRepository } from '../../src/store/index.js';
import { isConfabError } from '../../src/domain/index.js';
import {
  expectExactlyOnceInOrder,
  readConversation,
  spawnWorker,
  testApplication,
  waitFor,
  waitForDrain,
  type WorkerProcess,
} from './helpers.js';

describe('event pipeline (producer, recording worker, realtime)', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let producer: EventProducer;
  let worker: EventWorker | null;
  let metrics: MetricsRegistry;
  const app = testApplication();

  beforeEach(async () => {
    ctx = await testRedis();
    metrics = createMetricsRegistry();
    producer = await createEventProducer({
      redisUrl: TEST_REDIS_URL,
      keys: ctx.keys,
      metrics,
      confirmPollMs: 200,
    });
    worker = null;
  });

  afterEach(async () => {
    await producer.close();
    await worker?.close();
    await ctx.cleanup();
  });

  const startWorker = async (): Promise<EventWorker> =>
    (worker = await startEventWorker({
      redisUrl: TEST_REDIS_URL,
      keys: ctx.keys,
      applications: [app],
      metrics,
      lockDurationMs: 2000,
      stalledIntervalMs: 1000,
    }));

  it('resolves emit with id and timestamp once the event is stored and readable', async () => {
    await startWorker();
    const conversationId = 'CON-one';
    const first = await producer.emit({
      applicationId: app.id,
      conversationId,
      type: 'message',
      from: 'MEM-a',
      body: { n: 0, text: 'hi' },
    });
    expect(first.id).toBe(1);
    expect(first.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // Visible to a reader the moment emit resolved.
    const stored = await ctx.redis.hget(ctx.keys.conversationEvents(app.id, conversationId), '1');
    expect(JSON.parse(stored!)).toEqual({ ...first });
    const second = await producer.emit({
      applicationId: app.id,
      conversationId,
      type: 'custom:x',
      body: { n: 1 },
    });
    expect(second.id).toBe(2);
    expect(await ctx.redis.get(ctx.keys.conversationSeq(app.id, conversationId))).toBe('2');
    const text = await metrics.metrics();
    expect(text).toMatch(/confab_events_recorded_total\{type="message"\} 1/);
    expect(text).toMatch(/confab_events_accepted_total\{type="custom:x"\} 1/);
    expect(text).toMatch(/confab_events_emit_to_recorded_seconds_count 2/);
    expect(text).toMatch(/confab_events_queue_jobs\{state="wait"\} 0/);
  });

  it('refuses events of a conversation deleted meanwhile with conversation:error:not-found', async () => {
    await startWorker();
    const conversations = new RedisConversationRepository(ctx.redis, ctx.keys);
    const conversation = await conversations.create(app.id, { name: 'short-lived' });
    await producer.emit({
      applicationId: app.id,
      conversationId: conversation.id,
      type: 'custom:x',
      body: {},
    });
    await conversations.delete(app.id, conversation.id);

    const late = producer.emit({
      applicationId: app.id,
      conversationId: conversation.id,
      type: 'custom:x',
      body: {},
    });
    await expect(late).rejects.toSatisfy((error: unknown) =>
      isConfabError(error, 'conversation:error:not-found'),
    );
    expect(await ctx.redis.exists(ctx.keys.conversationSeq(app.id, conversation.id))).toBe(0);
  });

  it('reports queue depth and age while no worker runs, and an unconfirmed emit as an unknown outcome', async () => {
    const impatient = await createEventProducer({
      redisUrl: TEST_REDIS_URL,
      keys: ctx.keys,
      metrics,
      confirmTimeoutMs: 600,
      confirmPollMs: 100,
    });
    try {
      const pending = impatient.emit({
        applicationId: app.id,
        conversationId: 'CON-late',
        type: 'message',
        body: { n: 0 },
      });
      const outcome = pending.catch((error: unknown) => error);
      await waitFor(
        async () => (await metrics.metrics()).includes('confab_events_queue_jobs{state="wait"} 1'),
        2000,
        'a waiting job',
      );
      expect(await metrics.metrics()).toMatch(
        /confab_events_queue_oldest_waiting_seconds (0\.\d*[1-9]|[1-9])/,
      );
      const error = await outcome;
      expect(error).toBeInstanceOf(EventNotConfirmedError);
      expect((error as EventNotConfirmedError).code).toBe('ERR_EVENT_NOT_CONFIRMED');
      // The event was accepted by the queue after all: once a worker runs, it is recorded exactly once.
      await startWorker();
      await waitFor(
        async () => (await ctx.redis.get(ctx.keys.conversationSeq(app.id, 'CON-late'))) === '1',
        5000,
        'the late recording',
      );
      await expectExactlyOnceInOrder(ctx.redis, ctx.keys, app.id, 'CON-late', 1);
    } finally {
      await impatient.close();
    }
  });

  it('keeps the order of fire-and-forget emits of one source (ringing then answered)', async () => {
    await startWorker();
    const conversationId = 'CON-ff';
    const emits: Promise<ConversationEvent>[] = [];
    for (let n = 0; n < 300; n++) {
      emits.push(
        producer.emit({
          applicationId: app.id,
          conversationId,
          type: n % 2 === 0 ? 'rtc:ringing' : 'rtc:answered',
          body: { n },
        }),
      );
      if (n % 10 === 9) {
        // Not awaiting the emits, but letting the event loop turn, so that they leave in many jobs.
        await new Promise((wake) => setImmediate(wake));
      }
    }
    const recorded = await Promise.all(emits);
    expect(recorded.map((event) => event.id)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    await expectExactlyOnceInOrder(ctx.redis, ctx.keys, app.id, conversationId, 300);
  });

  it('applies member and leg effects atomically with the event', async () => {
    await startWorker();
    const conversationId = 'CON-fx';
    const memberKey = ctx.keys.member(app.id, 'MEM-1');
    const legKey = ctx.keys.leg(app.id, 'leg-1');
    await ctx.redis.set(
      memberKey,
      JSON.stringify({
        id: 'MEM-1',
        state: 'INVITED',
        timestamps: { invited: 'x' },
        channel: { type: 'app' },
        updatedAt: 'x',
      }),
    );
    await ctx.redis.set(
      legKey,
      JSON.stringify({
        id: 'leg-1',
        status: 'started',
        statusHistory: [],
        endedAt: null,
        from: { type: 'phone', number: '447700900000', tags: [], note: 'a[]b' },
      }),
    );
    const joined = await producer.emit({
      applicationId: app.id,
      conversationId,
      type: 'member:joined',
      from: 'MEM-1',
      body: { member_id: 'MEM-1' },
    });
    await producer.emit({
      applicationId: app.id,
      conversationId,
      type: 'leg:status:update',
      body: { leg_id: 'leg-1', status: 'ringing' },
    });
    const ended = await producer.emit({
      applicationId: app.id,
      conversationId,
      type: 'leg:status:update',
      body: { leg_id: 'leg-1', state: { status: 'completed', reason: 'busy' } },
    });
    const left = await producer.emit({
      applicationId: app.id,
      conversationId,
      type: 'member:left',
      body: { member_id: 'MEM-1', reason: { code: '1', text: 'bye' } },
    });
    const member = JSON.parse((await ctx.redis.get(memberKey))!);
    expect(member.state).toBe('LEFT');
    expect(member.timestamps).toEqual({ invited: 'x', joined: joined.timestamp, left: left.timestamp });
    expect(member.leftReason).toEqual({ code: '1', text: 'bye' });
    const leg = JSON.parse((await ctx.redis.get(legKey))!) as {
      status: string;
      statusHistory: { status: string }[];
      endedAt: string;
      from: unknown;
    };
    expect(leg.status).toBe('completed');
    expect(leg.statusHistory.map((step) => step.status)).toEqual(['ringing', 'completed']);
    expect(leg.statusHistory[1]).toEqual({ status: 'completed', date: ended.timestamp, reason: 'busy' });
    expect(leg.endedAt).toBe(ended.timestamp);
    expect(leg.from).toEqual({ type: 'phone', number: '447700900000', tags: [], note: 'a[]b' });
  });

  it('publishes every recorded event for realtime fan-out, in id order', async () => {
    await startWorker();
    const seen: ConversationEvent[] = [];
    const subscription = subscribeRealtime({
      redisUrl: TEST_REDIS_URL,
      keys: ctx.keys,
      onEvent: (event) => seen.push(event),
    });
    await subscription.ready;
    try {
      const emits = Array.from({ length: 20 }, (_, n) =>
        producer.emit({ applicationId: app.id, conversationId: 'CON-rt', type: 'message', body: { n } }),
      );
      const recorded = await Promise.all(emits);
      await waitFor(() => seen.length === 20, 5000, 'realtime events');
      expect(seen).toEqual(recorded);
    } finally {
      await subscription.close();
    }
  });

  it('keeps order and exactly-once across many conversations and several worker processes', async () => {
    const workers: WorkerProcess[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        workers.push(
          await spawnWorker({
            redisUrl: TEST_REDIS_URL,
            prefix: ctx.prefix,
            applications: [app],
            concurrency: 4,
          }),
        );
      }
      const conversations = Array.from({ length: 40 }, (_, i) => `CON-c${i}`);
      const perConversation = 50;
      // A reader that must never see a gap: whenever it sees id N, ids 1..N-1 are there too.
      let readerRunning = true;
      const gaps: string[] = [];
      const reader = (async () => {
        while (readerRunning) {
          for (const conversationId of conversations.slice(0, 5)) {
            const ids = (await ctx.redis.hkeys(ctx.keys.conversationEvents(app.id, conversationId)))
              .map(Number)
              .sort((a, b) => a - b);
            if (ids.some((id, index) => id !== index + 1)) {
              gaps.push(conversationId);
            }
          }
        }
      })();
      // A second producer emits to the same conversations as well, interleaved with the first.
      const other = await createEventProducer({ redisUrl: TEST_REDIS_URL, keys: ctx.keys });
      const emits: Promise<ConversationEvent>[] = [];
      const otherEmits: Promise<ConversationEvent>[] = [];
      for (let n = 0; n < perConversation; n++) {
        for (const conversationId of conversations) {
          emits.push(producer.emit({ applicationId: app.id, conversationId, type: 'message', body: { n } }));
          otherEmits.push(
            other.emit({
              applicationId: app.id,
              conversationId: `${conversationId}-b`,
              type: 'message',
              body: { n },
            }),
          );
        }
        if (n % 10 === 0) {
          await new Promise((wake) => setTimeout(wake, 5));
        }
      }
      await Promise.all([...emits, ...otherEmits]);
      readerRunning = false;
      await reader;
      await other.close();
      await waitForDrain(ctx.redis, ctx.keys);
      expect(gaps).toEqual([]);
      for (const conversationId of conversations) {
        await expectExactlyOnceInOrder(ctx.redis, ctx.keys, app.id, conversationId, perConversation);
        await expectExactlyOnceInOrder(ctx.redis, ctx.keys, app.id, `${conversationId}-b`, perConversation);
      }
      const events = await readConversation(ctx.redis, ctx.keys, app.id, conversations[0]!);
      expect(events.map((event) => event.body.n)).toEqual(
        Array.from({ length: perConversation }, (_, n) => n),
      );
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  });
});
