import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { effectOf } from '../../src/events/index.js';
import { createRedis, EventRecorder, type EventToRecord } from '../../src/store/index.js';
import { TEST_REDIS_URL, testRedis } from '../support/redis.js';

// The recording script on its own (it belongs to the store room, but only the event pipeline uses it).
describe('EventRecorder (the atomic recording script)', () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let recorder: EventRecorder;
  const app = 'app-1';
  const event = (key: string, body: Record<string, unknown>, conversationId = 'CON-1'): EventToRecord => ({
    conversationId,
    key,
    type: 'custom:test',
    from: null,
    body,
    effect: { kind: 'none' },
  });

  beforeEach(async () => {
    ctx = await testRedis();
    recorder = new EventRecorder(ctx.redis, ctx.keys);
  });

  afterEach(async () => {
    await ctx.cleanup();
  });

  it('numbers events 1..n per conversation and stores the body byte-exact', async () => {
    const tricky = {
      list: [],
      nested: { empty: {}, arr: [1, [2]] },
      big: 9007199254740991,
      pi: 3.141592653589793,
      text: 'a/b "q" é',
    };
    const results = await recorder.record(
      app,
      [event('k1', tricky), event('k2', { n: 2 }), event('k3', { n: 3 }, 'CON-2')],
      {
        jobId: 'j1',
        confirmChannel: null,
        timestamp: '2026-01-02T03:04:05.678Z',
      },
    );
    expect(results).toEqual([
      { id: 1, timestamp: '2026-01-02T03:04:05.678Z', isNew: true, refused: false },
      { id: 2, timestamp: '2026-01-02T03:04:05.678Z', isNew: true, refused: false },
      { id: 1, timestamp: '2026-01-02T03:04:05.678Z', isNew: true, refused: false },
    ]);
    const stored = await ctx.redis.hget(ctx.keys.conversationEvents(app, 'CON-1'), '1');
    expect(stored).toBe(
      `{"id":1,"timestamp":"2026-01-02T03:04:05.678Z","applicationId":"app-1","conversationId":"CON-1","type":"custom:test","from":null,"body":${JSON.stringify(tricky)},"deletedAt":null}`,
    );
    expect(await ctx.redis.get(ctx.keys.conversationSeq(app, 'CON-1'))).toBe('2');
    expect(await ctx.redis.hgetall(ctx.keys.conversationEventKeys(app, 'CON-1'))).toEqual({
      k1: '1',
      k2: '2',
    });
  });

  it('refuses events of a deleted conversation and writes nothing for them', async () => {
    await ctx.redis.set(ctx.keys.conversationTombstone(app, 'CON-gone'), '1');
    const results = await recorder.record(app, [event('g1', { n: 0 }, 'CON-gone'), event('k1', { n: 1 })], {
      jobId: 'j',
      confirmChannel: null,
      timestamp: '2026-01-02T03:04:05.678Z',
    });

    expect(results).toEqual([
      { id: 0, timestamp: '', isNew: false, refused: true },
      { id: 1, timestamp: '2026-01-02T03:04:05.678Z', isNew: true, refused: false },
    ]);
    expect(await ctx.redis.exists(ctx.keys.conversationSeq(app, 'CON-gone'))).toBe(0);
    expect(await ctx.redis.exists(ctx.keys.conversationEvents(app, 'CON-gone'))).toBe(0);
    expect(await ctx.redis.exists(ctx.keys.conversationEventKeys(app, 'CON-gone'))).toBe(0);
  });

  it('treats a second recording of the same key as a no-op that answers the first id and timestamp', async () => {
    const first = await recorder.record(app, [event('dup', { n: 0 })], {
      jobId: 'a',
      confirmChannel: null,
      timestamp: '2026-01-01T00:00:00.000Z',
    });
    const again = await recorder.record(app, [event('dup', { n: 0 }), event('new', { n: 1 })], {
      jobId: 'b',
      confirmChannel: null,
      timestamp: '2026-01-01T00:00:09.000Z',
    });
    expect(first).toEqual([{ id: 1, timestamp: '2026-01-01T00:00:00.000Z', isNew: true, refused: false }]);
    expect(again).toEqual([
      { id: 1, timestamp: '2026-01-01T00:00:00.000Z', isNew: false, refused: false },
      { id: 2, timestamp: '2026-01-01T00:00:09.000Z', isNew: true, refused: false },
    ]);
    expect(await ctx.redis.hlen(ctx.keys.conversationEvents(app, 'CON-1'))).toBe(2);
  });

  it('publishes each new event on the realtime channel and confirms the batch to its producer', async () => {
    const subscriber = createRedis({ url: TEST_REDIS_URL, role: 'subscriber' });
    const messages: [string, string][] = [];
    subscriber.on('message', (channel: string, message: string) => messages.push([channel, message]));
    await subscriber.connect();
    const confirm = ctx.keys.producerChannel('p1');
    await subscriber.subscribe(ctx.keys.realtimeChannel(app), confirm);
    try {
      await recorder.record(app, [event('r1', { n: 0 })], {
        jobId: 'job-1',
        confirmChannel: confirm,
        timestamp: '2026-01-01T00:00:00.000Z',
      });
      await recorder.record(app, [event('r1', { n: 0 })], {
        jobId: 'job-2',
        confirmChannel: confirm,
        timestamp: '2026-01-01T00:00:01.000Z',
      });
      await new Promise((wake) => setTimeout(wake, 100));
      expect(messages.map(([channel]) => channel)).toEqual([ctx.keys.realtimeChannel(app), confirm, confirm]);
      expect(JSON.parse(messages[0]![1])).toMatchObject({ id: 1, conversationId: 'CON-1', body: { n: 0 } });
      // The redelivery is confirmed again (same id) but not fanned out twice.
      expect(JSON.parse(messages[2]![1])).toEqual({ j: 'job-2', r: [[1, '2026-01-01T00:00:00.000Z', 0]] });
    } finally {
      subscriber.disconnect();
    }
  });

  it('leaves members and legs alone when they do not exist, and works out effects from event bodies', async () => {
    expect(effectOf('member:joined', 'MEM-9', {})).toEqual({
      kind: 'member',
      memberId: 'MEM-9',
      state: 'JOINED',
      timestampField: 'joined',
    });
    expect(effectOf('leg:status:update', null, { leg_id: 'L', status: 'bogus' })).toEqual({ kind: 'none' });
    expect(effectOf('message', 'MEM-9', { member_id: 'MEM-9' })).toEqual({ kind: 'none' });
    const results = await recorder.record(
      app,
      [
        {
          ...event('m', { member_id: 'MEM-x' }),
          type: 'member:joined',
          effect: effectOf('member:joined', null, { member_id: 'MEM-x' }),
        },
      ],
      { jobId: 'j', confirmChannel: null, timestamp: '2026-01-01T00:00:00.000Z' },
    );
    expect(results[0]!.id).toBe(1);
    expect(await ctx.redis.exists(ctx.keys.member(app, 'MEM-x'))).toBe(0);
    // A record that does not decode is left as it is; the event is still recorded.
    await ctx.redis.set(ctx.keys.member(app, 'MEM-bad'), 'not json');
    const bad = await recorder.record(
      app,
      [{ ...event('b', {}), type: 'member:left', effect: effectOf('member:left', 'MEM-bad', {}) }],
      { jobId: 'j', confirmChannel: null, timestamp: '2026-01-01T00:00:00.000Z' },
    );
    expect(bad[0]!.id).toBe(2);
    expect(await ctx.redis.get(ctx.keys.member(app, 'MEM-bad'))).toBe('not json');
  });
});
