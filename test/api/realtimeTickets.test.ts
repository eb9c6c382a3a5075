import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRig, until, type Rig } from '../channels/app/rig.js';

describe('POST /v1/realtime/tickets: one-time, short-lived tickets that open the realtime socket', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await startRig({ ticketTtlSeconds: 2 });
  });

  afterAll(async () => {
    await rig.close();
  });

  const issue = (token: string | null): ReturnType<Rig['call']> =>
    rig.call(0, 'POST', '/v1/realtime/tickets', { token });

  it('issues a ticket to a client token that opens the socket once, and only once', async () => {
    const { conversationId } = await rig.conversationWith(['sam']);
    const issued = await issue(rig.clientToken('sam'));
    expect(issued.status).toBe(201);
    expect(issued.json).toMatchObject({
      ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expires_in: 2,
    });
    expect(issued.json.url).toBe(`wss://confab.test/v1/realtime?ticket=${issued.json.ticket}`);

    const socket = await rig.connect(0, { ticket: issued.json.ticket as string });
    await socket.waitFrame((f) => f.type === 'ready');
    // The ticket's socket is the user's own: it sees and posts like a token socket.
    socket.send({
      type: 'event',
      request_id: 't',
      conversation_id: conversationId,
      event: { type: 'message', body: { text: 'via ticket' } },
    });
    const ack = await socket.waitFrame((f) => f.type === 'ack');
    await socket.waitFrame((f) => f.type === 'event' && f.event.id === ack.event_id);

    const again = await rig.refused(0, { ticket: issued.json.ticket as string });
    expect(again.status).toBe(401);
    expect(again.json.code).toBe('system:error:invalid-token');
    await socket.close();
  });

  it('lets only one of two sockets racing with the same ticket in', async () => {
    await rig.conversationWith(['tia']);
    const { ticket } = (await issue(rig.clientToken('tia'))).json as { ticket: string };
    const outcomes = await Promise.allSettled([rig.connect(0, { ticket }), rig.connect(0, { ticket })]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') {
        await outcome.value.close();
      }
    }
  });

  it('refuses a ticket once it has lapsed', async () => {
    await rig.conversationWith(['uma']);
    const { ticket } = (await issue(rig.clientToken('uma'))).json as { ticket: string };
    const issuedAt = Date.now();
    await until(() => Date.now() - issuedAt > 3100, 5000, 'the ticket TTL');
    const refused = await rig.refused(0, { ticket });
    expect(refused.status).toBe(401);
  });

  it('refuses forged tickets, admin tokens, bad tokens and ACLs that may not open sessions', async () => {
    await rig.conversationWith(['vic']);
    expect((await rig.refused(0, { ticket: 'A'.repeat(43) })).status).toBe(401);
    expect((await rig.refused(0, { ticket: '../../etc' })).status).toBe(401);
    const admin = await issue(rig.adminToken());
    expect(admin.status).toBe(403);
    expect(admin.json.code).toBe('system:error:permission');
    const none = await issue(null);
    expect(none.status).toBe(401);
    expect(none.json.code).toBe('system:error:invalid-token');
    const forged = await issue(rig.foreignKeyToken('vic'));
    expect(forged.status).toBe(401);
    const narrow = await issue(rig.clientToken('vic', { paths: { '/*/conversations/**': {} } }));
    expect(narrow.status).toBe(403);
    // A ticket does not work as a bearer token.
    const { ticket } = (await issue(rig.clientToken('vic'))).json as { ticket: string };
    expect((await rig.refused(0, ticket)).status).toBe(401);
  });
});
