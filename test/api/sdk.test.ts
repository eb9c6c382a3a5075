import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Vonage } from '@vonage/server-sdk';
import { DEFAULT_CLIENT_ACL } from '../../src/auth/index.js';
import { startHarness, type Harness } from './harness.js';

// The official Node SDK, pointed at a running confab, drives every resource it supports.
describe('the official @vonage/server-sdk against confab', () => {
  let h: Harness;
  let vonage: Vonage;

  beforeAll(async () => {
    h = await startHarness();
    const [app] = h.apps;
    vonage = new Vonage(
      { applicationId: app.application.id, privateKey: app.privateKeyPem },
      { apiHost: h.base },
    );
  });

  afterAll(async () => {
    await h.close();
  });

  it('creates, reads, updates, lists and deletes users', async () => {
    const alice = await vonage.users.createUser({
      name: 'sdk-alice',
      displayName: 'Alice',
      properties: { customData: { team: 'blue' } },
    });
    expect(alice.id).toMatch(/^USR-[0-9a-f-]{36}$/);
    expect(alice.displayName).toBe('Alice');
    expect(alice.properties?.customData).toEqual({ team: 'blue' });

    const fetched = await vonage.users.getUser(alice.id!);
    expect(fetched.name).toBe('sdk-alice');
    const renamed = await vonage.users.updateUser({
      id: alice.id!,
      name: 'sdk-alice',
      displayName: 'Alice B',
    });
    expect(renamed.displayName).toBe('Alice B');

    for (let i = 0; i < 4; i++) {
      await vonage.users.createUser({ name: `sdk-extra-${i}` });
    }
    const names: string[] = [];
    for await (const user of vonage.users.listAllUsers({ pageSize: 2 })) {
      names.push(user.name!);
    }
    expect(names).toHaveLength(5);
    expect(names[0]).toBe('sdk-alice');

    // Sessions are opened by the realtime channel; here the repository opens them directly.
    for (let i = 0; i < 3; i++) {
      await h.repos.sessions.create(h.apps[0].application.id, alice.id!, 600);
    }
    const sessions = [];
    for await (const session of vonage.conversations.listAllUserSessions(alice.id!, { pageSize: 2 })) {
      sessions.push(session);
    }
    expect(sessions).toHaveLength(3);
    expect(sessions[0]).toMatchObject({
      id: expect.stringMatching(/^SES-/),
      user: { id: alice.id, name: 'sdk-alice' },
    });
    expect(sessions[0]!.properties.ttl).toBeGreaterThan(590);

    const extra = (await vonage.users.getUserPage({ name: 'sdk-extra-3' }))._embedded?.users ?? [];
    expect(extra.map((u) => u.name)).toEqual(['sdk-extra-3']);
    await vonage.users.deleteUser(extra[0]!.id!);
    await expect(vonage.users.getUser(extra[0]!.id!)).rejects.toThrow(/404/);
  });

  it('runs the conversation, member and event flow, including getMe with a client token and paging', async () => {
    const bob = await vonage.users.createUser({ name: 'sdk-bob', displayName: 'Bob' });
    const conversation = await vonage.conversations.createConversation({
      name: 'sdk-support',
      displayName: 'Support',
    });
    const cid = conversation.id!;
    expect(cid).toMatch(/^CON-/);
    expect(conversation.state).toBe('ACTIVE');

    const updated = await vonage.conversations.updateConversation({
      id: cid,
      name: 'sdk-support',
      displayName: 'Support 2',
    });
    expect(updated.displayName).toBe('Support 2');
    expect((await vonage.conversations.getConversation(cid)).displayName).toBe('Support 2');

    const member = await vonage.conversations.createMember(cid, {
      state: 'JOINED',
      user: { id: bob.id! },
      channel: { type: 'app' },
    } as never);
    const mid = member.id!;
    expect(mid).toMatch(/^MEM-/);
    expect(member.state).toBe('JOINED');
    expect(member.user).toMatchObject({ id: bob.id, name: 'sdk-bob' });
    expect((await vonage.conversations.getMember(cid, mid)).state).toBe('JOINED');

    // The same SDK with a client token for bob (minted by @vonage/jwt from jwtOptions) finds bob's member.
    const asBob = new Vonage(
      {
        applicationId: h.apps[0].application.id,
        privateKey: h.apps[0].privateKeyPem,
        jwtOptions: { subject: 'sdk-bob', acl: DEFAULT_CLIENT_ACL as never },
      },
      { apiHost: h.base },
    );
    expect((await asBob.conversations.getMe(cid)).id).toBe(mid);

    const text = await vonage.conversations.createEvent(cid, {
      type: 'message',
      from: mid,
      body: { messageType: 'text', text: 'hello' },
    } as never);
    expect(text.id).toBeTypeOf('number');
    expect(text.body).toMatchObject({ messageType: 'text', text: 'hello' });
    const custom = await asBob.conversations.createEvent(cid, {
      type: 'custom:ping',
      body: { n: 1 },
    } as never);
    expect(custom.type).toBe('custom:ping');
    expect(custom.from).toBe(mid);
    for (let n = 0; n < 3; n++) {
      await vonage.conversations.createEvent(cid, { type: 'custom:bulk', body: { n } } as never);
    }

    const events: { id: number; type: string }[] = [];
    for await (const event of vonage.conversations.listAllEvents(cid, { pageSize: 2 })) {
      events.push(event);
    }
    // member:joined and conversation:updated come from the pipeline, then the five posted events.
    expect(events.map((e) => e.type)).toEqual([
      'conversation:updated',
      'member:joined',
      'message',
      'custom:ping',
      'custom:bulk',
      'custom:bulk',
      'custom:bulk',
    ]);
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const fetched = await vonage.conversations.getEvent(cid, String(text.id));
    expect(fetched.fromUser).toMatchObject({ id: bob.id, name: 'sdk-bob' });

    await vonage.conversations.deleteEvent(cid, String(text.id));
    const deleted = await vonage.conversations.getEvent(cid, String(text.id));
    expect(deleted.body).toEqual({});

    const members: string[] = [];
    for (let i = 0; i < 3; i++) {
      const user = await vonage.users.createUser({ name: `sdk-guest-${i}` });
      await vonage.conversations.createMember(cid, {
        state: 'INVITED',
        user: { id: user.id! },
        channel: { type: 'app' },
      } as never);
    }
    for await (const m of vonage.conversations.listAllMembers(cid, { pageSize: 2 })) {
      members.push(m.user.name!);
    }
    expect(members).toEqual(['sdk-bob', 'sdk-guest-0', 'sdk-guest-1', 'sdk-guest-2']);

    const left = await vonage.conversations.updateMember(cid, mid, {
      state: 'LEFT',
      reason: { code: 'bye', text: 'done' },
    } as never);
    expect(left.state).toBe('LEFT');
    expect(left.timestamp).toHaveProperty('left');

    const conversations: string[] = [];
    for (let i = 0; i < 2; i++) {
      await vonage.conversations.createConversation({ name: `sdk-more-${i}` });
    }
    for await (const c of vonage.conversations.listAllConversations({ pageSize: 1 })) {
      conversations.push(c.name!);
    }
    expect(conversations).toEqual(['sdk-support', 'sdk-more-0', 'sdk-more-1']);

    const ofBob: string[] = [];
    for await (const c of vonage.conversations.listAllUserConversations(bob.id!)) {
      ofBob.push(c.id!);
    }
    expect(ofBob).toEqual([cid]);

    await vonage.conversations.deleteConversation(cid);
    await expect(vonage.conversations.getConversation(cid)).rejects.toThrow(/404/);
  });
});
