import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, until, type Rig } from './rig.js';

describe('App channel: resume after a forced disconnect', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig();
  });

  afterAll(async () => {
    await rig.close();
  });

  const post = (conversationId: string, n: number): Promise<unknown> =>
    rig.call(0, 'POST', `/v1/conversations/${conversationId}/events`, {
      body: { type: 'custom:n', body: { n } },
    });

  it('resumes with no gap and no duplicate while events keep arriving across the switch-over', async () => {
    const { conversationId } = await rig.conversationWith(['gina', 'hugo']);
    const first = await rig.connect(0, rig.clientToken('gina'));
    await first.waitFrame((f) => f.type === 'ready');
    for (let n = 0; n < 5; n++) {
      await post(conversationId, n);
    }
    await until(() => first.eventIds(conversationId).length === 5, 5000, 'five live events');
    const seen = first.eventIds(conversationId);
    const lastSeen = seen.at(-1)!;
    // A forced disconnect: no close handshake at all.
    first.ws.terminate();

    // Events keep coming while the client is away and while it reconnects.
    // Enough for several catch-up pages (posted in parallel batches, so their order is the recorded one).
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 25 }, (_, i) => post(conversationId, 5 + batch * 25 + i)));
    }
    let n = 255;
    let posting = true;
    const background = (async () => {
      while (posting && n < 400) {
        await post(conversationId, n++);
      }
    })();
    const since = Buffer.from(JSON.stringify({ [conversationId]: lastSeen })).toString('base64url');
    const second = await rig.connect(0, rig.clientToken('gina'), { since });
    await second.waitFrame((f) => f.type === 'ready');
    await until(() => n >= 275, 10_000, 'posts after the resume');
    posting = false;
    await background;
    const total = n;
    // The conversation's last id is the member:joined events (2) plus every post.
    const lastId = 2 + total;
    await until(() => second.eventIds(conversationId).at(-1) === lastId, 10_000, `event ${lastId}`);
    const resumed = second.eventIds(conversationId);
    expect(resumed).toEqual(Array.from({ length: lastId - lastSeen }, (_, i) => lastSeen + 1 + i));
    const ns = second.frames
      .filter((f) => f.type === 'event' && f.conversation_id === conversationId)
      .map((f) => f.event.body.n as number);
    expect(ns.sort((a, b) => a - b)).toEqual(Array.from({ length: total - 5 }, (_, i) => 5 + i));
    await second.close();
  });

  it('a resume map in plain JSON works, and catches up a conversation joined while away from its start', async () => {
    const { conversationId, users } = await rig.conversationWith(['ivan']);
    const socket = await rig.connect(0, rig.clientToken('ivan'));
    await post(conversationId, 0);
    await until(() => socket.eventIds(conversationId).length === 1, 5000, 'one event');
    const lastSeen = socket.eventIds(conversationId)[0]!;
    await socket.close();

    // While Ivan is away, he is added to a new conversation, which receives events.
    const other = await rig.call(0, 'POST', '/v1/conversations', { body: {} });
    await rig.call(0, 'POST', `/v1/conversations/${other.json.id}/members`, {
      body: { state: 'joined', user: { id: users.ivan }, channel: { type: 'app' } },
    });
    await post(other.json.id as string, 1);
    await post(conversationId, 2);

    const back = await rig.connect(0, rig.clientToken('ivan'), {
      since: JSON.stringify({ [conversationId]: lastSeen, 'CON-not-mine': 0 }),
    });
    await back.waitFrame((f) => f.type === 'ready');
    expect(back.eventIds(conversationId)).toEqual([lastSeen + 1]);
    expect(back.eventIds(other.json.id as string)).toEqual([1, 2]);
    expect(back.frames.filter((f) => f.type === 'event' && f.conversation_id === 'CON-not-mine')).toEqual([]);
    await back.close();
  });

  it('bounds a resume map that claims ids the log never reached, so live events still flow', async () => {
    const { conversationId } = await rig.conversationWith(['kai']);
    const socket = await rig.connect(0, rig.clientToken('kai'), {
      since: JSON.stringify({ [conversationId]: 999 }),
    });
    await socket.waitFrame((f) => f.type === 'ready');
    const posted = await rig.call(0, 'POST', `/v1/conversations/${conversationId}/events`, {
      body: { type: 'custom:n', body: { n: 0 } },
    });
    await socket.waitFrame((f) => f.type === 'event' && f.event.id === posted.json.id);
    expect(socket.eventIds(conversationId)).toEqual([posted.json.id]);
    await socket.close();
  });

  it('gives nothing of a conversation the user left while away, even when the resume map names it', async () => {
    const { conversationId, members } = await rig.conversationWith(['lou', 'mia']);
    const socket = await rig.connect(0, rig.clientToken('lou'));
    await post(conversationId, 0);
    await until(() => socket.eventIds(conversationId).length === 1, 5000, 'one event');
    const lastSeen = socket.eventIds(conversationId)[0]!;
    await socket.close();
    await rig.call(0, 'PATCH', `/v1/conversations/${conversationId}/members/${members.lou}`, {
      body: { state: 'left' },
    });
    await post(conversationId, 1);
    const back = await rig.connect(0, rig.clientToken('lou'), {
      since: JSON.stringify({ [conversationId]: lastSeen }),
    });
    await back.waitFrame((f) => f.type === 'ready');
    await post(conversationId, 2);
    // Mia, still a member, proves the events exist and flow.
    const mia = await rig.connect(0, rig.clientToken('mia'), {
      since: JSON.stringify({ [conversationId]: lastSeen }),
    });
    await until(() => mia.eventIds(conversationId).length === 3, 5000, 'three events for mia');
    expect(back.eventIds(conversationId)).toEqual([]);
    await back.close();
    await mia.close();
  });

  it('refuses a malformed resume map before upgrading', async () => {
    await rig.conversationWith(['jill']);
    const refused = await rig.refused(0, rig.clientToken('jill'), { since: '{"CON-x": -1}' });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      code: 'http:error:validation-fail',
      detail: expect.stringContaining('since'),
    });
  });
});
