import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { badAuthorizations } from './tokens.js';

/** Who calls: admin of the app, member user, non-member user, admin of another app. */
type Who = 'admin' | 'member' | 'nonMember' | 'otherAdmin';
const WHO: readonly Who[] = ['admin', 'member', 'nonMember', 'otherAdmin'];

/** Fresh tenant data for one cell, so that destructive calls never affect another cell. */
interface Fixture {
  alice: { id: string; name: string };
  mallory: { id: string; name: string };
  conversation: { id: string; name: string };
  memberId: string;
  eventId: number;
  legId: string;
  /** Strings of tenant data that must never appear in another tenant's (or a stranger's) response. */
  secrets: string[];
}

interface Route {
  method: string;
  path: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  expected: Record<Who, number>;
}

const route = (
  method: string,
  path: Route['path'],
  expected: [number, number, number, number],
  body?: Route['body'],
): Route => ({
  method,
  path,
  ...(body === undefined ? {} : { body }),
  expected: { admin: expected[0], member: expected[1], nonMember: expected[2], otherAdmin: expected[3] },
});

const c = (f: Fixture): string => `/v1/conversations/${f.conversation.id}`;

// Every route × caller → status. Clients: ACL first, then membership (404 for conversations they are not
// in, so ids cannot be probed), admin-only operations 403.
const ROUTES: Route[] = [
  route('GET', () => '/v1/users', [200, 200, 200, 200]),
  route(
    'POST',
    () => '/v1/users',
    [201, 403, 403, 201],
    () => ({ name: `n-${randomUUID()}` }),
  ),
  route('GET', (f) => `/v1/users/${f.alice.id}`, [200, 200, 200, 404]),
  route(
    'PATCH',
    (f) => `/v1/users/${f.alice.id}`,
    [200, 200, 403, 404],
    () => ({ display_name: 'Changed' }),
  ),
  route('DELETE', (f) => `/v1/users/${f.alice.id}`, [204, 403, 403, 404]),
  route('GET', (f) => `/v1/users/${f.alice.id}/conversations`, [200, 200, 403, 404]),
  route('GET', (f) => `/v1/users/${f.alice.id}/sessions`, [200, 200, 403, 404]),
  route('GET', () => '/v1/conversations', [200, 403, 403, 200]),
  route(
    'POST',
    () => '/v1/conversations',
    [200, 403, 403, 200],
    () => ({ name: `c-${randomUUID()}` }),
  ),
  route('GET', c, [200, 200, 404, 404]),
  route('PUT', c, [200, 403, 403, 404], () => ({ display_name: 'New' })),
  route('DELETE', c, [204, 403, 403, 404]),
  route('GET', (f) => `${c(f)}/members`, [200, 200, 404, 404]),
  route(
    'POST',
    (f) => `${c(f)}/members`,
    [201, 201, 404, 404],
    (f) => ({ state: 'invited', user: { id: f.mallory.id }, channel: { type: 'app' } }),
  ),
  route('GET', (f) => `${c(f)}/members/me`, [404, 200, 404, 404]),
  route('GET', (f) => `${c(f)}/members/${f.memberId}`, [200, 200, 404, 404]),
  route(
    'PATCH',
    (f) => `${c(f)}/members/${f.memberId}`,
    [200, 200, 404, 404],
    () => ({ state: 'left' }),
  ),
  route('GET', (f) => `${c(f)}/events`, [200, 200, 404, 404]),
  route(
    'POST',
    (f) => `${c(f)}/events`,
    [201, 201, 404, 404],
    () => ({ type: 'custom:x', body: { a: 1 } }),
  ),
  route('GET', (f) => `${c(f)}/events/${f.eventId}`, [200, 200, 404, 404]),
  route('DELETE', (f) => `${c(f)}/events/${f.eventId}`, [204, 204, 404, 404]),
  route('GET', () => '/v1/legs', [200, 403, 403, 200]),
  route('GET', (f) => `/v1/legs/${f.legId}`, [200, 403, 403, 404]),
  route('DELETE', (f) => `/v1/legs/${f.legId}`, [204, 403, 403, 404]),
];

const PLACEHOLDERS: Fixture = {
  alice: { id: '{user}', name: '' },
  mallory: { id: '', name: '' },
  conversation: { id: '{conversation}', name: '' },
  memberId: '{member}',
  eventId: 0,
  legId: '{leg}',
  secrets: [],
};

