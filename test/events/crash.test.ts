import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Queue, Worker } from 'bullmq';
import { createEventProducer, effectOf, RECORD_QUEUE, type EventProducer } from '../../src/events/index.js';
import { createRedis, EventRecorder } from '../../src/store/index.js';
import type { ConversationEvent } from '../../src/domain/index.js';
import { TEST_REDIS_URL, testRedis } from '../support/redis.js';
import {
  expectExactlyOnceInOrder,
  spawnWorker,
  testApplication,
  waitFor,
  waitForDrain,
  type WorkerProcess,
} from './helpers.js';

describe('a recording worker killed with SIGKILL', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let producer: EventProducer;
  const workers: WorkerProcess[] = [];
  const app = testApplication();

  beforeEach(async () => {
    ctx = await testRedis();
    producer = await createEventProducer({
      redisUrl: TEST_REDIS_URL,
      keys: ctx.keys,
      confirmPollMs: 300,
      maxBatch: 50,
    });
  });

  afterEach(async () => {
    await producer.close();
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await ctx.cleanup();
  });

  it('loses and duplicates nothing of 5,000 events when killed mid-stream and replaced', async () => {
    const settings = {
      redisUrl: TEST_REDIS_URL,
      prefix: ctx.prefix,
      applications: [app],
      concurrency: 8,
      lockDurationMs: 1500,
      stalledIntervalMs: 500,
    };
    // The first worker holds each recorded job open for 30 ms, so that the kill surely lands after some
    // job's events were written and before that job was completed.
    const first = await spawnWorker({ ...settings, afterRecordDelayMs: 30 });
    workers.push(first);
    const conversations = Array.from({ length: 25 }, (_, i) => `CON-k${i}`);
    const perConversation = 200;
    const recordedSoFar = async (): Promise<number> => {
      const seqs = await ctx.redis.mget(...conversations.map((c) => ctx.keys.conversationSeq(app.id, c)));

      return seqs.reduce((sum, seq) => sum + Number(seq ?? 0), 0);
    };
    const emits: Promise<ConversationEvent>[] = [];
    const emitting = (async () => {
      for (let n = 0; n < perConversation; n++) {
        for (const conversationId of conversations) {
          emits.push(producer.emit({ applicationId: app.id, conversationId, type: 'message', body: { n } }));
        }
        // Spread the emits out so that the kill lands while events are still arriving.
        await new Promise((wake) => setTimeout(wake, 2));
      }
    })();
    await waitFor(async () => (await recordedSoFar()) >= 1000, 20_000, '1,000 events recorded');
    const queue = new Queue(RECORD_QUEUE, { connection: ctx.redis, prefix: ctx.keys.queuePrefix() });
    await first.kill();
    workers.splice(workers.indexOf(first), 1);
    // The dead worker left jobs active; they can only finish by being redelivered.
    expect((await queue.getJobCounts('active')).active).toBeGreaterThan(0);
    const atKill = await recordedSoFar();
    expect(atKill).toBeLessThan(conversations.length * perConversation);
    workers.push(await spawnWorker(settings));
    await emitting;
    const recorded = await Promise.all(emits);
    expect(recorded).toHaveLength(5000);
    // Emits may resolve from the event-keys lookup before the dead worker's jobs are redelivered: let the
    // redeliveries run before counting.
    await waitForDrain(ctx.redis, ctx.keys);
    for (const conversationId of conversations) {
      await expectExactlyOnceInOrder(ctx.redis, ctx.keys, app.id, conversationId, perConversation);
    }
    // What emit resolved with is what is stored.
    const sample = recorded[4321]!;
    const stored = await ctx.redis.hget(
      ctx.keys.conversationEvents(app.id, sample.conversationId),
      String(sample.id),
    );
    expect(JSON.parse(stored!)).toEqual(sample);
  });

  it('redelivers a job whose worker recorded it and died before completing it, without a second copy', async () => {
    const conversationId = 'CON-stall';
    const emits = [0, 1, 2].map((n) =>
      producer.emit({ applicationId: app.id, conversationId, type: 'message', body: { n } }),
    );
    // A worker that takes the job, records it, and dies (its connection cut) before completing it.
    const connection = createRedis({ url: TEST_REDIS_URL, role: 'blocking' });
    const doomed = new Worker(RECORD_QUEUE, null, {
      connection,
      prefix: ctx.keys.queuePrefix(),
      lockDuration: 1000,
    });
    let job = await doomed.getNextJob('doomed-token');
    for (let tries = 0; job === undefined && tries < 50; tries++) {
      await new Promise((wake) => setTimeout(wake, 20));
      job = await doomed.getNextJob('doomed-token');
    }
    expect(job).toBeDefined();
    const recorder = new EventRecorder(ctx.redis, ctx.keys);
    const data = job.data as {
      applicationId: string;
      events: {
        conversationId: string;
        key: string;
        type: string;
        from: string | null;
        body: Record<string, unknown>;
      }[];
    };
    const first = await recorder.record(
      data.applicationId,
      data.events.map((event) => ({ ...event, effect: effectOf(event.type, event.from, event.body) })),
      { jobId: 'elsewhere', confirmChannel: null, timestamp: new Date().toISOString() },
    );
    expect(first.map((result) => result.id)).toEqual([1, 2, 3]);
    connection.disconnect();
    // A live worker's stalled check hands the job back once the lock lapses; the redelivery writes nothing.
    const live = await spawnWorker({
      redisUrl: TEST_REDIS_URL,
      prefix: ctx.prefix,
      applications: [app],
      lockDurationMs: 1000,
      stalledIntervalMs: 300,
    });
    workers.push(live);
    const recorded = await Promise.all(emits);
    expect(recorded.map((event) => [event.id, event.timestamp])).toEqual(
      first.map((result) => [result.id, result.timestamp]),
    );
    // The job itself was run again and completed (completed jobs are removed).
    const queue = new Queue(RECORD_QUEUE, { connection: ctx.redis, prefix: ctx.keys.queuePrefix() });
    await waitFor(
      async () => (await queue.getJobState(job.id!)) === 'unknown',
      10_000,
      'the stalled job to be redelivered',
    );
    await expectExactlyOnceInOrder(ctx.redis, ctx.keys, app.id, conversationId, 3);
    await doomed.close(true).catch(() => undefined);
  });
});
