import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { type TrunkConfig } from '../../src/config/index.js';
import { loopbackTrunk } from '../support/trunk.js';
import {
  answerChallenge,
  getCallId,
  getHeader,
  parseMessage,
  SipUserAgent,
  type SipResponse,
} from '../../src/sip/index.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) {
    await fn();
  }
});

function trunk(overrides: Partial<TrunkConfig> = {}): TrunkConfig {
  return loopbackTrunk({ limits: { maxCalls: 100, cps: 100 }, ...overrides });
}

async function startUa(
  trunks: TrunkConfig[],
  nonceLifetimeMs?: number,
): Promise<{ ua: SipUserAgent; port: number }> {
  const ua = await SipUserAgent.start({
    host: '127.0.0.1',
    udpPort: 0,
    tcpPort: null,
    trunks,
    timers: { t1: 50 },
    nonceLifetimeMs,
  });
  cleanup.push(() => ua.close());

  return { ua, port: ua.transport.localEndpoint('udp')!.port };
}

/** A UDP client bound to `address` that collects responses. */
async function client(address = '127.0.0.1'): Promise<{
  socket: Socket;
  port: number;
  send: (text: string, port: number) => void;
  next: (ms?: number) => Promise<SipResponse | null>;
}> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  cleanup.push(() => socket.close());
  const queue: Buffer[] = [];
  let wake: (() => void) | null = null;
  socket.on('message', (m) => {
    queue.push(m);
    wake?.();
  });

  return {
    socket,
    port: socket.address().port,
    send: (text, port) => socket.send(Buffer.from(text), port, '127.0.0.1'),
    next: async (ms = 500) => {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, ms);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = null;
      }
      const data = queue.shift();

      return data === undefined ? null : (parseMessage(data) as SipResponse);
    },
  };
}

