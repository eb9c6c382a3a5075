import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createResponse,
  getHeader,
  parseMessage,
  serializeMessage,
  SipUserAgent,
  type SipRequest,
  type SipResponse,
} from '../../src/sip/index.js';
import { loopbackTrunk } from '../support/trunk.js';
import { gc } from './uaSupport.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) {
    await fn();
  }
});

/**
 * Places an outbound call to the callee on `port`, keeping a WeakRef to it in `released`; resolves with
 * the reason it ended. With `hangUpOnAnswer` confab hangs up as soon as it is answered.
 */
function dial(
  ua: SipUserAgent,
  port: number,
  released: WeakRef<object>[],
  options: { hangUpOnAnswer?: boolean } = {},
): Promise<string> {
  return new Promise((resolve) => {
    const call = ua.call({
      uri: `sip:callee@127.0.0.1:${port}`,
      from: '<sip:confab@127.0.0.1>',
      to: `<sip:callee@127.0.0.1:${port}>`,
      target: { transport: 'udp', address: '127.0.0.1', port },
      sdp: 'v=0\r\n',
    });
    released.push(new WeakRef(call));
    if (options.hangUpOnAnswer === true) {
      call.once('answered', () => {
        call.hangup();
      });
    }
    call.once('ended', (end) => {
      resolve(end.reason);
    });
  });
}

/** A user agent with one trunk admitting loopback, on the default timers (T1 500 ms: Timers L, J, M 32 s). */
async function startUa(): Promise<SipUserAgent> {
  const ua = await SipUserAgent.start({
    host: '127.0.0.1',
    udpPort: 0,
    tcpPort: null,
    trunks: [loopbackTrunk()],
  });
  cleanup.push(() => ua.close());

  return ua;
}

/** A callee on a real UDP socket: hands back every request it receives and answers it with `respond`. */
async function callee(): Promise<{
  port: number;
  next: () => Promise<SipRequest>;
  respond: (request: SipRequest, status: number, target: number) => SipResponse;
  resend: (response: SipResponse, target: number) => void;
}> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanup.push(() => socket.close());
  const queue: SipRequest[] = [];
  let wake: (() => void) | null = null;
  socket.on('message', (data) => {
    queue.push(parseMessage(data) as SipRequest);
    wake?.();
  });
  const port = socket.address().port;
  const resend = (response: SipResponse, target: number): void => {
    socket.send(serializeMessage(response), target, '127.0.0.1');
  };

  return {
    port,
    next: async () => {
      while (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
      }

      return queue.shift()!;
    },
    respond: (request, status, target) => {
      const response = createResponse(request, status, {
        toTag: 'callee',
        headers: [{ name: 'Contact', value: `<sip:callee@127.0.0.1:${port}>` }],
      });
      resend(response, target);

      return response;
    },
    resend,
  };
}

/** A caller on a real UDP socket: sends requests to `target`, hands back every response it receives, in order. */
async function caller(
  target: number,
): Promise<{ port: number; send: (text: string) => void; next: () => Promise<SipResponse> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanup.push(() => socket.close());
  const queue: SipResponse[] = [];
  let wake: (() => void) | null = null;
  socket.on('message', (data) => {
    queue.push(parseMessage(data) as SipResponse);
    wake?.();
  });

  return {
    port: socket.address().port,
    send: (text) => {
      socket.send(Buffer.from(text), target, '127.0.0.1');
    },
    next: async () => {
      while (queue.length === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
      }

      return queue.shift()!;
    },
  };
}

