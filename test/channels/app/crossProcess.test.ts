import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, until, type Rig } from './rig.js';

describe('App channel across confab processes: delivery and sessions over one Redis', () => {
  let rig: Rig;

  beforeAll(async () => {
    // Two nodes, each with its own producer, realtime feed, HTTP server and App channel.
    rig = await startRig({ nodes: 2 });
  });

  afterAll(async () => {
    await rig.close();
  });

  it('delivers an event posted on one node to a socket held by the other, both ways', async () => {
    const { conversationId } = await rig.conversationWith(['kim', 'lee']);
    const kim = await rig.connect(0, rig.clientToken('kim'));
    const lee = await rig.connect(1, rig.clientToken('lee'));
    await kim.waitFrame((f) => f.type === 'ready');
    await lee.waitFrame((f) => f.type === 'ready');
    lee.send({
      type: 'event',
      request_id: 'l1',
      conversation_id: conversationId,
      event: { type: 'message', body: { text: 'from node 1' } },
    });
    const ack = await lee.waitFrame((f) => f.type === 'ack');
    expect(
      (await kim.waitFrame((f) => f.type === 'event' && f.event.id === ack.event_id)).event.body,
    ).toEqual({ text: 'from node 1' });
    const rest = await rig.call(0, 'POST', `/v1/conversations/${conversationId}/events`, {
      body: { type: 'custom:from-node-0', body: {} },
    });
    await lee.waitFrame((f) => f.type === 'event' && f.event.id === rest.json.id);
    await kim.waitFrame((f) => f.type === 'event' && f.event.id === rest.json.id);
    expect(kim.eventIds(conversationId)).toEqual([ack.event_id, rest.json.id]);
    expect(lee.eventIds(conversationId)).toEqual([ack.event_id, rest.json.id]);
    await kim.close();
    await lee.close();
  });

  it('lists a socket’s Session on every node while it lives, and not after it closes', async () => {
    const { users } = await rig.conversationWith(['max']);
    const token = rig.clientToken('max');
    const socket = await rig.connect(0, token);
    const hello = await socket.waitFrame((f) => f.type === 'session');
    expect(hello.session_id).toMatch(/^SES-[0-9a-f-]{36}$/);
    expect(hello.user_id).toBe(users.max);
    for (const node of [0, 1]) {
      const listed = await rig.call(node, 'GET', `/v1/users/${users.max}/sessions`, { token });
      expect(listed.status).toBe(200);
      const sessions = listed.json._embedded.sessions as { id: string }[];
      expect(sessions.map((s) => s.id)).toEqual([hello.session_id]);
    }
    await socket.close();
    await until(
      async () =>
        (await rig.call(1, 'GET', `/v1/users/${users.max}/sessions`)).json._embedded.sessions.length === 0,
      5000,
      'session gone',
    );
  });

  it('deletes the Session of a socket that vanished without a close frame', async () => {
    const { users } = await rig.conversationWith(['ned']);
    const socket = await rig.connect(1, rig.clientToken('ned'));
    await socket.waitFrame((f) => f.type === 'session');
    socket.ws.terminate();
    await until(
      async () =>
        (await rig.call(0, 'GET', `/v1/users/${users.ned}/sessions`)).json._embedded.sessions.length === 0,
      5000,
      'session gone',
    );
    await until(() => rig.nodes[1]!.channel.connectionCount === 0, 3000, 'connection released');
  });
});
