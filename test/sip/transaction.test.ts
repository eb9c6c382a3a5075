import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClientInviteTransaction,
  SipTransactionError,
  TransactionLayer,
  createResponse,
  createTransportLayer,
  getCSeq,
  getTo,
  getTopVia,
  parseMessage,
  serializeMessage,
  type ClientNonInviteTransaction,
  type Endpoint,
  type SipRequest,
  type SipResponse,
  type TransportLayer,
} from '../../src/sip/index.js';
import { UdpPeer } from './minimalUas.js';

const T1 = 20;
const resources: { close: () => unknown }[] = [];
afterEach(async () => {
  for (const r of resources.splice(0).reverse()) {
    await r.close();
  }
});

async function node(
  timerD?: number,
): Promise<{ transport: TransportLayer; layer: TransactionLayer; udp: Endpoint }> {
  const transport = await createTransportLayer({ host: '127.0.0.1', udpPort: 0, tcpPort: null });
  const layer = new TransactionLayer(transport, { timers: { t1: T1, timerD } });
  resources.push(transport, layer);

  return {
    transport,
    layer,
    udp: { transport: 'udp', address: '127.0.0.1', port: transport.localEndpoint('udp')!.port },
  };
}

async function peer(): Promise<UdpPeer> {
  const p = await UdpPeer.open();
  resources.push(p);

  return p;
}

function request(
  method: string,
  o: {
    branch?: string | null;
    callId?: string;
    cseq?: number;
    cseqMethod?: string;
    fromTag?: string;
    toTag?: string;
    port?: number;
  } = {},
): SipRequest {
  const lines = [
    `${method} sip:uas@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1${o.port === undefined ? '' : `:${o.port}`}${o.branch === null ? '' : `;branch=${o.branch ?? 'z9hG4bKdefault'}`}`,
    'Max-Forwards: 70',
    `To: <sip:uas@127.0.0.1>${o.toTag === undefined ? '' : `;tag=${o.toTag}`}`,
    `From: <sip:uac@127.0.0.1>;tag=${o.fromTag ?? 'f1'}`,
    `Call-ID: ${o.callId ?? 'call-1'}`,
    `CSeq: ${o.cseq ?? 1} ${o.cseqMethod ?? method}`,
    'Content-Length: 0',
    '',
    '',
  ];

  return parseMessage(Buffer.from(lines.join('\r\n'))) as SipRequest;
}

const raw = (m: SipRequest): string => {
  const lines = [
    `${m.method} sip:uas@127.0.0.1 SIP/2.0`,
    ...m.headers.map((h) => `${h.name}: ${h.value}`),
    '',
    '',
  ];

  return lines.join('\r\n');
};

async function collect(p: UdpPeer, ms: number): Promise<SipResponse[]> {
  const out: SipResponse[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    const d = left > 0 ? await p.next(left) : null;
    if (d === null) {
      return out;
    }
    out.push(parseMessage(d) as SipResponse);
  }
}

function finalOf(tx: ClientInviteTransaction | ClientNonInviteTransaction): Promise<SipResponse> {
  return new Promise((resolve, reject) => {
    tx.on('response', (r) => {
      if (r.status >= 200) {
        resolve(r);
      }
    });
    tx.on('timeout', reject);
  });
}