describe('access matrix: every route × every kind of caller', () => {
  let h: Harness;
  let bad: Record<string, string>;

  beforeAll(async () => {
    h = await startHarness();
    bad = await badAuthorizations(h);
  });

  afterAll(async () => {
    await h.close();
  });

  async function fixture(): Promise<Fixture> {
    const admin = { kind: 'admin', applicationId: h.apps[0].application.id } as const;
    const tag = randomUUID().slice(0, 8);
    const alice = await h.services.users.create(admin, { name: `alice-${tag}`, displayName: `Alice ${tag}` });
    const mallory = await h.services.users.create(admin, { name: `mallory-${tag}` });
    const conversation = await h.services.conversations.create(admin, {
      name: `secret-${tag}`,
      displayName: `Secret ${tag}`,
    });
    const member = await h.services.members.create(admin, conversation.id, {
      state: 'JOINED',
      user: { id: alice.id },
      channel: { type: 'app' },
    });
    const event = await h.services.events.create(admin, conversation.id, {
      type: 'message',
      from: member.member.id,
      body: { message_type: 'text', text: `whisper-${tag}` },
    });
    const leg = await h.repos.legs.create(admin.applicationId, {
      conversationId: conversation.id,
      type: 'phone',
      direction: 'inbound',
      from: { type: 'phone', number: '14155550100' },
      to: { type: 'phone', number: '14155550101' },
    });

    return {
      alice: { id: alice.id, name: alice.name },
      mallory: { id: mallory.id, name: mallory.name },
      conversation: { id: conversation.id, name: conversation.name },
      memberId: member.member.id,
      eventId: event.event.id,
      legId: leg.id,
      secrets: [
        alice.id,
        alice.name,
        `Alice ${tag}`,
        conversation.id,
        conversation.name,
        `Secret ${tag}`,
        member.member.id,
        `whisper-${tag}`,
        leg.id,
      ],
    };
  }

  function tokenOf(who: Who, f: Fixture): string {
    switch (who) {
      case 'admin':
        return h.adminToken(0);
      case 'member':
        return h.clientToken(f.alice.name, 0);
      case 'nonMember':
        return h.clientToken(f.mallory.name, 0);
      case 'otherAdmin':
        return h.adminToken(1);
    }
  }

  for (const r of ROUTES) {
    const label = `${r.method} ${r.path(PLACEHOLDERS)}`;

    it(`${label}: the expected status for each caller, and no foreign data`, async () => {
      for (const who of WHO) {
        const f = await fixture();
        const path = r.path(f);
        const body = r.body?.(f);
        const response = await h.call(r.method, path, {
          token: tokenOf(who, f),
          ...(body === undefined ? {} : { body }),
        });
        expect(response.status, `${who} ${r.method} ${path}: ${response.text}`).toBe(r.expected[who]);
        if (response.status >= 400) {
          expect(response.headers.get('content-type')).toMatch(/^application\/json/);
          expect(response.json).toHaveProperty('code');
        }
        if (who === 'otherAdmin' || who === 'nonMember' || response.status >= 400) {
          // What the caller sent may be echoed back; nothing else of the tenant may be.
          const sent = `${path} ${JSON.stringify(body ?? null)}`;
          const leaked = f.secrets.filter(
            (secret) => !sent.includes(secret) && response.text.includes(secret),
          );
          const allowed =
            who === 'nonMember' && r.method === 'GET' && path.startsWith('/v1/users')
              ? [f.alice.id, f.alice.name, `Alice ${f.alice.name.slice(6)}`]
              : [];
          expect(
            leaked.filter((secret) => !allowed.includes(secret)),
            `${who} ${r.method} ${path}`,
          ).toEqual([]);
        }
      }
    });

    it(`${label}: refuses every missing or bad token with one 401 body`, async () => {
      const f = await fixture();
      const bodies = new Set<string>();
      const kinds: [string, string | null][] = [['none', null], ...Object.entries(bad)];
      for (const [kind, authorization] of kinds) {
        const body = r.body?.(f);
        const response = await h.call(r.method, r.path(f), {
          token: null,
          headers: authorization === null ? {} : { authorization },
          ...(body === undefined ? {} : { body }),
        });
        expect(response.status, `${kind}: ${response.text}`).toBe(401);
        const { instance, ...rest } = response.json as Record<string, unknown>;
        expect(instance).toBeTypeOf('string');
        bodies.add(JSON.stringify(rest));
      }
      expect([...bodies]).toEqual([
        JSON.stringify({
          type: 'https://developer.nexmo.com/api/conversation#system:error:invalid-token',
          title: 'Invalid credentials supplied',
          code: 'system:error:invalid-token',
          detail: 'You did not provide correct credentials',
        }),
      ]);
    });
  }

  it('applies the ACL of a client token: a path outside it, or a method it does not list, is 403', async () => {
    const f = await fixture();
    const readOnly = h.clientToken(f.alice.name, 0, {
      paths: { '/*/conversations/**': { methods: ['GET'] } },
    });
    expect((await h.call('GET', `${c(f)}/events`, { token: readOnly })).status).toBe(200);
    const post = await h.call('POST', `${c(f)}/events`, {
      token: readOnly,
      body: { type: 'custom:x', body: {} },
    });
    expect(post.status).toBe(403);
    expect(post.json.code).toBe('system:error:permission');
    expect((await h.call('GET', `/v1/users/${f.alice.id}`, { token: readOnly })).status).toBe(403);
    const none = h.clientToken(f.alice.name, 0, { paths: {} });
    expect((await h.call('GET', c(f), { token: none })).status).toBe(403);
  });
});
