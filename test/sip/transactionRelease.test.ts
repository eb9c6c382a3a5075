import { afterEach, describe, expect, it } from 'vitest';
import {
  TransactionLayer,
  createTransportLayer,
  getHeader,
  getTo,
  parseMessage,
  type ServerTransactionLike,
  type SipRequest,
  type SipResponse,
} from '../../src/sip/index.js';
import { UdpPeer } from './minimalUas.js';
import { gc } from './uaSupport.js';

const resources: { close: () => unknown }[] = [];
afterEach(async () => {
  for (const r of resources.splice(0).reverse()) {
    await r.close();
  }
});

/**
 * A transaction layer on the default timers (T1 500 ms), so that a finished transaction lingers for
 * Timer J or L (32 s) while the test runs, and a UDP peer playing the client.
 */
async function rig(): Promise<{ layer: TransactionLayer; port: number; peer: UdpPeer }> {
  const transport = await createTransportLayer({ host: '127.0.0.1', udpPort: 0, tcpPort: null });
  const layer = new TransactionLayer(transport);
  const peer = await UdpPeer.open();
  resources.push(transport, layer, peer);

  return { layer, port: transport.localEndpoint('udp')!.port, peer };
}

function message(method: string, branch: string, port: number, toTag?: string): string {
  return [
    `${method} sip:uas@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch}`,
    'Max-Forwards: 70',
    `To: <sip:uas@127.0.0.1>${toTag === undefined ? '' : `;tag=${toTag}`}`,
    `From: <sip:uac@127.0.0.1>;tag=f1`,
    `Call-ID: release-${branch.replace(/-ack$/, '')}`,
    `CSeq: 1 ${method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/** Datagrams that arrive within `ms`. */
async function drain(peer: UdpPeer, ms: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (;;) {
    const d = await peer.next(ms);
    if (d === null) {
      return out;
    }
    out.push(d);
  }
}

interface Answered {
  tx: ServerTransactionLike;
  request: WeakRef<SipRequest>;
  response: WeakRef<SipResponse>;
}

/** Answers the first request with `status` (and a body), keeping only weak references to the messages. */
function answerOnce(layer: TransactionLayer, status: number): Promise<Answered> {
  return new Promise((resolve) => {
    layer.once('request', (tx, request) => {
      const response = tx.respond(status, { body: Buffer.from('v=0\r\n'.repeat(40)) });
      resolve({ tx, request: new WeakRef(request), response: new WeakRef(response) });
    });
  });
}

function collected(ref: WeakRef<object>): boolean {
  gc();
  gc();

  return ref.deref() === undefined;
}

describe('lingering server transactions keep only the bytes of their final response', () => {
  it('non-INVITE in Completed: the request and response are released, a retransmission gets the same bytes', async () => {
    const { layer, port, peer } = await rig();
    const answered = answerOnce(layer, 200);
    const options = message('OPTIONS', 'z9hG4bKrel-options', peer.port);
    peer.send(options, port);
    const first = await peer.next(2000);
    const { tx, request, response } = await answered;
    expect(tx.state).toBe('completed');
    expect(tx.request).toBeNull();
    expect(collected(request)).toBe(true);
    expect(collected(response)).toBe(true);

    peer.send(options, port);
    const again = await peer.next(2000);
    expect(first).not.toBeNull();
    expect(again?.equals(first!)).toBe(true);
    expect(layer.counters.absorbedRetransmissions).toBe(1);
    expect(layer.counters.serverTransactions).toBe(1);

    // A late response is built as before (from the kept bytes now) and, as before, not sent.
    const late = tx.respond(500);
    expect(getHeader(late, 'Call-ID')).toBe('release-z9hG4bKrel-options');
    expect(getTo(late).params.tag).toBe(tx.toTag);
    expect(await drain(peer, 100)).toEqual([]);
  });

  it('INVITE in Completed (486): released, INVITE copies get the same 486 bytes, the ACK confirms', async () => {
    const { layer, port, peer } = await rig();
    const answered = answerOnce(layer, 486);
    const invite = message('INVITE', 'z9hG4bKrel-486', peer.port);
    peer.send(invite, port);
    const first = await peer.next(2000);
    const { tx, request, response } = await answered;
    expect(tx.state).toBe('completed');
    expect(collected(request)).toBe(true);
    expect(collected(response)).toBe(true);

    peer.send(invite, port);
    const again = await peer.next(2000);
    expect(again?.equals(first!)).toBe(true);
    expect((parseMessage(again!) as SipResponse).status).toBe(486);

    const acks: SipRequest[] = [];
    tx.on('ack', (ack) => acks.push(ack));
    const tag = getTo(parseMessage(first!)).params.tag!;
    peer.send(message('ACK', 'z9hG4bKrel-486', peer.port, tag), port);
    await drain(peer, 100);
    expect(acks).toHaveLength(1);
    expect(tx.state).toBe('confirmed');
  });

  it('INVITE in Accepted: released at the 2xx, copies absorbed silently, the ACK passed up once', async () => {
    const { layer, port, peer } = await rig();
    const answered = answerOnce(layer, 200);
    const invite = message('INVITE', 'z9hG4bKrel-200', peer.port);
    peer.send(invite, port);
    const first = await peer.next(2000);
    const { tx, request, response } = await answered;
    expect(tx.state).toBe('accepted');
    expect(tx.request).toBeNull();
    expect(collected(request)).toBe(true);
    expect(collected(response)).toBe(true);

    const acks: boolean[] = [];
    layer.on('ack', (_ack, _source, matched) => acks.push(matched));
    const txAcks: SipRequest[] = [];
    tx.on('ack', (ack) => txAcks.push(ack));
    const tag = getTo(parseMessage(first!)).params.tag!;
    const ack = message('ACK', 'z9hG4bKrel-200-ack', peer.port, tag);
    peer.send(ack, port);
    peer.send(invite, port);
    peer.send(ack, port);
    // Whatever arrives now can only be 2xx resends sent before the ACK got in; each is the same bytes.
    for (const d of await drain(peer, 200)) {
      expect(d.equals(first!)).toBe(true);
    }
    expect(txAcks).toHaveLength(1);
    expect(acks).toEqual([true, true]);
    expect(tx.state).toBe('accepted');
    expect(layer.counters.absorbedRetransmissions).toBe(1);
    // After the ACK the 2xx is no longer resent.
    expect(await drain(peer, 700)).toEqual([]);

    // A further 2xx from the TU still goes out in Accepted (RFC 6026 §8.7), built from the kept headers.
    tx.respond(200);
    const further = parseMessage((await peer.next(2000))!);
    expect(getHeader(further, 'Call-ID')).toBe('release-z9hG4bKrel-200');
    expect(getTo(further).params.tag).toBe(tag);
  });
});