describe('non-INVITE transactions over real UDP', () => {
  it('completes a request/response between two instances and absorbs nothing extra', async () => {
    const uac = await node();
    const uas = await node();
    uas.layer.on('request', (tx) => tx.respond(200));
    const tx = uac.layer.sendRequest(request('OPTIONS', { branch: null }), uas.udp);
    expect((await finalOf(tx)).status).toBe(200);
    expect(tx.state).toBe('completed');
    await new Promise<void>((r) => tx.on('terminated', r));
    expect(uac.layer.counters.clientTransactions).toBe(0);
  });

  it('retransmits with timer E (doubling to T2) and gives up with timer F as a 408', async () => {
    const uac = await node();
    const silent = await peer();
    const tx = uac.layer.sendRequest(request('OPTIONS', { branch: null }), {
      transport: 'udp',
      address: '127.0.0.1',
      port: silent.port,
    });
    const error = await finalOf(tx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SipTransactionError);
    expect(error).toMatchObject({ kind: 'timeout', status: 408 });
    const received = await collect(silent, 50);
    // 64*T1 with T1=20, T2=160: sends at 0, 20, 60, 140, 300, 460, ... 1260 ms, i.e. 11 at most.
    expect(received.length).toBe(tx.retransmissions + 1);
    expect(tx.retransmissions).toBeGreaterThanOrEqual(8);
    expect(tx.retransmissions).toBeLessThanOrEqual(10);
    expect(uac.layer.counters.timeouts).toBe(1);
  });

  it('absorbs retransmitted requests in the server transaction and replays the last response', async () => {
    const uas = await node();
    const p = await peer();
    const seen: SipRequest[] = [];
    uas.layer.on('request', (tx, req) => {
      seen.push(req);
      tx.respond(200);
    });
    const opts = raw(request('OPTIONS', { branch: 'z9hG4bKabsorb', port: p.port }));
    p.send(opts, uas.udp.port);
    await collect(p, 100);
    p.send(opts, uas.udp.port);
    p.send(opts, uas.udp.port);
    const replays = await collect(p, 150);
    expect(seen).toHaveLength(1);
    expect(replays.map((r) => r.status)).toEqual([200, 200]);
    expect(uas.layer.counters.absorbedRetransmissions).toBe(2);
  });

  it('drops responses that match no client transaction', async () => {
    const uac = await node();
    const p = await peer();
    const stray = [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKnobody',
      'To: <sip:a@b>;tag=1',
      'From: <sip:c@d>;tag=2',
      'Call-ID: x',
      'CSeq: 1 OPTIONS',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    p.send(stray, uac.udp.port);
    await new Promise((r) => setTimeout(r, 100));
    expect(uac.layer.counters.strayResponses).toBe(1);
  });
});

describe('INVITE transactions over real UDP', () => {
  it('retransmits with timer A (doubling) and times out with timer B', async () => {
    const uac = await node();
    const silent = await peer();
    const tx = uac.layer.sendRequest(request('INVITE', { branch: null }), {
      transport: 'udp',
      address: '127.0.0.1',
      port: silent.port,
    });
    expect(tx).toBeInstanceOf(ClientInviteTransaction);
    const error = await finalOf(tx).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SipTransactionError', status: 408 });
    const received = await collect(silent, 50);
    // Sends at 0, 20, 60, 140, 300, 620 and perhaps 1260 ms before timer B at 1280 ms.
    expect(received.length).toBe(tx.retransmissions + 1);
    expect(tx.retransmissions).toBeGreaterThanOrEqual(5);
    expect(tx.retransmissions).toBeLessThanOrEqual(6);
  });

  it('ACKs a non-2xx final itself, and the server transaction is confirmed by that ACK', async () => {
    const uac = await node();
    const uas = await node();
    let serverAck: SipRequest | null = null;
    uas.layer.on('request', (tx) => {
      tx.on('ack', (ack) => {
        serverAck = ack;
      });
      tx.respond(486);
    });
    const tx = uac.layer.sendRequest(request('INVITE', { branch: null }), uas.udp) as ClientInviteTransaction;
    const statuses: number[] = [];
    tx.on('response', (r) => statuses.push(r.status));
    expect((await finalOf(tx)).status).toBe(486);
    await new Promise((r) => setTimeout(r, 100));
    // The TU answered in the turn the INVITE arrived, so no 100 Trying went out.
    expect(statuses).toEqual([486]);
    expect(tx.ack?.method).toBe('ACK');
    expect(getCSeq(tx.ack!)).toEqual({ seq: 1, method: 'ACK' });
    expect(getTo(tx.ack!).params.tag).toBeDefined();
    expect(getTopVia(tx.ack!).params.branch).toBe(getTopVia(tx.request).params.branch);
    expect(serverAck).not.toBeNull();
    expect(uas.layer.counters.absorbedRetransmissions).toBe(0);
  });

  it('sends 100 Trying only when the TU does not respond in the turn the INVITE arrived', async () => {
    const uas = await node();
    const p = await peer();
    uas.layer.on('request', (tx) => {
      setTimeout(() => tx.respond(180), 30);
    });
    p.send(raw(request('INVITE', { branch: 'z9hG4bKlater', port: p.port })), uas.udp.port);
    expect((await collect(p, 100)).map((r) => r.status)).toEqual([100, 180]);
  });

  it('resends a non-2xx final with timer G until timer H when no ACK comes', async () => {
    const uas = await node();
    const p = await peer();
    const timedOut = new Promise<void>((resolve) => {
      uas.layer.on('request', (tx) => {
        tx.on('ackTimeout', resolve);
        tx.respond(486);
      });
    });
    p.send(raw(request('INVITE', { branch: 'z9hG4bKnoack', port: p.port })), uas.udp.port);
    await timedOut;
    const received = await collect(p, 50);
    expect(received.map((r) => r.status)).not.toContain(100);
    const finals = received.filter((r) => r.status === 486);
    // G fires at 20, 60, 140, 300, 460, ... (capped at T2 = 160 ms) until H at 1280 ms.
    expect(finals.length).toBeGreaterThanOrEqual(8);
    expect(finals.length).toBeLessThanOrEqual(11);
  });

  it('resends a 2xx until the ACK arrives, then stops (RFC 3261 §13.3.1.4)', async () => {
    const uas = await node();
    const p = await peer();
    const acks: boolean[] = [];
    uas.layer.on('ack', (_ack, _src, matched) => acks.push(matched));
    uas.layer.on('request', (tx) => tx.respond(200));
    p.send(raw(request('INVITE', { branch: 'z9hG4bK2xx', port: p.port })), uas.udp.port);
    const before = await collect(p, 8 * T1);
    const oks = before.filter((r) => r.status === 200);
    expect(oks.length).toBeGreaterThanOrEqual(2);
    const tag = getTo(oks[0]!).params.tag!;
    p.send(raw(request('ACK', { branch: 'z9hG4bKack2xx', toTag: tag, port: p.port })), uas.udp.port);
    await collect(p, 3 * T1);
    const after = await collect(p, 10 * T1);
    expect(after).toEqual([]);
    expect(acks).toEqual([true]);
  });

  it('reports an unacknowledged 2xx after 64*T1', async () => {
    const uas = await node();
    const p = await peer();
    const timedOut = new Promise<void>((resolve) => {
      uas.layer.on('request', (tx) => {
        tx.on('ackTimeout', resolve);
        tx.respond(200);
      });
    });
    p.send(raw(request('INVITE', { branch: 'z9hG4bKnoack2xx', port: p.port })), uas.udp.port);
    await timedOut;
    expect((await collect(p, 50)).filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(8);
  });

  it('passes 2xx retransmissions to the UAC core until it ACKs (Accepted state)', async () => {
    const uac = await node();
    const uas = await node();
    uas.layer.on('request', (tx) => tx.respond(200));
    const tx = uac.layer.sendRequest(request('INVITE', { branch: null }), uas.udp);
    const oks: SipResponse[] = [];
    tx.on('response', (r) => {
      if (r.status === 200) {
        oks.push(r);
      }
    });
    const acked = new Promise<boolean>((resolve) =>
      uas.layer.on('ack', (_a, _s, matched) => resolve(matched)),
    );
    await new Promise((r) => setTimeout(r, 6 * T1));
    expect(tx.state).toBe('accepted');
    expect(oks.length).toBeGreaterThanOrEqual(2);
    const ack = request('ACK', { branch: null, toTag: getTo(oks[0]!).params.tag! });
    uac.layer.sendRequest(ack, uas.udp);
    expect(await acked).toBe(true);
  });

  it('cancels a pending INVITE: 200 for the CANCEL, 487 for the INVITE, ACKed by the client', async () => {
    const uac = await node();
    const uas = await node();
    const cancelled = new Promise<SipRequest>((resolve) => {
      uas.layer.on('request', (tx) => {
        tx.on('cancelled', resolve);
        tx.respond(180);
      });
    });
    const invite = uac.layer.sendRequest(
      request('INVITE', { branch: null }),
      uas.udp,
    ) as ClientInviteTransaction;
    const cancelFinal = new Promise<SipResponse>((resolve) => {
      uac.layer.cancel(invite, uas.udp, (c) => {
        void finalOf(c).then(resolve);
      });
    });
    expect((await finalOf(invite)).status).toBe(487);
    expect((await cancelFinal).status).toBe(200);
    expect((await cancelled).method).toBe('CANCEL');
    expect(invite.ack?.method).toBe('ACK');
  });

  it('answers 481 to a CANCEL that matches nothing, and 482 to a merged request', async () => {
    const uas = await node();
    const p = await peer();
    uas.layer.on('request', (tx) => tx.respond(180));
    p.send(raw(request('CANCEL', { branch: 'z9hG4bKlonely', port: p.port })), uas.udp.port);
    expect((await collect(p, 100)).map((r) => r.status)).toEqual([481]);
    p.send(raw(request('INVITE', { branch: 'z9hG4bKfirst', port: p.port })), uas.udp.port);
    expect((await collect(p, 100)).map((r) => r.status)).toEqual([180]);
    p.send(raw(request('INVITE', { branch: 'z9hG4bKsecond', port: p.port })), uas.udp.port);
    const merged = await collect(p, 100);
    expect(merged.map((r) => r.status)).toContain(482);
    expect(uas.layer.counters.mergedRequests).toBe(1);
  });

  it('matches RFC 2543 requests without a branch: retransmissions absorbed, ACK confirms', async () => {
    const uas = await node();
    const p = await peer();
    const seen: SipRequest[] = [];
    let acked = false;
    uas.layer.on('request', (tx, req) => {
      seen.push(req);
      tx.on('ack', () => {
        acked = true;
      });
      tx.respond(603);
    });
    const invite = raw(request('INVITE', { branch: null, port: p.port, callId: 'rfc2543' }));
    p.send(invite, uas.udp.port);
    const first = await collect(p, 3 * T1);
    p.send(invite, uas.udp.port);
    await collect(p, 10);
    const tag = getTo(first.find((r) => r.status === 603)!).params.tag!;
    p.send(raw(request('ACK', { branch: null, port: p.port, callId: 'rfc2543', toTag: tag })), uas.udp.port);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(1);
    expect(acked).toBe(true);
    expect(uas.layer.counters.absorbedRetransmissions).toBe(1);
  });
});

describe('client transactions absorb retransmitted finals', () => {
  it('INVITE: a repeated 486 is ACKed again but reaches the TU once; timer D then ends the transaction', async () => {
    const uac = await node(200);
    const p = await peer();
    const tx = uac.layer.sendRequest(request('INVITE', { branch: null }), {
      transport: 'udp',
      address: '127.0.0.1',
      port: p.port,
    });
    const statuses: number[] = [];
    tx.on('response', (r) => statuses.push(r.status));
    const invite = parseMessage((await p.next(1000))!) as SipRequest;
    const busy = serializeMessage(createResponse(invite, 486, { toTag: 'busy1' }));
    p.send(busy, uac.udp.port);
    const ack1 = parseMessage((await p.next(1000))!) as SipRequest;
    p.send(busy, uac.udp.port);
    const ack2 = parseMessage((await p.next(1000))!) as SipRequest;
    expect([ack1.method, ack2.method]).toEqual(['ACK', 'ACK']);
    expect(getTo(ack2).params.tag).toBe('busy1');
    expect(statuses).toEqual([486]);
    expect(tx.state).toBe('completed');
    await new Promise<void>((r) => tx.on('terminated', r));
    expect(uac.layer.counters.clientTransactions).toBe(0);
  });

  it('non-INVITE: a repeated 200 reaches the TU once; timer K then ends the transaction', async () => {
    const uac = await node();
    const p = await peer();
    const tx = uac.layer.sendRequest(request('OPTIONS', { branch: null }), {
      transport: 'udp',
      address: '127.0.0.1',
      port: p.port,
    });
    const statuses: number[] = [];
    tx.on('response', (r) => statuses.push(r.status));
    const options = parseMessage((await p.next(1000))!) as SipRequest;
    const trying = serializeMessage(createResponse(options, 100));
    const ok = serializeMessage(createResponse(options, 200, { toTag: 'ok1' }));
    p.send(trying, uac.udp.port);
    p.send(ok, uac.udp.port);
    p.send(ok, uac.udp.port);
    await new Promise<void>((r) => tx.on('terminated', r));
    expect(statuses).toEqual([100, 200]);
  });
});

describe('INVITE transactions over real TCP', () => {
  it('never retransmits on a reliable transport, and still times out with timer B', async () => {
    const transport = await createTransportLayer({
      host: '127.0.0.1',
      udpPort: null,
      tcpPort: 0,
      tcpIdleTimeoutMs: 5000,
    });
    const layer = new TransactionLayer(transport, { timers: { t1: T1 } });
    resources.push(transport, layer);
    const server = createServer();
    let received = '';
    server.on('connection', (socket) => socket.on('data', (d: Buffer) => (received += d.toString('latin1'))));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    resources.push({ close: () => new Promise((r) => server.close(r)) });
    const tx = layer.sendRequest(request('INVITE', { branch: null }), {
      transport: 'tcp',
      address: '127.0.0.1',
      port: (server.address() as { port: number }).port,
    });
    const error = await finalOf(tx).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'SipTransactionError', status: 408 });
    expect(received.match(/^INVITE /gm)).toHaveLength(1);
    expect(tx.retransmissions).toBe(0);
    expect(getTopVia(tx.request).transport).toBe('TCP');
  });
});

it('rejects invalid timer values at construction', async () => {
  const transport = await createTransportLayer({ host: '127.0.0.1', udpPort: 0, tcpPort: null });
  resources.push(transport);
  expect(() => new TransactionLayer(transport, { timers: { t1: 0 } })).toThrow(TypeError);
});
