import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { answerOffer, SdpError, SipUserAgent } from '../../src/sip/index.js';
import { mutations } from './rfc4475Expectations.js';
import { loopbackTrunk } from '../support/trunk.js';
import { gc } from './uaSupport.js';

function heapAfterGc(): number {
  gc();
  gc();

  return process.memoryUsage().heapUsed;
}

describe('mutation fuzz of the RFC 4475 corpus against the whole user agent', () => {
  it('survives 3000 mutated messages (seed 3261): no crash, no unhandled rejection, state and heap back to baseline', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    const ua = await SipUserAgent.start({
      host: '127.0.0.1',
      udpPort: 0,
      tcpPort: null,
      trunks: [loopbackTrunk()],
      timers: { t1: 5, t4: 10 },
    });
    // The application side: answer offers it can use, refuse the rest, hang up at once.
    ua.on('invite', (call) => {
      try {
        const { answer } = answerOffer(call.invite.body, {
          address: '127.0.0.1',
          port: 40000,
          sessionId: 1,
          version: 1,
        });
        call.answer(answer);
        call.hangup();
      } catch (err) {
        call.reject(err instanceof SdpError ? err.status : 500);
      }
    });
    const port = ua.transport.localEndpoint('udp')!.port;
    const peer = createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    peer.on('message', () => undefined);
    const send = (data: Buffer): Promise<void> =>
      new Promise((resolve) => peer.send(data, port, '127.0.0.1', () => resolve()));
    // Warm up once so that lazily built code and caches do not count as growth.
    for (const data of mutations(300, 1)) {
      await send(data);
    }
    await new Promise((resolve) => setTimeout(resolve, 800));
    const baseline = heapAfterGc();
    let sent = 0;
    for (const data of mutations(3000, 3261)) {
      await send(data);
      if (++sent % 25 === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    // Every transaction ends within 64 × T1 (plus timer K/I); wait that out.
    const end = Date.now() + 5000;
    while ((ua.transactions.counters.serverTransactions > 0 || ua.activeCalls > 0) && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ua.transactions.counters.serverTransactions).toBe(0);
    expect(ua.activeCalls).toBe(0);
    const c = ua.transport.counters;
    const seen = c.received.udp + c.keepalives + Object.values(c.dropped).reduce((a, b) => a + b, 0);
    expect(seen, JSON.stringify(c)).toBeGreaterThan(3000);
    const growth = heapAfterGc() - baseline;
    expect(growth).toBeLessThan(8 * 1024 * 1024);
    peer.close();
    await ua.close();
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  }, 60_000);
});
