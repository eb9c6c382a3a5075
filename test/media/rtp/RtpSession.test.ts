import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { DtmfReceiver, type DtmfDigit } from '../../../src/media/dtmf/DtmfReceiver.js';
import { DtmfSender } from '../../../src/media/dtmf/DtmfSender.js';
import { MediaStateError } from '../../../src/media/errors.js';
import { PortAllocator } from '../../../src/media/rtp/PortAllocator.js';
import { RtpSession } from '../../../src/media/rtp/RtpSession.js';
import { type RtpSessionEvents } from '../../../src/media/rtp/RtpSessionTypes.js';

const HOST = '127.0.0.1';
// A random even base per run, so parallel runs on the machine rarely collide.
const BASE = 40000 + 2 * Math.floor(Math.random() * 5000);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

/** Binds a plain UDP socket on `port` (0 = ephemeral), closed after the test. */
async function plainSocket(port = 0): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, HOST, () => resolve());
  });
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

/** Resolves with the arguments of the next `event` of a session. */
function nextEvent<E extends keyof RtpSessionEvents & string>(
  session: RtpSession,
  event: E,
): Promise<RtpSessionEvents[E]> {
  return new Promise((resolve) => session.once(event, (...args) => resolve(args)));
}

/** Waits for the next RTP packet a session receives. */
const nextRtp = (session: RtpSession): Promise<RtpSessionEvents['rtp']> => nextEvent(session, 'rtp');

describe('PortAllocator', () => {
  it('binds even RTP and odd RTCP ports inside the range and releases them', async () => {
    const allocator = new PortAllocator({ minPort: BASE, maxPort: BASE + 9, bindAddress: HOST });
    expect(allocator.capacity).toBe(5);
    const a = await allocator.allocate();
    const b = await allocator.allocate();
    expect(a.rtpPort % 2).toBe(0);
    expect(a.rtcpPort).toBe(a.rtpPort + 1);
    expect(b.rtpPort).not.toBe(a.rtpPort);
    for (const pair of [a, b]) {
      expect(pair.rtpPort).toBeGreaterThanOrEqual(BASE);
      expect(pair.rtcpPort).toBeLessThanOrEqual(BASE + 9);
      expect(pair.rtp.address().port).toBe(pair.rtpPort);
      expect(pair.rtcp.address().port).toBe(pair.rtcpPort);
    }
    expect(allocator.inUse).toBe(2);
    await a.release();
    await a.release();
    await b.release();
    expect(allocator.inUse).toBe(0);
  });

  it('skips pairs whose RTP or RTCP port is taken by someone else', async () => {
    await plainSocket(BASE + 10);
    await plainSocket(BASE + 13);
    const allocator = new PortAllocator({ minPort: BASE + 10, maxPort: BASE + 15, bindAddress: HOST });
    const pair = await allocator.allocate();
    cleanups.push(() => pair.release());
    expect(pair.rtpPort).toBe(BASE + 14);
  });

  it('throws a typed error when the range is exhausted, and recovers after a release', async () => {
    const allocator = new PortAllocator({ minPort: BASE + 16, maxPort: BASE + 19, bindAddress: HOST });
    const a = await allocator.allocate();
    const b = await allocator.allocate();
    cleanups.push(() => b.release());
    const error = await allocator.allocate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaStateError);
    expect((error as MediaStateError).code).toBe('ERR_MEDIA_PORTS_EXHAUSTED');
    await a.release();
    const c = await allocator.allocate();
    cleanups.push(() => c.release());
    expect(c.rtpPort).toBe(a.rtpPort);
  });

  it('keeps released pairs bound in a pool, hands them out after they rested, and closes them', async () => {
    const allocator = new PortAllocator({
      minPort: BASE + 40,
      maxPort: BASE + 47,
      bindAddress: HOST,
      maxPooled: 1,
      reuseAfterMs: 100,
    });
    cleanups.push(() => allocator.close());
    const a = await allocator.allocate();
    let oldCallHeard = 0;
    a.rtp.on('message', () => (oldCallHeard += 1));
    const b = await allocator.allocate();
    await a.release();
    await b.release();
    // The pool holds one pair (a, listeners gone, still bound); b was closed.
    expect(allocator.pooled).toBe(1);
    expect(allocator.inUse).toBe(0);
    expect(a.rtp.address().port).toBe(a.rtpPort);
    const late = await plainSocket();
    late.send(Buffer.alloc(12), a.rtpPort, HOST);
    // A pair still resting is not handed out while the range has free ports.
    const c = await allocator.allocate();
    expect(c.rtpPort).not.toBe(a.rtpPort);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const d = await allocator.allocate();
    expect(d.rtpPort).toBe(a.rtpPort);
    expect(d.rtp).toBe(a.rtp);
    expect(oldCallHeard).toBe(0);
    expect([allocator.inUse, allocator.pooled]).toEqual([2, 0]);
    const heard = new Promise<Buffer>((resolve) => d.rtp.once('message', resolve));
    late.send(Buffer.from('new call'), d.rtpPort, HOST);
    expect((await heard).toString()).toBe('new call');
    await d.release();
    await allocator.close();
    expect(allocator.pooled).toBe(0);
    // After close, released pairs are closed at once and their ports are free for anyone.
    await c.release();
    await plainSocket(c.rtpPort);
    await plainSocket(d.rtpPort);
  });

  it('hands out a resting pair rather than failing when the range is full', async () => {
    const allocator = new PortAllocator({
      minPort: BASE + 48,
      maxPort: BASE + 51,
      bindAddress: HOST,
      maxPooled: 4,
      reuseAfterMs: 60_000,
    });
    cleanups.push(() => allocator.close());
    const a = await allocator.allocate();
    const b = await allocator.allocate();
    cleanups.push(() => b.release());
    await a.release();
    const c = await allocator.allocate();
    cleanups.push(() => c.release());
    expect(c.rtpPort).toBe(a.rtpPort);
    await expect(allocator.allocate()).rejects.toBeInstanceOf(MediaStateError);
  });

  it('rejects a range without a pair', () => {
    expect(() => new PortAllocator({ minPort: 40001, maxPort: 40002 })).toThrow(MediaStateError);
  });
});

