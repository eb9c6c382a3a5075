import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppSocketClosedInfo } from '../../../src/channels/index.js';
import { startRig, until, type Rig } from './rig.js';

const PING_MS = 200;
const CAP = 256 * 1024;

describe('App channel robustness: refused upgrades, dead peers, slow consumers', () => {
  let rig: Rig;

  beforeAll(async () => {
    // Node 0 pings often (dead-peer tests); node 1 pings rarely, so that only the buffer cap ends a slow reader.
    rig = await startRig({
      nodes: 2,
      tuning: [
        {
          pingIntervalMs: PING_MS,
          maxBufferedBytes: CAP,
          closeGraceMs: 300,
          maxPayloadBytes: 4096,
          maxSocketsPerUser: 2,
        },
        { pingIntervalMs: 30_000, maxBufferedBytes: CAP, closeGraceMs: 300 },
      ],
    });
  });

  afterAll(async () => {
    await rig.close();
  });

  it('refuses bad tokens with 401, admin tokens and ACLs without sessions with 403, unknown users with 404', async () => {
    await rig.conversationWith(['olga']);
    const cases: [string | null, number, string][] = [
      [null, 401, 'system:error:invalid-token'],
      ['not-a-jwt', 401, 'system:error:invalid-token'],
      [rig.foreignKeyToken('olga'), 401, 'system:error:invalid-token'],
      [rig.adminToken(), 403, 'system:error:permission'],
      [rig.clientToken('olga', { paths: { '/*/conversations/**': {} } }), 403, 'system:error:permission'],
      [rig.clientToken('nobody-by-that-name'), 404, 'user:error:not-found'],
    ];
    for (const [token, status, code] of cases) {
      const refused = await rig.refused(0, token);
      expect({ status: refused.status, code: refused.json.code }).toEqual({ status, code });
      expect(refused.json).toMatchObject({
        title: expect.any(String),
        detail: expect.any(String),
        instance: expect.any(String),
      });
    }
    const plain = await fetch(`${rig.nodes[0]!.base}/v1/realtime`);
    expect(plain.status).toBe(426);
  });

  it('caps the sockets of one user, and closes a socket that sends an oversized message with 1009', async () => {
    await rig.conversationWith(['sol']);
    const token = rig.clientToken('sol');
    const one = await rig.connect(0, token);
    const two = await rig.connect(0, token);
    const third = await rig.refused(0, token);
    expect({ status: third.status, code: third.json.code }).toEqual({
      status: 429,
      code: 'http:error:too-many-requests',
    });
    const closed = new Promise<number>((resolve) => two.ws.once('close', resolve));
    two.ws.send('x'.repeat(5000));
    expect(await closed).toBe(1009);
    // The slot of the closed socket is free again.
    await until(
      async () => {
        try {
          await (await rig.connect(0, token)).close();
          return true;
        } catch {
          return false;
        }
      },
      3000,
      'a free slot',
    );
    await one.close();
  });

  it('terminates a peer that stops answering pings within two intervals, and drops its session', async () => {
    const { users } = await rig.conversationWith(['pia']);
    const dead = new Promise<number>((resolve) =>
      rig.nodes[0]!.channel.observer.once('dead', () => resolve(Date.now())),
    );
    // A raw TCP client that completes the handshake and then never reads or answers anything.
    const socket = connect(Number(new URL(rig.nodes[0]!.base).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      'GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        `Authorization: Bearer ${rig.clientToken('pia')}\r\n\r\n`,
    );
    const head = await new Promise<string>((resolve) =>
      socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))),
    );
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    const opened = Date.now();
    await until(
      async () =>
        (await rig.call(0, 'GET', `/v1/users/${users.pia}/sessions`)).json._embedded.sessions.length === 1,
      3000,
      'session',
    );
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('data', () => undefined);
    const diedAt = await dead;
    await closed;
    // It was given one full interval to answer, and was gone before a third ping was due.
    expect(diedAt - opened).toBeGreaterThanOrEqual(PING_MS);
    expect(diedAt - opened).toBeLessThan(3 * PING_MS + 500);
    await until(
      async () =>
        (await rig.call(0, 'GET', `/v1/users/${users.pia}/sessions`)).json._embedded.sessions.length === 0,
      3000,
      'session gone',
    );
  });

  it('keeps a peer that answers pings alive across many intervals', async () => {
    await rig.conversationWith(['quinn']);
    const socket = await rig.connect(0, rig.clientToken('quinn'));
    await new Promise((wake) => setTimeout(wake, PING_MS * 5));
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    await socket.close();
  });

  it('closes a consumer that stopped reading with 1013 once its buffer cap is reached, without growing past it', async () => {
    const { conversationId } = await rig.conversationWith(['rob']);
    // A paused client reads nothing; 60 KiB events posted in parallel fill the kernel's socket buffers and
    // then the server's.
    const socket = await rig.connect(1, rig.clientToken('rob'));
    await socket.waitFrame((f) => f.type === 'ready');
    const closedInfo = new Promise<AppSocketClosedInfo>((resolve) =>
      rig.nodes[1]!.channel.observer.once('close', resolve),
    );
    socket.ws.pause();
    const text = 'x'.repeat(60 * 1024);
    let done = false;
    void closedInfo.then(() => (done = true));
    for (let batch = 0; batch < 40 && !done; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          rig.call(0, 'POST', `/v1/conversations/${conversationId}/events`, {
            body: { type: 'custom:big', body: { text } },
          }),
        ),
      );
    }
    const info = await closedInfo;
    expect(info.sentCode).toBe(1013);
    expect(info.maxBufferedBytes).toBeLessThanOrEqual(CAP + 64 * 1024);
    await until(() => rig.nodes[1]!.channel.connectionCount === 0, 3000, 'connection released');
    // The client, reading again, sees the socket end (with 1013 when the close frame got through in time).
    const ended = new Promise<number>((resolve) => socket.ws.once('close', resolve));
    socket.ws.resume();
    expect([1013, 1006]).toContain(await ended);
  });
});
