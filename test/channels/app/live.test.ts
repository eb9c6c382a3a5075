import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, type Rig } from './rig.js';

describe('App channel: live delivery between users, posting over the socket, and isolation', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig();
  });

  afterAll(async () => {
    await rig.close();
  });

  it('two users see each other’s events live, in id order, and a non-member sees nothing of them', async () => {
    const { conversationId } = await rig.conversationWith(['alice', 'bob']);
    const elsewhere = await rig.conversationWith(['carol']);
    const alice = await rig.connect(0, rig.clientToken('alice'));
    const bob = await rig.connect(0, rig.clientToken('bob'));
    const carol = await rig.connect(0, rig.clientToken('carol'));
    for (const socket of [alice, bob, carol]) {
      await socket.waitFrame((f) => f.type === 'ready');
    }

    // Alice posts over REST, Bob over his socket; both see both, with the recorded ids.
    const rest = await rig.call(0, 'POST', `/v1/conversations/${conversationId}/events`, {
      token: rig.clientToken('alice'),
      body: { type: 'message', body: { message_type: 'text', text: 'hi bob' } },
    });
    expect(rest.status).toBe(201);
    bob.send({
      type: 'event',
      request_id: 'r1',
      conversation_id: conversationId,
      event: { type: 'message', body: { message_type: 'text', text: 'hi alice' } },
    });
    const ack = await bob.waitFrame((f) => f.type === 'ack' && f.request_id === 'r1');
    expect(ack).toMatchObject({ conversation_id: conversationId, event_id: rest.json.id + 1 });
    for (const socket of [alice, bob]) {
      const mine = await socket.waitFrame((f) => f.type === 'event' && f.event.id === ack.event_id);
      expect(mine.event).toMatchObject({ type: 'message', body: { text: 'hi alice' } });
      expect(socket.eventIds(conversationId)).toEqual([rest.json.id, ack.event_id]);
    }
    const fromAlice = alice.frames.find((f) => f.type === 'event' && f.event.id === rest.json.id);
    expect(fromAlice.event).toMatchObject({
      type: 'message',
      body: { text: 'hi bob' },
      from: rest.json.from,
    });

    // Carol is alive (she gets her own conversation's events) but saw nothing of Alice and Bob's.
    await rig.call(0, 'POST', `/v1/conversations/${elsewhere.conversationId}/events`, {
      body: { type: 'custom:ping', body: {} },
    });
    await carol.waitFrame((f) => f.type === 'event' && f.event.type === 'custom:ping');
    expect(carol.frames.filter((f) => f.type === 'event' && f.conversation_id === conversationId)).toEqual(
      [],
    );
    expect(
      alice.frames.filter((f) => f.type === 'event' && f.conversation_id === elsewhere.conversationId),
    ).toEqual([]);

    // Carol cannot post into a conversation she is not a member of: the same answer as REST.
    carol.send({
      type: 'event',
      request_id: 'x',
      conversation_id: conversationId,
      event: { type: 'message', body: { text: 'sneak' } },
    });
    const refused = await carol.waitFrame((f) => f.type === 'error' && f.request_id === 'x');
    expect(refused).toMatchObject({ code: 'conversation:error:not-found', status: 404 });
    for (const socket of [alice, bob, carol]) {
      await socket.close();
    }
  });

  it('validates posted frames like REST: server-only types, bad shapes, non-JSON', async () => {
    const { conversationId } = await rig.conversationWith(['dave']);
    const dave = await rig.connect(0, rig.clientToken('dave'));
    dave.send({
      type: 'event',
      request_id: 'a',
      conversation_id: conversationId,
      event: { type: 'member:joined', body: {} },
    });
    expect(await dave.waitFrame((f) => f.request_id === 'a')).toMatchObject({
      type: 'error',
      code: 'event:error:unknown-event',
      status: 400,
    });
    dave.send({
      type: 'event',
      request_id: 'b',
      conversation_id: conversationId,
      event: { type: 'message', body: [1] },
    });
    expect(await dave.waitFrame((f) => f.request_id === 'b')).toMatchObject({
      type: 'error',
      code: 'http:error:validation-fail',
      invalid_parameters: [{ name: 'event.body', reason: 'must be an object' }],
    });
    dave.send({ type: 'subscribe', request_id: 'c' });
    expect(await dave.waitFrame((f) => f.request_id === 'c')).toMatchObject({
      type: 'error',
      code: 'http:error:validation-fail',
    });
    dave.ws.send('not json');
    await dave.waitFrame(
      (f) => f.type === 'error' && f.request_id === undefined && f.code === 'http:error:validation-fail',
    );
    // A token whose ACL forbids posting events is refused as REST would refuse it.
    const readOnly = rig.clientToken('dave', {
      paths: { '/*/sessions/**': {}, '/*/conversations/**': { methods: ['GET'] } },
    });
    const limited = await rig.connect(0, readOnly);
    limited.send({
      type: 'event',
      request_id: 'd',
      conversation_id: conversationId,
      event: { type: 'message', body: {} },
    });
    expect(await limited.waitFrame((f) => f.request_id === 'd')).toMatchObject({
      type: 'error',
      code: 'system:error:permission',
      status: 403,
    });
    await dave.close();
    await limited.close();
  });

  it('follows memberships that change while connected: an invitation, then leaving', async () => {
    const { conversationId, members } = await rig.conversationWith(['erin']);
    const frank = await rig.conversationWith(['frank']);
    const socket = await rig.connect(0, rig.clientToken('frank'));
    await socket.waitFrame((f) => f.type === 'ready');
    const invite = await rig.call(0, 'POST', `/v1/conversations/${conversationId}/members`, {
      body: {
        state: 'invited',
        user: { id: frank.users.frank },
        channel: { type: 'app' },
        member_id_inviting: members.erin,
      },
    });
    expect(invite.status).toBe(201);
    const invited = await socket.waitFrame((f) => f.type === 'event' && f.event.type === 'member:invited');
    expect(invited.conversation_id).toBe(conversationId);
    await rig.call(0, 'POST', `/v1/conversations/${conversationId}/events`, {
      body: { type: 'custom:after-invite', body: {} },
    });
    await socket.waitFrame((f) => f.type === 'event' && f.event.type === 'custom:after-invite');
    await rig.call(0, 'PATCH', `/v1/conversations/${conversationId}/members/${invite.json.id}`, {
      body: { state: 'left' },
    });
    await socket.waitFrame((f) => f.type === 'event' && f.event.type === 'member:left');
    await rig.call(0, 'POST', `/v1/conversations/${conversationId}/events`, {
      body: { type: 'custom:after-leave', body: {} },
    });
    // A marker in Frank's own conversation proves the feed is flowing; the event after leaving never came.
    await rig.call(0, 'POST', `/v1/conversations/${frank.conversationId}/events`, {
      body: { type: 'custom:marker', body: {} },
    });
    await socket.waitFrame((f) => f.type === 'event' && f.event.type === 'custom:marker');
    expect(socket.frames.some((f) => f.type === 'event' && f.event.type === 'custom:after-leave')).toBe(
      false,
    );
    expect(socket.eventIds(conversationId)).toEqual(
      [...socket.eventIds(conversationId)].sort((a, b) => a - b),
    );
    await socket.close();
  });
});