describe('RtpSession', () => {
  async function sessionPair(options: { inactivityTimeoutMs?: number } = {}): Promise<{
    allocator: PortAllocator;
    caller: RtpSession;
    callee: RtpSession;
  }> {
    const allocator = new PortAllocator({ minPort: BASE + 20, maxPort: BASE + 39, bindAddress: HOST });
    const calleeSockets = await allocator.allocate();
    const callerSockets = await allocator.allocate();
    // The callee knows nothing of the caller yet (no SDP address): it must latch.
    const callee = new RtpSession({ sockets: calleeSockets, ...options });
    const caller = new RtpSession({
      sockets: callerSockets,
      remote: { address: HOST, port: calleeSockets.rtpPort },
      ssrc: 0x1234,
    });
    cleanups.push(
      () => caller.close(),
      () => callee.close(),
    );
    return { allocator, caller, callee };
  }

  it('exchanges RTP both ways, latching onto the first source', async () => {
    const { caller, callee } = await sessionPair();
    const latched = nextEvent(callee, 'latched');
    const received = nextRtp(callee);
    caller.sendPayload(Buffer.alloc(160, 0xff), { marker: true });
    const [packet, source] = await received;
    expect(packet).toMatchObject({ marker: true, payloadType: 0, ssrc: 0x1234 });
    expect(packet.payload.equals(Buffer.alloc(160, 0xff))).toBe(true);
    expect(source.port).toBe(caller.localPort);
    expect(await latched).toEqual([{ address: HOST, port: caller.localPort }]);

    const back = nextRtp(caller);
    callee.sendPayload(Buffer.alloc(160, 0xd5), { payloadType: 8 });
    const [reply] = await back;
    expect(reply.payloadType).toBe(8);
    expect(reply.ssrc).toBe(callee.ssrc);

    // Sequence numbers and timestamps advance per packet.
    const second = nextRtp(callee);
    caller.sendPayload(Buffer.alloc(160, 0xff));
    const [next] = await second;
    expect(next.sequenceNumber).toBe((packet.sequenceNumber + 1) & 0xffff);
    expect(next.timestamp).toBe((packet.timestamp + 160) >>> 0);
    expect(callee.stats).toMatchObject({ packetsReceived: 2, bytesReceived: 320, unlatchedDropped: 0 });
  });

  it('drops and counts packets from another source after latching, and malformed datagrams', async () => {
    const { caller, callee } = await sessionPair();
    const first = nextRtp(callee);
    caller.sendPayload(Buffer.alloc(160));
    await first;
    const intruder = await plainSocket();
    const rtpFromIntruder = Buffer.from('80000001000000000000beef' + 'ff'.repeat(160), 'hex');
    intruder.send(rtpFromIntruder, callee.localPort, HOST);
    intruder.send(Buffer.from([0x80]), callee.localPort, HOST);
    // The caller's next packet arrives after the intruder's, so once it is seen both were handled.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const later = nextRtp(callee);
    caller.sendPayload(Buffer.alloc(160));
    const [packet] = await later;
    expect(packet.ssrc).toBe(0x1234);
    expect(callee.stats.unlatchedDropped).toBe(1);
    expect(callee.stats.malformed).toBe(1);
    expect(callee.stats.packetsReceived).toBe(2);
  });

  it('sends reports over RTCP with reception statistics and SDES CNAME', async () => {
    const { caller, callee } = await sessionPair();
    for (let i = 0; i < 5; i++) {
      const got = nextRtp(callee);
      caller.sendPayload(Buffer.alloc(160));
      await got;
    }
    const rtcp = nextEvent(caller, 'rtcp');
    callee.sendPayload(Buffer.alloc(160));
    callee.sendRtcp(callee.buildReport());
    const [packets] = await rtcp;
    expect(packets.map((p) => p.type)).toEqual(['sr', 'sdes']);
    const sr = packets[0]!;
    if (sr.type !== 'sr') {
      throw new Error('expected an SR');
    }
    expect(sr.ssrc).toBe(callee.ssrc);
    expect(sr.packetCount).toBe(1);
    expect(sr.reports).toHaveLength(1);
    expect(sr.reports[0]).toMatchObject({ ssrc: 0x1234, cumulativeLost: 0 });
    expect(packets[1]).toMatchObject({ chunks: [{ ssrc: callee.ssrc, items: [{ type: 1 }] }] });
  });

  it('carries RFC 4733 digits end to end between audio packets', async () => {
    const { caller, callee } = await sessionPair();
    const receiver = new DtmfReceiver();
    const digits: DtmfDigit[] = [];
    receiver.on('digit', (d) => digits.push(d));
    const timestamps: number[] = [];
    callee.on('rtp', (packet) => {
      timestamps.push(packet.timestamp);
      if (packet.payloadType === 101) {
        receiver.receive(packet, performance.now());
      }
    });
    const sender = new DtmfSender();
    sender.send('42', 60);
    // Drive 20 ms ticks by hand: DTMF packets take the place of audio while the sender is busy.
    for (let tick = 0; tick < 25; tick++) {
      const dtmf = sender.pull(caller.nextTimestamp);
      if (dtmf === undefined) {
        caller.sendPayload(Buffer.alloc(160, 0xff));
      } else {
        caller.sendPayload(dtmf.payload, {
          payloadType: 101,
          marker: dtmf.marker,
          timestamp: dtmf.timestamp,
          duration: 160,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const deadline = Date.now() + 2000;
    while (callee.stats.packetsReceived < 25 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(digits.map((d) => [d.digit, d.durationMs, d.endReceived])).toEqual([
      ['4', 60, true],
      ['2', 60, true],
    ]);
    // The first tick carried a digit (stamped with its start) and the last one audio: the running
    // timestamp advanced by one frame per tick throughout.
    expect((timestamps.at(-1)! - timestamps[0]!) >>> 0).toBe(24 * 160);
  });

  it('answers RTCP where it came from, on the RTP port when the peer multiplexes (RFC 5761)', async () => {
    const { callee } = await sessionPair();
    const peer = await plainSocket();
    const peerPort = (peer.address() as { port: number }).port;
    const latched = nextEvent(callee, 'latched');
    peer.send(Buffer.from('80000001000000a000000abc' + 'ff'.repeat(160), 'hex'), callee.localPort, HOST);
    expect(await latched).toEqual([{ address: HOST, port: peerPort }]);
    const rtcp = nextEvent(callee, 'rtcp');
    peer.send(Buffer.from('80c90001 00000abc'.replace(/ /g, ''), 'hex'), callee.localPort, HOST);
    const [packets, source] = await rtcp;
    expect(packets).toMatchObject([{ type: 'rr', ssrc: 0xabc }]);
    expect(source.port).toBe(peerPort);
    const reply = new Promise<Buffer>((resolve) => peer.once('message', (msg) => resolve(msg)));
    callee.sendRtcp(callee.buildReport());
    const datagram = await reply;
    expect(datagram[1]).toBe(201);
    expect(callee.stats.rtcpReceived).toBe(1);
  });

  it('reports inactivity once per silent stretch', async () => {
    const { caller, callee } = await sessionPair({ inactivityTimeoutMs: 150 });
    let inactive = 0;
    callee.on('inactive', () => inactive++);
    const got = nextRtp(callee);
    caller.sendPayload(Buffer.alloc(160));
    await got;
    await nextEvent(callee, 'inactive');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(inactive).toBe(1);
  });

  it('closes idempotently, releasing its ports', async () => {
    const { allocator, caller, callee } = await sessionPair();
    expect(allocator.inUse).toBe(2);
    const closed = nextEvent(callee, 'close');
    await callee.close();
    await callee.close();
    await closed;
    await caller.close();
    expect(allocator.inUse).toBe(0);
    expect(() => caller.sendPayload(Buffer.alloc(1))).toThrow(MediaStateError);
  });
});
