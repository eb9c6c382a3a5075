import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  SipTransportError,
  StreamFramer,
  createTransportLayer,
  getTopVia,
  parseMessage,
  type SipRequest,
  type TransportLayer,
} from '../../src/sip/index.js';
import { UdpPeer, attachMinimalUas, tcpPeer } from './minimalUas.js';
import { UAS_ANSWER, fixture, manifest, mutations } from './rfc4475Expectations.js';

const layers: TransportLayer[] = [];
const peers: UdpPeer[] = [];
afterEach(async () => {
  peers.splice(0).forEach((p) => p.close());
  await Promise.all(layers.splice(0).map((l) => l.close()));
});

async function start(
  options: Partial<Parameters<typeof createTransportLayer>[0]> = {},
): Promise<TransportLayer> {
  const layer = await createTransportLayer({ host: '127.0.0.1', udpPort: 0, tcpPort: 0, ...options });
  layers.push(layer);

  return layer;
}

async function udpPeer(): Promise<UdpPeer> {
  const p = await UdpPeer.open();
  peers.push(p);

  return p;
}

const options = (via: string, extra: string[] = []): string =>
  [
    'OPTIONS sip:uas@127.0.0.1 SIP/2.0',
    `Via: ${via}`,
    'Max-Forwards: 70',
    'To: <sip:uas@127.0.0.1>',
    'From: <sip:uac@127.0.0.1>;tag=1',
    'Call-ID: transport-test',
    'CSeq: 1 OPTIONS',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

// Answers to broken requests echo their broken headers, so only the status line is read here.
function statusOf(data: Buffer | null): number | null {
  const m = data === null ? null : /^SIP\/2\.0 ([0-9]{3}) /.exec(data.toString('latin1'));

  return m === null ? null : Number(m[1]);
}

function firstResponse(data: Buffer): { status: number | null } | null {
  const out = new StreamFramer(65535).push(data).find((o) => o.type === 'message');

  return out?.type === 'message' ? { status: statusOf(out.data) } : null;
}

const HAS_LENGTH = /^(content-length|l)[ \t]*:/im;

describe('transport layer against the RFC 4475 messages', () => {
  it('answers every message over real UDP as the manifest expects, and keeps serving', async () => {
    const layer = await start();
    attachMinimalUas(layer);
    const port = layer.localEndpoint('udp')!.port;
    const peer = await udpPeer();
    for (const c of manifest.cases) {
      const name = c.file.replace('.dat', '');
      const allowed = UAS_ANSWER[name]!.map((a) => (a === 'proceed' ? 200 : a === 'drop' ? null : a));
      peer.send(fixture(c.file), port);
      const answer = await peer.next(allowed.includes(null) ? 150 : 2000);
      expect(allowed, name).toContain(statusOf(answer));
    }
    peer.send(options('SIP/2.0/UDP uac.example.com;branch=z9hG4bKafter'), port);
    expect(statusOf(await peer.next(2000))).toBe(200);
    expect(layer.counters.dropped['malformed-response']).toBe(2);
    expect(layer.counters.rejected).toBeGreaterThanOrEqual(15);
  });

  it('keeps serving over UDP after 500 mutated torture messages', async () => {
    const layer = await start();
    attachMinimalUas(layer);
    const port = layer.localEndpoint('udp')!.port;
    const peer = await udpPeer();
    const accounted = (): number => {
      const c = layer.counters;

      return (
        c.received.udp +
        c.dropped['malformed-request'] +
        c.dropped['malformed-response'] +
        c.dropped['too-large'] +
        c.keepalives
      );
    };
    let sent = 0;
    for (const data of mutations(500, 99)) {
      peer.send(data, port);
      sent++;
      // Small bursts, each fully processed before the next, so that loopback never overflows a socket buffer.
      for (let wait = 0; sent % 10 === 0 && accounted() < sent && wait < 1000; wait++) {
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    while ((await peer.next(20)) !== null) {
      // Drain the answers to the mutated requests.
    }
    peer.send(options('SIP/2.0/UDP uac.example.com;branch=z9hG4bKalive'), port);
    let status: number | null = null;
    for (let i = 0; i < 5 && status !== 200; i++) {
      status = statusOf(await peer.next(2000));
    }
    expect(status).toBe(200);
    // Every datagram was either delivered upwards or counted as dropped, by reason.
    expect(accounted()).toBe(sent + 1);
  });

  it('answers every message over real TCP, closing the connection when the stream cannot be framed', async () => {
    const layer = await start({ tcpIdleTimeoutMs: 300 });
    attachMinimalUas(layer);
    const port = layer.localEndpoint('tcp')!.port;
    for (const c of manifest.cases) {
      const name = c.file.replace('.dat', '');
      const raw = fixture(c.file);
      const peer = await tcpPeer(port);
      peer.socket.write(raw);
      const head = raw.subarray(0, raw.indexOf('\r\n\r\n')).toString('latin1');
      if (!HAS_LENGTH.test(head) || !raw.includes('\r\n\r\n') || ['ncl', 'mcl01', 'clerr'].includes(name)) {
        // No or unusable Content-Length on a stream, or bytes that never complete a message (clerr, and
        // baddn whose header section never ends): the connection is closed, at once or when idle.
        expect(await peer.waitFor(() => peer.closed(), 2000), name).toBe(true);
        expect(firstResponse(peer.received()), name).toBeNull();
        continue;
      }
      const allowed = UAS_ANSWER[name]!.map((a) => (a === 'proceed' ? 200 : a === 'drop' ? null : a));
      await peer.waitFor((b) => firstResponse(b) !== null, allowed.includes(null) ? 150 : 2000);
      expect(allowed, name).toContain(firstResponse(peer.received())?.status ?? null);
      peer.socket.destroy();
    }
    const peer = await tcpPeer(port);
    peer.socket.write(options('SIP/2.0/TCP uac.example.com;branch=z9hG4bKafter'));
    expect(await peer.waitFor((b) => firstResponse(b)?.status === 200, 2000)).toBe(true);
    peer.socket.destroy();
    expect(layer.counters.dropped['stream-framing']).toBeGreaterThanOrEqual(2);
  });
});

describe('transport layer behaviour', () => {
  it('fails to start on a port in use with a SipTransportError naming it, and leaves nothing bound', async () => {
    const blocker = createSocket('udp4');
    await new Promise<void>((r) => blocker.bind(0, '127.0.0.1', r));
    const busyUdp = blocker.address().port;
    const err = await createTransportLayer({ host: '127.0.0.1', udpPort: busyUdp, tcpPort: null }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SipTransportError);
    expect(err).toMatchObject({ transport: 'udp', host: '127.0.0.1', port: busyUdp, code: 'EADDRINUSE' });
    blocker.close();

    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const busyTcp = (server.address() as { port: number }).port;
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', r));
    const freeUdp = probe.address().port;
    probe.close();
    const err2 = await createTransportLayer({ host: '127.0.0.1', udpPort: freeUdp, tcpPort: busyTcp }).catch(
      (e: unknown) => e,
    );
    expect(err2).toMatchObject({ name: 'SipTransportError', transport: 'tcp', port: busyTcp });
    expect((err2 as Error).message).toContain(`127.0.0.1:${busyTcp}`);
    // The UDP listener that did start was closed again: its port can be bound.
    const again = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.bind(freeUdp, '127.0.0.1', resolve);
    });
    again.close();
    server.close();
  });

  it('fills received and rport, and routes UDP responses per RFC 3261 §18.2.2 without forced rport', async () => {
    const layer = await start({ forceRport: false });
    attachMinimalUas(layer);
    const seen: SipRequest[] = [];
    layer.on('request', (r) => seen.push(r));
    const port = layer.localEndpoint('udp')!.port;
    const peer = await udpPeer();

    peer.send(options('SIP/2.0/UDP uac.example.com:5099;branch=z9hG4bKr1;rport'), port);
    const answer = await peer.next(2000);
    expect(statusOf(answer)).toBe(200);
    expect(getTopVia(seen[0]!).params).toMatchObject({ received: '127.0.0.1', rport: String(peer.port) });
    expect(getTopVia(parseMessage(answer!)).params.rport).toBe(String(peer.port));

    // Without rport the answer goes to received at the sent-by port, here the peer's own port.
    peer.send(options(`SIP/2.0/UDP localhost:${peer.port};branch=z9hG4bKr2`), port);
    expect(statusOf(await peer.next(2000))).toBe(200);
    expect(getTopVia(seen[1]!).params).toEqual({ branch: 'z9hG4bKr2', received: '127.0.0.1' });

    // Without rport and with another sent-by port, nothing comes back to the source port.
    peer.send(options('SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKr3'), port);
    expect(await peer.next(200)).toBeNull();
  });

  it('reuses the TCP connection a request came on, for the response and for requests to that peer', async () => {
    const layer = await start();
    attachMinimalUas(layer);
    const port = layer.localEndpoint('tcp')!.port;
    const peer = await tcpPeer(port);
    peer.socket.write(options('SIP/2.0/TCP uac.example.com;branch=z9hG4bKt1'));
    expect(await peer.waitFor((b) => firstResponse(b)?.status === 200, 2000)).toBe(true);
    expect(layer.counters.tcpConnections).toBe(1);
    const request = parseMessage(Buffer.from(options('SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKback')));
    await layer.send(request, { transport: 'tcp', address: '127.0.0.1', port: peer.socket.localPort! });
    expect(await peer.waitFor((b) => b.includes('z9hG4bKback'), 2000)).toBe(true);
    expect(layer.counters.tcpConnections).toBe(1);
    peer.socket.write('\r\n\r\n');
    expect(await peer.waitFor((b) => b.toString().endsWith('\r\n\r\n\r\n'), 2000)).toBe(true);
    peer.socket.destroy();
  });

  it('closes idle TCP connections and oversized streams; answers oversized datagrams with 413', async () => {
    const layer = await start({ tcpIdleTimeoutMs: 200, maxMessageSize: 1500 });
    attachMinimalUas(layer);
    const idle = await tcpPeer(layer.localEndpoint('tcp')!.port);
    expect(await idle.waitFor(() => idle.closed(), 3000)).toBe(true);

    const big = options('SIP/2.0/TCP uac.example.com;branch=z9hG4bKbig', [`X-Padding: ${'x'.repeat(2000)}`]);
    const tcp = await tcpPeer(layer.localEndpoint('tcp')!.port);
    tcp.socket.write(big);
    expect(await tcp.waitFor(() => tcp.closed(), 2000)).toBe(true);
    expect(layer.counters.dropped['too-large']).toBe(1);

    const peer = await udpPeer();
    peer.send(big.replace('/TCP', '/UDP'), layer.localEndpoint('udp')!.port);
    expect(statusOf(await peer.next(2000))).toBe(413);
  });

  it('drops a malformed request whose Via cannot be read, and a malformed response, without answering', async () => {
    const layer = await start();
    attachMinimalUas(layer);
    const peer = await udpPeer();
    peer.send(
      'OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: not a via\r\nCSeq: 1 OPTIONS\r\nTo: "broken\r\n\r\n',
      layer.localEndpoint('udp')!.port,
    );
    peer.send(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nCSeq: 99999999999 OPTIONS\r\n\r\n',
      layer.localEndpoint('udp')!.port,
    );
    expect(await peer.next(200)).toBeNull();
    expect(layer.counters.dropped).toMatchObject({ 'malformed-request': 1, 'malformed-response': 1 });
    expect(layer.counters.rejected).toBe(0);
  });

  it('keeps serving when a request listener throws', async () => {
    const layer = await start();
    layer.on('request', () => {
      throw new Error('application bug');
    });
    attachMinimalUas(layer);
    const peer = await udpPeer();
    peer.send(options('SIP/2.0/UDP uac.example.com;branch=z9hG4bKthrow'), layer.localEndpoint('udp')!.port);
    expect(statusOf(await peer.next(2000))).toBe(200);
  });

  it('refuses to send to broadcast, multicast or DNS names', async () => {
    const layer = await start();
    const request = parseMessage(Buffer.from(options('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKb')));
    for (const address of ['255.255.255.255', '224.0.0.1', 'example.com']) {
      await expect(layer.send(request, { transport: 'udp', address, port: 5060 })).rejects.toBeInstanceOf(
        SipTransportError,
      );
    }
    expect(layer.counters.dropped.unroutable).toBe(3);
  });
});
