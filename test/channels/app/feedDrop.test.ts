import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedName, startRig, until, type Rig } from './rig.js';

describe('App channel when the realtime feed loses its Redis connection', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig();
  });

  afterAll(async () => {
    await rig.close();
  });

  it('catches up from the event log what pub/sub dropped while the feed reconnected', async () => {
    const { conversationId } = await rig.conversationWith(['xia']);
    const socket = await rig.connect(0, rig.clientToken('xia'));
    await socket.waitFrame((f) => f.type === 'ready');
    const post = (n: number): ReturnType<Rig['call']> =>
      rig.call(0, 'POST', `/v1/conversations/${conversationId}/events`, {
        body: { type: 'custom:n', body: { n } },
      });
    const first = await post(0);
    await socket.waitFrame((f) => f.type === 'event' && f.event.id === first.json.id);

    // Kill exactly this node's feed connection, and record events while it is away.
    const list = await rig.redis.redis.client('LIST');
    const line = String(list)
      .split('\n')
      .find((entry) => entry.includes(`name=${feedName(rig.redis.prefix, 0)} `));
    const id = /\bid=(\d+)/.exec(line ?? '')?.[1];
    expect(id).toBeDefined();
    await rig.redis.redis.client('KILL', 'ID', id!);
    const last = await Promise.all([post(1), post(2), post(3)]);
    const lastId = Math.max(...last.map((r) => r.json.id as number));

    // Nothing else is posted: only the resync after the reconnect can bring these.
    await until(() => socket.eventIds(conversationId).at(-1) === lastId, 8000, `event ${lastId}`);
    expect(socket.eventIds(conversationId)).toEqual([
      first.json.id,
      first.json.id + 1,
      first.json.id + 2,
      first.json.id + 3,
    ]);
    await socket.close();
  });
});
