import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Leg } from '../../src/domain/index.js';
import { createEventProducer } from '../../src/events/index.js';
import { TEST_REDIS_URL } from '../support/redis.js';
import { createServices, type AdminCaller, type Caller } from '../../src/services/index.js';
import { startHarness, type Harness } from '../api/harness.js';

// The use cases over real Redis repositories and a real event pipeline, without HTTP: the membership
// rules an ACL cannot express, lifecycle rules, and the hangup hook.
describe('services', () => {
  let h: Harness;
  let admin: AdminCaller;
  const client = (userName: string): Caller => ({
    kind: 'client',
    applicationId: admin.applicationId,
    userName,
  });

  beforeAll(async () => {
    h = await startHarness();
    admin = { kind: 'admin', applicationId: h.apps[0].application.id };
  });

  afterAll(async () => {
    await h.close();
  });

  async function setup(
    tag: string,
  ): Promise<{ conversationId: string; aliceMember: string; bobMember: string }> {
    const { users, conversations, members } = h.services;
    const alice = await users.create(admin, { name: `alice-${tag}` });
    const bob = await users.create(admin, { name: `bob-${tag}` });
    await users.create(admin, { name: `eve-${tag}` });
    const conversation = await conversations.create(admin, { name: `conv-${tag}` });
    const a = await members.create(admin, conversation.id, {
      state: 'JOINED',
      user: { id: alice.id },
      channel: { type: 'app' },
    });
    const b = await members.create(admin, conversation.id, {
      state: 'INVITED',
      user: { name: bob.name },
      channel: { type: 'app' },
    });

    return { conversationId: conversation.id, aliceMember: a.member.id, bobMember: b.member.id };
  }

  it('lets clients reach only conversations they are INVITED to or JOINED, as if others did not exist', async () => {
    const { conversationId, bobMember } = await setup('reach');
    await expect(h.services.conversations.get(client('eve-reach'), conversationId)).rejects.toMatchObject({
      code: 'conversation:error:not-found',
    });
    await expect(h.services.conversations.get(client('ghost'), conversationId)).rejects.toMatchObject({
      code: 'conversation:error:not-found',
    });
    expect((await h.services.conversations.get(client('bob-reach'), conversationId)).id).toBe(conversationId);
    expect((await h.services.members.me(client('bob-reach'), conversationId)).member.id).toBe(bobMember);
    await expect(h.services.members.me(admin, conversationId)).rejects.toMatchObject({
      code: 'member:error:not-found',
    });
    await h.services.members.update(client('bob-reach'), conversationId, bobMember, { state: 'LEFT' });
    await expect(
      h.services.events.list(client('bob-reach'), conversationId, { pageSize: 10, order: 'asc' }),
    ).rejects.toMatchObject({
      code: 'conversation:error:not-found',
    });
  });

  it('makes a client join before posting, post as itself, change only its own member and delete only its own events', async () => {
    const { conversationId, aliceMember, bobMember } = await setup('rules');
    const bob = client('bob-rules');
    const alice = client('alice-rules');
    await expect(
      h.services.events.create(bob, conversationId, { type: 'message', body: {} }),
    ).rejects.toMatchObject({ code: 'event:error:not-joined' });
    await expect(
      h.services.members.update(bob, conversationId, aliceMember, { state: 'LEFT' }),
    ).rejects.toMatchObject({ code: 'system:error:permission' });
    await expect(
      h.services.members.create(bob, conversationId, {
        state: 'INVITED',
        user: { name: 'eve-rules' },
        channel: { type: 'app' },
      }),
    ).rejects.toMatchObject({
      code: 'system:error:permission',
    });
    expect(
      (await h.services.members.update(bob, conversationId, bobMember, { state: 'JOINED' })).member.state,
    ).toBe('JOINED');
    const invited = await h.services.members.create(bob, conversationId, {
      state: 'INVITED',
      user: { name: 'eve-rules' },
      channel: { type: 'app' },
    });
    expect(invited.member.invitedBy).toBe(bobMember);
    expect(invited.member.initiator.invited).toEqual({
      isSystem: false,
      userId: invited.member.initiator.invited?.userId,
      memberId: bobMember,
    });
    await expect(
      h.services.events.create(bob, conversationId, { type: 'message', from: aliceMember, body: {} }),
    ).rejects.toMatchObject({
      code: 'system:error:permission',
    });
    const posted = await h.services.events.create(bob, conversationId, { type: 'custom:hi', body: { x: 1 } });
    expect(posted.event.from).toBe(bobMember);
    await expect(h.services.events.delete(alice, conversationId, posted.event.id)).rejects.toMatchObject({
      code: 'system:error:permission',
    });
    const joined = (
      await h.services.events.list(bob, conversationId, { pageSize: 100, order: 'asc' })
    ).items.find((view) => view.event.type === 'member:joined' && view.event.from === bobMember);
    await expect(h.services.events.delete(bob, conversationId, joined!.event.id)).rejects.toMatchObject({
      code: 'system:error:permission',
    });
    await h.services.events.delete(bob, conversationId, posted.event.id);
    expect(
      (await h.services.events.get(bob, conversationId, posted.event.id)).event.deletedAt,
    ).not.toBeNull();
  });

  it('keeps admin-only operations from clients and lets a client change only its own user, merging properties', async () => {
    await setup('admin');
    const alice = client('alice-admin');
    await expect(h.services.users.create(alice, { name: 'x' })).rejects.toMatchObject({
      code: 'system:error:permission',
    });
    await expect(h.services.conversations.create(alice, {})).rejects.toMatchObject({
      code: 'system:error:permission',
    });
    await expect(h.services.legs.list(alice, { pageSize: 10, order: 'asc' })).rejects.toMatchObject({
      code: 'system:error:permission',
    });
    const me = await h.repos.users.getByName(admin.applicationId, 'alice-admin');
    await h.services.users.update(alice, me!.id, { properties: { customData: { a: 1 } } });
    const updated = await h.services.users.update(alice, me!.id, { properties: { ttl: 60 } });
    expect(updated.properties).toEqual({ customData: { a: 1 }, ttl: 60 });
    const bob = await h.repos.users.getByName(admin.applicationId, 'bob-admin');
    await expect(h.services.users.update(alice, bob!.id, { displayName: 'x' })).rejects.toMatchObject({
      code: 'system:error:permission',
    });
  });

  it('refuses writes to an INACTIVE conversation but still allows reads and leaving', async () => {
    const { conversationId, aliceMember } = await setup('inactive');
    await h.repos.conversations.update(admin.applicationId, conversationId, { state: 'INACTIVE' });
    await expect(
      h.services.events.create(admin, conversationId, { type: 'custom:x', body: {} }),
    ).rejects.toMatchObject({
      code: 'conversation:error:not-allowed',
    });
    await expect(
      h.services.members.create(admin, conversationId, {
        state: 'JOINED',
        user: { name: 'eve-inactive' },
        channel: { type: 'app' },
      }),
    ).rejects.toMatchObject({
      code: 'conversation:error:not-allowed',
    });
    expect(
      (await h.services.members.update(admin, conversationId, aliceMember, { state: 'LEFT' })).member.state,
    ).toBe('LEFT');
  });

  it('calls the hangup hook before marking a leg completed', async () => {
    const hungUp: Leg[] = [];
    const services = createServices({
      repositories: h.repos,
      eventPort: h.eventPort,
      hangup: (leg) => {
        hungUp.push(leg);

        return Promise.resolve();
      },
    });
    const conversation = await services.conversations.create(admin, { name: 'hook' });
    const leg = await h.repos.legs.create(admin.applicationId, {
      conversationId: conversation.id,
      type: 'phone',
      direction: 'inbound',
      from: { type: 'phone', number: '1' },
      to: { type: 'phone', number: '2' },
    });
    const ended = await services.legs.hangup(admin, leg.id);
    expect(hungUp.map((l) => l.id)).toEqual([leg.id]);
    expect(ended.status).toBe('completed');
    expect(ended.endedAt).not.toBeNull();

    // A leg whose conversation is gone is marked completed without recording into the deleted log.
    const orphan = await h.repos.legs.create(admin.applicationId, {
      conversationId: conversation.id,
      type: 'phone',
      direction: 'outbound',
      from: { type: 'phone', number: '1' },
      to: { type: 'phone', number: '3' },
    });
    await services.conversations.delete(admin, conversation.id);
    const marked = await services.legs.hangup(admin, orphan.id);
    expect(marked.status).toBe('completed');
    expect(marked.statusHistory.map((step) => step.status)).toContain('completed');
    expect(
      await h.redis.redis.exists(h.redis.keys.conversationEvents(admin.applicationId, conversation.id)),
    ).toBe(0);
  });

  it('answers system:error:unavailable when the event pipeline cannot record', async () => {
    const closed = await createEventProducer({ redisUrl: TEST_REDIS_URL, keys: h.redis.keys });
    await closed.close();
    const services = createServices({ repositories: h.repos, eventPort: closed });
    const conversation = await services.conversations.create(admin, { name: 'no-pipeline' });
    await expect(
      services.events.create(admin, conversation.id, { type: 'custom:x', body: {} }),
    ).rejects.toMatchObject({
      code: 'system:error:unavailable',
      status: 503,
    });
  });
});