function request(method: string, callId: string, seq: number, from: number, toTag: string | null): string {
  const body = method === 'INVITE' ? 'v=0\r\n' : '';

  return [
    `${method} sip:15550001000@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${from};branch=z9hG4bK-${callId}-${method}`,
    'Max-Forwards: 70',
    `From: <sip:caller@127.0.0.1>;tag=from-${callId}`,
    `To: <sip:15550001000@127.0.0.1>${toTag === null ? '' : `;tag=${toTag}`}`,
    `Call-ID: ${callId}`,
    `CSeq: ${seq} ${method}`,
    `Contact: <sip:caller@127.0.0.1:${from}>`,
    ...(body === '' ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\r\n');
}

describe('an ended call is released while its transactions linger', () => {
  it('after INVITE, 200, ACK and BYE, no SipCall stays reachable although the INVITE (Timer L) and BYE (Timer J) transactions still absorb copies', async () => {
    const ua = await startUa();
    const released: WeakRef<object>[] = [];
    ua.on('invite', (call) => {
      released.push(new WeakRef(call));
      call.answer('v=0\r\n');
    });
    const peer = await caller(ua.transport.localEndpoint('udp')!.port);
    const calls = 20;
    for (let i = 0; i < calls; i++) {
      const callId = `release-${i}`;
      peer.send(request('INVITE', callId, 1, peer.port, null));
      let ok = await peer.next();
      while (ok.status < 200) {
        ok = await peer.next();
      }
      expect(ok.status).toBe(200);
      const toTag = /;tag=([^;>\s]+)/.exec(getHeader(ok, 'To') ?? '')?.[1] ?? '';
      peer.send(request('ACK', callId, 1, peer.port, toTag));
      peer.send(request('BYE', callId, 2, peer.port, toTag));
      let byeAnswer = await peer.next();
      // A 2xx resent before the ACK arrived may come first.
      while (byeAnswer.status === 200 && getHeader(byeAnswer, 'CSeq') !== '2 BYE') {
        byeAnswer = await peer.next();
      }
      expect(byeAnswer.status).toBe(200);
    }
    expect(ua.activeCalls).toBe(0);
    // Each call's INVITE transaction waits out Timer L and its BYE transaction Timer J (64 × T1 each).
    expect(ua.transactions.counters.serverTransactions).toBe(2 * calls);
    // Let the turn that handled the last BYE end, so that nothing on the stack holds a call.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    gc();
    expect(released).toHaveLength(calls);
    expect(released.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });
  it('after an outbound call is answered and hung up, no OutboundCall stays reachable, and a late copy of its 2xx is still ACKed', async () => {
    const ua = await startUa();
    const uaPort = ua.transport.localEndpoint('udp')!.port;
    const peer = await callee();
    const released: WeakRef<object>[] = [];
    const calls = 10;
    let lastOk: SipResponse | null = null;
    for (let i = 0; i < calls; i++) {
      const ended = dial(ua, peer.port, released, { hangUpOnAnswer: true });
      const invite = await peer.next();
      expect(invite.method).toBe('INVITE');
      lastOk = peer.respond(invite, 200, uaPort);
      expect((await peer.next()).method).toBe('ACK');
      const bye = await peer.next();
      expect(bye.method).toBe('BYE');
      peer.respond(bye, 200, uaPort);
      await ended;
    }
    expect(ua.activeCalls).toBe(0);
    // Each INVITE transaction waits out Timer M (Accepted) and each BYE transaction Timer K.
    expect(ua.transactions.counters.clientTransactions).toBe(2 * calls);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    gc();
    expect(released).toHaveLength(calls);
    expect(released.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    // The 2xx of the last call comes again (its ACK was lost): it is ACKed again (RFC 3261 §13.2.2.4).
    peer.resend(lastOk!, uaPort);
    const ack = await peer.next();
    expect(ack.method).toBe('ACK');
    expect(getHeader(ack, 'Call-ID')).toBe(getHeader(lastOk!, 'Call-ID'));
  });
  it('after an outbound call is refused (486), no OutboundCall stays reachable while its INVITE transaction waits out Timer D', async () => {
    const ua = await startUa();
    const uaPort = ua.transport.localEndpoint('udp')!.port;
    const peer = await callee();
    const released: WeakRef<object>[] = [];
    const calls = 10;
    for (let i = 0; i < calls; i++) {
      const ended = dial(ua, peer.port, released);
      const invite = await peer.next();
      peer.respond(invite, 486, uaPort);
      // The transaction ACKs the 486 itself (RFC 3261 §17.1.1.3).
      expect((await peer.next()).method).toBe('ACK');
      expect(await ended).toBe('busy');
    }
    expect(ua.activeCalls).toBe(0);
    expect(ua.transactions.counters.clientTransactions).toBe(calls);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    gc();
    expect(released.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });
});
