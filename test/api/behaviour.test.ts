/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- responses are inspected as loose JSON. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLIC_URL, startHarness, type Harness } from './harness.js';

describe('Conversation API behaviour (HAL, limits, errors, pipeline effects)', () => {
  let h: Harness;
  let admin: string;

  beforeAll(async () => {
    h = await startHarness();
    admin = h.adminToken(0);
  });

  afterAll(async () => {
    await h.close();
  });

  const call = (method: string, path: string, body?: unknown): ReturnType<Harness['call']> =>
    h.call(method, path, { token: admin, ...(body === undefined ? {} : { body }) });

  /** Follows `next` links from `path` (links point at the public URL; the path and query are what count). */
  async function walk(path: string): Promise<{ pages: any[]; items: any[] }> {
    const pages: any[] = [];
    let next: string | undefined = path;
    while (next !== undefined && pages.length < 20) {
      const response = await call('GET', next);
      expect(response.status, response.text).toBe(200);
      pages.push(response.json);
      const href: string | undefined = response.json._links.next?.href;
      next = href === undefined ? undefined : href.slice(PUBLIC_URL.length);
    }
    const items = pages.flatMap((page) =>
      Array.isArray(page._embedded) ? page._embedded : Object.values(page._embedded)[0],
    );

    return { pages, items };
  }

  it('pages with absolute links, opaque cursors, no next on the last page, prev back, and desc order', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await call('POST', '/v1/users', { name: `page-${i}` })).status).toBe(201);
    }
    const { pages, items } = await walk('/v1/users?page_size=2');
    expect(items.map((u) => u.name)).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
    expect(pages.map((p) => p.page_size)).toEqual([2, 2, 1]);
    expect(pages[0]._links.first.href).toBe(`${PUBLIC_URL}/v1/users?page_size=2&order=asc`);
    expect(pages[0]._links.prev).toBeUndefined();
    expect(pages[2]._links.next).toBeUndefined();
    const cursor = new URL(pages[1]._links.self.href).searchParams.get('cursor');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const back = await call('GET', pages[2]._links.prev.href.slice(PUBLIC_URL.length));
    expect(back.json._embedded.users.map((u: any) => u.name)).toEqual(['page-2', 'page-3']);

    const desc = await call('GET', '/v1/users?page_size=2&order=DESC');
    expect(desc.json._embedded.users.map((u: any) => u.name)).toEqual(['page-4', 'page-3']);
    expect(desc.json._links.next.href).toContain('order=DESC');
    expect((await call('GET', '/v1/users/?page_size=1')).json._embedded.users).toHaveLength(1);
    const empty = await call('GET', '/v1/users?name=nobody');
    expect(empty.json).toMatchObject({ page_size: 0, _embedded: { users: [] } });
    expect(empty.headers.get('content-type')).toMatch(/^application\/json(;|$)/);
  });

  it('answers 400 with invalid_parameters, 404, 405, 413, 415 in the catalogue shape', async () => {
    const size = await call('GET', '/v1/users?page_size=101');
    expect(size.status).toBe(400);
    expect(size.json.code).toBe('http:error:validation-fail');
    expect(size.json.invalid_parameters).toEqual([{ name: 'page_size', reason: 'must be <= 100' }]);
    const cursor = await call('GET', '/v1/users?cursor=forged');
    expect(cursor.status).toBe(400);
    expect(cursor.json.invalid_parameters).toEqual([
      { name: 'cursor', reason: 'not a cursor issued by this server' },
    ]);
    const missing = await call('POST', '/v1/conversations/CON-x/members', { user: { id: 'USR-x' } });
    expect(missing.status).toBe(400);
    expect(missing.json.invalid_parameters.map((p: any) => p.name)).toContain('body.state');

    const unknown = await call('GET', '/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('http:error:not-found');

    const method = await call('DELETE', '/v1/users');
    expect(method.status).toBe(405);
    expect(method.json.code).toBe('http:error:method-not-allowed');
    expect(method.headers.get('allow')).toBe('GET, HEAD, POST');

    const conversation = (await call('POST', '/v1/conversations', { name: 'limits' })).json;
    const big = await call('POST', `/v1/conversations/${conversation.id}/events`, {
      type: 'custom:big',
      body: { blob: 'x'.repeat(1_100_000) },
    });
    expect(big.status).toBe(413);
    expect(big.json.code).toBe('http:error:payload-too-large');

    const text = await h.call('POST', '/v1/users', {
      token: admin,
      body: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);

    const serverOnly = await call('POST', `/v1/conversations/${conversation.id}/events`, {
      type: 'member:joined',
      body: {},
    });
    expect(serverOnly.status).toBe(400);
    expect(serverOnly.json.code).toBe('event:error:unknown-event');
  });

  it('limits each token to its rate and answers 429 with Retry-After', async () => {
    const limited = await startHarness({ rateLimit: { perSecond: 0.5, burst: 3 } });
    try {
      const token = limited.adminToken(0);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await limited.call('GET', '/v1/users', { token })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await limited.call('GET', '/v1/users', { token });
      expect(refused.json.code).toBe('http:error:too-many-requests');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      // Another token has its own budget.
      expect((await limited.call('GET', '/v1/users', { token: limited.adminToken(0) })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('serves the OpenAPI 3.1 document generated from the route schemas, and the docs UI', async () => {
    const doc = await h.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.json.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/users',
        '/v1/users/{user_id}/sessions',
        '/v1/conversations/{conversation_id}/members/me',
        '/v1/conversations/{conversation_id}/events/{event_id}',
        '/v1/legs/{leg_id}',
      ]),
    );
    const listEvents = doc.json.paths['/v1/conversations/{conversation_id}/events'].get;
    expect(listEvents.parameters.map((p: any) => p.name)).toEqual(
      expect.arrayContaining(['start_id', 'exclude_deleted_events', 'page_size']),
    );
    const ref: string = listEvents.responses['4XX'].content['application/json'].schema.$ref;
    expect(doc.json.components.schemas[ref.split('/').pop()!]).toMatchObject({
      required: expect.arrayContaining(['code', 'instance']),
    });
    const docs = await fetch(`${h.base}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('records member state changes, compares states case-insensitively and refuses impossible transitions', async () => {
    const user = (await call('POST', '/v1/users', { name: 'carol' })).json;
    const conversation = (await call('POST', '/v1/conversations', { name: 'states' })).json;
    const base = `/v1/conversations/${conversation.id}`;
    const invited = await call('POST', `${base}/members`, {
      state: 'Invited',
      user: { name: 'carol' },
      channel: { type: 'app', user: 'carol' },
    });
    expect(invited.status).toBe(201);
    expect(invited.json).toMatchObject({
      state: 'INVITED',
      _embedded: { user: { id: user.id, name: 'carol' } },
      channel: { type: 'app', to: { type: 'app', user: 'carol' } },
      initiator: { invited: { is_system: true } },
    });
    expect(invited.json._links.href).toBe(`${PUBLIC_URL}${base}/members/${invited.json.id}`);
    const nested = await call('POST', `${base}/members`, {
      state: 'JOINED',
      user: { name: (await call('POST', '/v1/users', { name: 'carl' })).json.name },
      channel: { type: 'phone', from: { type: 'phone' }, to: { type: 'phone', number: '14155550100' } },
    });
    expect(nested.json.channel).toEqual({
      type: 'phone',
      from: { type: 'phone' },
      to: { type: 'phone', number: '14155550100' },
    });
    const again = await call('POST', `${base}/members`, {
      state: 'invited',
      user: { id: user.id },
      channel: { type: 'app' },
    });
    expect(again.json.code).toBe('conversation:error:already-member');

    const member = `${base}/members/${invited.json.id}`;
    expect((await call('PATCH', member, { state: 'joined' })).json.state).toBe('JOINED');
    expect((await call('PATCH', member, { state: 'JOINED' })).json.code).toBe(
      'conversation:error:member-already-joined',
    );
    const left = await call('PATCH', member, { state: 'Left', reason: { code: 'x1', text: 'bye' } });
    expect(left.json.state).toBe('LEFT');
    expect((await call('PATCH', member, { state: 'joined' })).json.code).toBe(
      'conversation:error:invalid-member-state',
    );

    const events = (await call('GET', `${base}/events`)).json;
    expect(events._embedded.map((e: any) => e.type)).toEqual([
      'member:invited',
      'member:joined',
      'member:joined',
      'member:left',
    ]);
    expect(events._embedded[3]).toMatchObject({
      from: invited.json.id,
      body: { member_id: invited.json.id, reason: { code: 'x1', text: 'bye' } },
      _embedded: { from_member: { id: invited.json.id }, from_user: { id: user.id, name: 'carol' } },
    });
    expect(left.json.timestamp.left).toBe(events._embedded[3].timestamp);

    const mine = await call('GET', `/v1/users/${user.id}/conversations?state=left`);
    expect(mine.json._embedded.conversations).toEqual([
      expect.objectContaining({ id: conversation.id, _embedded: { id: invited.json.id, state: 'LEFT' } }),
    ]);
    expect(
      (await call('GET', `/v1/users/${user.id}/conversations?state=joined`)).json._embedded.conversations,
    ).toEqual([]);
  });

  it('filters and shapes event lists (Java gets {events}), deletes events and cascades a conversation delete', async () => {
    const conversation = (await call('POST', '/v1/conversations', { name: 'events' })).json;
    const base = `/v1/conversations/${conversation.id}`;
    for (let n = 0; n < 4; n++) {
      expect(
        (await call('POST', `${base}/events`, { type: n % 2 === 0 ? 'custom:a' : 'message', body: { n } }))
          .status,
      ).toBe(201);
    }
    expect(
      (await call('GET', `${base}/events?event_type=custom:a`)).json._embedded.map((e: any) => e.id),
    ).toEqual([1, 3]);
    expect(
      (await call('GET', `${base}/events?start_id=2&end_id=3`)).json._embedded.map((e: any) => e.id),
    ).toEqual([2, 3]);
    const java = await h.call('GET', `${base}/events`, {
      token: admin,
      headers: { 'user-agent': 'vonage-java-sdk/8.9.1 java/17' },
    });
    expect(java.json._embedded.events.map((e: any) => e.id)).toEqual([1, 2, 3, 4]);

    expect((await call('DELETE', `${base}/events/2`)).status).toBe(204);
    expect((await call('DELETE', `${base}/events/2`)).status).toBe(204);
    expect((await call('GET', `${base}/events/2`)).json.body).toEqual({});
    const kept = (await call('GET', `${base}/events?exclude_deleted_events=true`)).json._embedded;
    expect(kept.map((e: any) => e.id)).toEqual([1, 3, 4, 5]);
    expect(kept[3]).toMatchObject({ type: 'event:delete', body: { event_id: 2 } });
    expect((await call('GET', `${base}/events/99`)).json.code).toBe('event:error:not-found');
    expect((await call('GET', base)).json.sequence_number).toBe(5);

    const user = (await call('POST', '/v1/users', { name: 'dave' })).json;
    const member = (
      await call('POST', `${base}/members`, {
        state: 'joined',
        user: { id: user.id },
        channel: { type: 'app' },
      })
    ).json;
    expect((await call('DELETE', base)).status).toBe(204);
    expect((await call('GET', base)).json.code).toBe('conversation:error:not-found');
    expect(await h.repos.members.get(h.apps[0].application.id, conversation.id, member.id)).toBeNull();
    expect(await h.repos.events.get(h.apps[0].application.id, conversation.id, 1)).toBeNull();
    expect((await call('GET', `/v1/users/${user.id}/conversations`)).json._embedded.conversations).toEqual(
      [],
    );
  });

  it('hangs a leg up through the pipeline and refuses a second hangup; unknown legs are 404', async () => {
    const conversation = (await call('POST', '/v1/conversations', { name: 'legs' })).json;
    const leg = await h.repos.legs.create(h.apps[0].application.id, {
      conversationId: conversation.id,
      type: 'sip',
      direction: 'outbound',
      from: { type: 'sip', uri: 'sip:a@example.com' },
      to: { type: 'sip', uri: 'sip:b@example.com' },
    });
    expect(
      (await call('GET', `/v1/legs?conversation_id=${conversation.id}`)).json._embedded.legs.map(
        (l: any) => l.id,
      ),
    ).toEqual([leg.id]);
    expect((await call('DELETE', `/v1/legs/${leg.id}`)).status).toBe(204);
    const ended = (await call('GET', `/v1/legs/${leg.id}`)).json;
    expect(ended.status).toBe('completed');
    expect(ended.timestamp.ended).not.toBeNull();
    const events = (await call('GET', `/v1/conversations/${conversation.id}/events`)).json._embedded;
    expect(events).toEqual([
      expect.objectContaining({
        type: 'leg:status:update',
        body: expect.objectContaining({ leg_id: leg.id, status: 'completed' }),
      }),
    ]);
    expect((await call('DELETE', `/v1/legs/${leg.id}`)).json.code).toBe('leg:error:complete');
    expect((await call('DELETE', '/v1/legs/00000000-0000-4000-8000-000000000000')).json.code).toBe(
      'leg:error:not-found',
    );
  });

  it('filters conversations by creation date, in both the ISO and the Java SDK formats', async () => {
    const before = new Date(Date.now() - 60_000).toISOString();
    const created = (await call('POST', '/v1/conversations', { name: 'dated' })).json;
    const later = new Date(Date.now() + 60_000).toISOString();
    const inRange = await call(
      'GET',
      `/v1/conversations?page_size=100&date_start=${encodeURIComponent(before)}`,
    );
    expect(inRange.json._embedded.conversations.map((c: any) => c.id)).toContain(created.id);
    const javaStyle = later.replace('T', ' ').replace(/\.\d+Z$/, '');
    const none = await call('GET', `/v1/conversations?date_start=${encodeURIComponent(javaStyle)}`);
    expect(none.json._embedded.conversations).toEqual([]);
    expect((await call('GET', '/v1/conversations?date_start=yesterday')).status).toBe(400);
  });
});