let seq = 0;
let lastCallId = '';
function request(
  method: string,
  from: { address: string; port: number },
  to: number,
  extra: string[] = [],
  body = '',
): string {
  seq++;
  lastCallId = `call-${seq}-${Math.random()}`;

  return [
    `${method} sip:15550001000@127.0.0.1:${to} SIP/2.0`,
    `Via: SIP/2.0/UDP ${from.address}:${from.port};branch=z9hG4bK-test-${seq}-${Math.random().toString(36).slice(2)}`,
    'Max-Forwards: 70',
    `From: <sip:caller@${from.address}>;tag=f${seq}`,
    'To: <sip:15550001000@127.0.0.1>',
    `Call-ID: ${lastCallId}`,
    `CSeq: 1 ${method}`,
    `Contact: <sip:caller@${from.address}:${from.port}>`,
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** The final response to the last request sent (provisional responses and retransmissions skipped). */
async function final(c: Awaited<ReturnType<typeof client>>): Promise<SipResponse | null> {
  for (;;) {
    const r = await c.next();
    if (r === null || (r.status >= 200 && getCallId(r) === lastCallId)) {
      return r;
    }
  }
}

describe('SipUserAgent', () => {
  it('answers OPTIONS 200 with Allow', async () => {
    const { port } = await startUa([trunk()]);
    const c = await client();
    c.send(request('OPTIONS', { address: '127.0.0.1', port: c.port }, port), port);
    const r = await final(c);
    expect(r?.status).toBe(200);
    expect(r && getHeader(r, 'Allow')).toContain('INFO');
  });

  it('drops scanners and unknown sources silently, allocating no transaction', async () => {
    const { ua, port } = await startUa([trunk()]);
    const scanner = await client();
    scanner.send(
      request('OPTIONS', { address: '127.0.0.1', port: scanner.port }, port, [
        'User-Agent: friendly-scanner',
      ]),
      port,
    );
    const stranger = await client('127.0.0.3');
    stranger.send(request('INVITE', { address: '127.0.0.3', port: stranger.port }, port), port);
    stranger.send('GARBAGE / SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.3:1;branch=z9hG4bKx\r\n\r\n', port);
    expect(await scanner.next(300)).toBeNull();
    expect(await stranger.next(300)).toBeNull();
    expect(ua.guard.dropped).toEqual({ scanner: 1, 'unknown-source': 2 });
    expect(ua.transactions.counters.serverTransactions).toBe(0);
    expect(ua.transport.counters.rejected).toBe(0);
  });

  it('answers 481 to a BYE outside any dialog and 503 with Retry-After above the calls-per-second limit', async () => {
    const { ua, port } = await startUa([trunk({ limits: { maxCalls: 100, cps: 2 } })]);
    ua.on('invite', (call) => {
      call.reject(486);
    });
    const c = await client();
    c.send(
      request('BYE', { address: '127.0.0.1', port: c.port }, port).replace(
        'To: <sip:15550001000@127.0.0.1>',
        'To: <sip:15550001000@127.0.0.1>;tag=nope',
      ),
      port,
    );
    expect((await final(c))?.status).toBe(481);
    // Four INVITEs at once: the bucket holds two, so two pass and two are refused whatever the timing.
    for (let i = 0; i < 4; i++) {
      c.send(request('INVITE', { address: '127.0.0.1', port: c.port }, port), port);
    }
    const finals = new Map<string, SipResponse>();
    while (finals.size < 4) {
      const r = await c.next(2000);
      if (r === null) {
        break;
      }
      if (r.status >= 200) {
        finals.set(getCallId(r), r);
      }
    }
    const statuses = [...finals.values()].map((r) => r.status).sort();
    const retryAfter = [...finals.values()].find((r) => r.status === 503);
    expect(statuses).toEqual([486, 486, 503, 503]);
    expect(retryAfter && getHeader(retryAfter, 'Retry-After')).toBe('1');
  });

  it('challenges with digest, accepts the answer once, refuses its replay, and marks expired nonces stale', async () => {
    const digest = { username: 'alice', password: 'pw', realm: 'confab.test' };
    const { ua, port } = await startUa([trunk({ inbound: { allow: ['127.0.0.1/32'], digest } })], 1500);
    let invites = 0;
    ua.on('invite', (call) => {
      invites++;
      call.reject(486);
    });
    const c = await client();
    const from = { address: '127.0.0.1', port: c.port };
    c.send(request('INVITE', from, port), port);
    const challenge = await final(c);
    expect(challenge?.status).toBe(401);
    const www = getHeader(challenge!, 'WWW-Authenticate')!;
    expect(www).toMatch(/qop="?auth/);
    const auth = answerChallenge(www, digest, 'INVITE', `sip:15550001000@127.0.0.1:${port}`)!;
    c.send(request('INVITE', from, port, [`Authorization: ${auth}`]), port);
    expect((await final(c))?.status).toBe(486);
    c.send(request('INVITE', from, port, [`Authorization: ${auth}`]), port);
    const replay = await final(c);
    expect(replay?.status).toBe(401);
    expect(getHeader(replay!, 'WWW-Authenticate')).not.toContain('stale');
    // Unknown user and wrong password get the same answer shape.
    const shape = (r: SipResponse | null): string =>
      (getHeader(r!, 'WWW-Authenticate') ?? '').replace(/nonce="[^"]*"/, 'nonce=""');
    c.send(
      request('INVITE', from, port, [
        `Authorization: ${answerChallenge(www, { username: 'mallory', password: 'pw' }, 'INVITE', `sip:15550001000@127.0.0.1:${port}`)!}`,
      ]),
      port,
    );
    const unknownUser = await final(c);
    c.send(
      request('INVITE', from, port, [
        `Authorization: ${answerChallenge(www, { username: 'alice', password: 'nope' }, 'INVITE', `sip:15550001000@127.0.0.1:${port}`)!}`,
      ]),
      port,
    );
    const wrongPassword = await final(c);
    expect(shape(unknownUser)).toBe(shape(wrongPassword));
    // A correct answer to an expired nonce: stale=true.
    c.send(request('INVITE', from, port), port);
    const fresh = getHeader((await final(c))!, 'WWW-Authenticate')!;
    await new Promise((resolve) => setTimeout(resolve, 1600));
    c.send(
      request('INVITE', from, port, [
        `Authorization: ${answerChallenge(fresh, digest, 'INVITE', `sip:15550001000@127.0.0.1:${port}`)!}`,
      ]),
      port,
    );
    expect(getHeader((await final(c))!, 'WWW-Authenticate')).toContain('stale=true');
    expect(invites).toBe(1);
  });
});
