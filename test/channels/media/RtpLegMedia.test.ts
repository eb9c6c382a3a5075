import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpLegMedia } from '../../../src/channels/index.js';
import {
  MediaStateError,
  PCMU,
  decodeUlaw,
  encodeUlaw,
  parseRtcp,
  parseTelephoneEvent,
  serializeTelephoneEvent,
} from '../../../src/media/index.js';
import { concat, rms, toneSource, zeroCrossingHz } from '../../media/bus/audioProbe.js';
import { waitFor } from '../websocket/appServer.js';
import { phoneRig, rtpPeer, type PhoneRig, type RtpPeer } from './rtpRig.js';

let rig: PhoneRig | undefined;
const extraPeers: RtpPeer[] = [];

afterEach(async () => {
  await rig?.close();
  rig = undefined;
  for (const peer of extraPeers.splice(0)) {
    await peer.close();
  }
});

const sleep = (ms: number): Promise<void> => new Promise((wake) => setTimeout(wake, ms));

describe('RtpLegMedia', () => {
  it('plays a 440 Hz tone received over RTP to a bus peer at 440 Hz', async () => {
    rig = await phoneRig();
    const heard: Int16Array[] = [];
    rig.bus.join('listener', { sampleRate: 16000, sink: (pcm) => heard.push(Int16Array.from(pcm)) });
    const tone = toneSource(440, 8000);
    for (let i = 0; i < 60; i++) {
      rig.peer.send(rig.session.localPort, {
        payloadType: 0,
        sequenceNumber: 1000 + i,
        timestamp: 160 * i,
        payload: encodeUlaw(tone()),
      });
      await waitFor(() => rig!.leg.stats.packetsIn === i + 1, `packet ${i}`);
      rig.clock.advance(1);
    }
    const voiced = heard.filter((frame) => rms(frame) > 1000);
    expect(voiced.length).toBeGreaterThanOrEqual(55);
    const hz = zeroCrossingHz(concat(voiced.slice(2)), 16000);
    expect(hz).toBeGreaterThan(438);
    expect(hz).toBeLessThan(442);
    expect(rig.leg.stats).toMatchObject({ packetsIn: 60, lost: 0, late: 0, droppedForeignSource: 0 });
  });

  it('without a jitter buffer plays each packet on the next tick and drops the oldest beyond three', async () => {
    rig = await phoneRig({ jitterBuffer: false });
    const heard: Int16Array[] = [];
    rig.bus.join('listener', { sampleRate: 8000, sink: (pcm) => heard.push(Int16Array.from(pcm)) });
    const tone = toneSource(440, 8000);
    const port = rig.session.localPort;
    rig.peer.send(port, { payloadType: 0, sequenceNumber: 1, timestamp: 0, payload: encodeUlaw(tone()) });
    await waitFor(() => rig!.leg.stats.packetsIn === 1, 'one packet');
    rig.clock.advance(1);
    expect(rms(heard[0]!)).toBeGreaterThan(1000);
    for (let i = 2; i <= 6; i++) {
      rig.peer.send(port, {
        payloadType: 0,
        sequenceNumber: i,
        timestamp: 160 * i,
        payload: encodeUlaw(tone()),
      });
    }
    await waitFor(() => rig!.leg.stats.packetsIn === 6, 'five more packets');
    rig.clock.advance(5);
    // Three queued frames play (the fourth tick only carries the resampler's tail), then silence.
    const loud = heard.slice(1).map((frame) => rms(frame) > 1000);
    expect(loud.slice(0, 3)).toEqual([true, true, true]);
    expect(loud[4]).toBe(false);
    expect(rig.leg.stats).toMatchObject({ lost: 2, jitter: undefined });
  });

  it('sheds a frame of standing delay on a quiet packet, and plays every loud one', async () => {
    // Two frames prebuffered where one is enough: each packet arrives 20 ms before the tick after next.
    rig = await phoneRig({
      jitterBuffer: { minDelayMs: 20, maxDelayMs: 100, initialDelayMs: 40, shrinkAfterTicks: 25 },
    });
    const heard: Int16Array[] = [];
    rig.bus.join('listener', { sampleRate: 16000, sink: (pcm) => heard.push(Int16Array.from(pcm)) });
    const tone = toneSource(440, 8000);
    const quiet = Buffer.alloc(160, 0xff);
    const packets = 80;
    let loudSent = 0;
    for (let i = 0; i < packets; i++) {
      // Every fourth packet carries the tone; the others are silence.
      const loud = i % 4 === 0;
      loudSent += loud ? 1 : 0;
      rig.peer.send(rig.session.localPort, {
        payloadType: 0,
        sequenceNumber: 2000 + i,
        timestamp: 160 * i,
        payload: loud ? encodeUlaw(tone()) : quiet,
      });
      await waitFor(() => rig!.leg.stats.packetsIn === i + 1, `packet ${i}`);
      await sleep(20);
      rig.clock.advance(1);
    }
    const jitter = rig.leg.stats.jitter!;
    expect(jitter).toMatchObject({ shed: 1, discarded: 1, lost: 0, late: 0, underruns: 0 });
    // A 20 ms wait, not 40, once the spare frame went: too little to shed another.
    expect(jitter.lastWindowWaitMs!.min).toBeLessThan(35);
    // Every loud packet played but those still buffered: one onset each.
    const onsets = heard.filter((frame, i) => rms(frame) > 1000 && !(rms(heard[i - 1] ?? frame) > 1000));
    expect(onsets.length).toBeGreaterThanOrEqual(loudSent - 1);
    expect(onsets.length).toBeLessThanOrEqual(loudSent);
  });

  it('sends a bus peer tone as PCMU RTP, one packet per tick, timestamps advancing by 160', async () => {
    rig = await phoneRig();
    rig.bus.join('talker', { sampleRate: 16000, source: toneSource(440, 16000) });
    rig.clock.advance(50);
    await waitFor(() => rig!.peer.received.length >= 50, '50 RTP packets');
    const packets = rig.peer.received.slice(0, 50);
    for (let i = 1; i < packets.length; i++) {
      expect(packets[i]!.payloadType).toBe(0);
      expect(packets[i]!.ssrc).toBe(rig.session.ssrc);
      expect((packets[i]!.sequenceNumber - packets[i - 1]!.sequenceNumber) & 0xffff).toBe(1);
      expect((packets[i]!.timestamp - packets[i - 1]!.timestamp) >>> 0).toBe(160);
      expect(packets[i]!.payload.length).toBe(160);
    }
    const pcm = concat(packets.slice(3).map((p) => decodeUlaw(p.payload)));
    const hz = zeroCrossingHz(pcm, 8000);
    expect(hz).toBeGreaterThan(438);
    expect(hz).toBeLessThan(442);
    expect(rig.leg.stats.packetsOut).toBe(50);
  });

  it('suppresses a long silence to one packet a second and marks the first packet after it', async () => {
    rig = await phoneRig();
    // 500 ms of silence are sent in full, then one packet every 50 ticks.
    rig.clock.advance(25 + 100);
    await waitFor(() => rig!.peer.received.length >= 27, 'silence and two keep-alives');
    await sleep(50);
    expect(rig.peer.received).toHaveLength(27);
    expect(rig.leg.stats.suppressed).toBe(98);
    const talker = rig.bus.join('talker', { sampleRate: 16000, source: toneSource(440, 16000) });
    rig.clock.advance(3);
    await waitFor(() => rig!.peer.received.length >= 30, 'the tone');
    const [lastSilent, firstLoud, nextLoud] = rig.peer.received.slice(26, 29);
    expect(firstLoud!.marker).toBe(true);
    expect(nextLoud!.marker).toBe(false);
    expect((firstLoud!.sequenceNumber - lastSilent!.sequenceNumber) & 0xffff).toBe(1);
    // The timeline kept running through the suppressed frames: the first sound goes out on tick 126 or 127
    // (the talker is heard from the tick after it joined), with the timestamp of that tick.
    const elapsed = ((firstLoud!.timestamp - rig.peer.received[0]!.timestamp) >>> 0) / 160;
    expect([125, 126]).toContain(elapsed);
    talker.leave();
  });

  it('reports an RFC 4733 digit once despite redundant end packets', async () => {
    rig = await phoneRig();
    const digits: { digit: string; durationMs: number }[] = [];
    rig.leg.on('dtmf', (info) => digits.push(info));
    const port = rig.session.localPort;
    const updates = [
      { duration: 160, end: false },
      { duration: 320, end: false },
      { duration: 480, end: false },
      { duration: 800, end: true },
      { duration: 800, end: true },
      { duration: 800, end: true },
    ];
    updates.forEach((u, i) => {
      const payload = serializeTelephoneEvent({ event: 5, end: u.end, volume: 10, duration: u.duration });
      rig!.peer.send(port, {
        payloadType: 101,
        sequenceNumber: 10 + i,
        timestamp: 48000,
        payload,
        marker: i === 0,
      });
    });
    await waitFor(() => digits.length === 1, 'a dtmf event');
    await sleep(30);
    expect(digits).toEqual([{ digit: '5', durationMs: 100 }]);
    expect(rig.leg.stats.dtmfReceived).toBe(1);
  });

  it('sends DTMF as telephone-events in place of audio, then resumes audio', async () => {
    rig = await phoneRig();
    rig.bus.join('talker', { sampleRate: 16000, source: toneSource(440, 16000) });
    rig.clock.advance(2);
    rig.leg.sendDtmf('7', 100);
    expect(rig.leg.sendingDtmf).toBe(true);
    rig.clock.advance(15);
    await waitFor(() => rig!.peer.received.length >= 17, '17 packets');
    const packets = rig.peer.received.slice(0, 17);
    const events = packets.filter((p) => p.payloadType === 101);
    // 100 ms is five 20 ms updates, the last of them sent three times with the E bit.
    expect(events).toHaveLength(7);
    expect(events.map((p) => p.marker)).toEqual([true, false, false, false, false, false, false]);
    expect(new Set(events.map((p) => p.timestamp)).size).toBe(1);
    const parsed = events.map((p) => parseTelephoneEvent(p.payload));
    expect(parsed.every((e) => e.event === 7)).toBe(true);
    expect(parsed.map((e) => e.end)).toEqual([false, false, false, false, true, true, true]);
    expect(parsed.at(-1)!.duration).toBe(800);
    // Audio before and after; sequence numbers stay contiguous throughout.
    expect(packets.slice(0, 2).every((p) => p.payloadType === 0)).toBe(true);
    expect(packets.at(-1)!.payloadType).toBe(0);
    for (let i = 1; i < packets.length; i++) {
      expect((packets[i]!.sequenceNumber - packets[i - 1]!.sequenceNumber) & 0xffff).toBe(1);
    }
    expect(rig.leg.stats.dtmfSent).toBe(1);
  });

  it('sends an RTCP sender report every rtcpIntervalMs of ticks', async () => {
    rig = await phoneRig({ rtcpIntervalMs: 100 });
    const rtcp = createSocket('udp4');
    await new Promise<void>((resolve) => rtcp.bind(0, '127.0.0.1', resolve));
    const reports: Buffer[] = [];
    rtcp.on('message', (datagram: Buffer) => reports.push(datagram));
    try {
      rig.session.setRemote({ address: '127.0.0.1', port: rig.peer.port, rtcpPort: rtcp.address().port });
      rig.bus.join('talker', { sampleRate: 16000, source: toneSource(440, 16000) });
      rig.clock.advance(10);
      await waitFor(() => reports.length === 2, 'two RTCP reports');
      const [first] = parseRtcp(reports[1]!);
      expect(first).toMatchObject({ type: 'sr', ssrc: rig.session.ssrc, packetCount: 10, octetCount: 1600 });
      expect(rig.leg.stats.rtcpSent).toBe(2);
    } finally {
      rtcp.close();
    }
  });

  it('raises inactive once per silent stretch when no RTP arrives', async () => {
    rig = await phoneRig({ inactivityTimeoutMs: 100 });
    const inactive: unknown[] = [];
    rig.leg.on('inactive', (info) => inactive.push(info));
    rig.clock.advance(1);
    expect(inactive).toHaveLength(0);
    await sleep(130);
    rig.clock.advance(3);
    expect(inactive).toEqual([expect.objectContaining({ reason: 'rtp-timeout', everReceived: false })]);
    rig.peer.send(rig.session.localPort, {
      payloadType: 0,
      sequenceNumber: 1,
      timestamp: 0,
      payload: Buffer.alloc(160, 0xff),
    });
    await waitFor(() => rig!.leg.stats.packetsIn === 1, 'one packet');
    rig.clock.advance(1);
    expect(inactive).toHaveLength(1);
    await sleep(130);
    rig.clock.advance(1);
    expect(inactive).toHaveLength(2);
    expect(inactive[1]).toMatchObject({ everReceived: true });
  });

  it('counts packets from a foreign source and of unknown payload types, and drops them', async () => {
    rig = await phoneRig();
    const intruder = await rtpPeer();
    extraPeers.push(intruder);
    const port = rig.session.localPort;
    rig.peer.send(port, {
      payloadType: 0,
      sequenceNumber: 1,
      timestamp: 0,
      payload: Buffer.alloc(160, 0xff),
    });
    await waitFor(() => rig!.leg.stats.packetsIn === 1, 'the latching packet');
    for (let i = 0; i < 4; i++) {
      intruder.send(port, {
        payloadType: 0,
        sequenceNumber: 500 + i,
        timestamp: 0,
        payload: Buffer.alloc(160, 0),
      });
    }
    rig.peer.send(port, { payloadType: 18, sequenceNumber: 2, timestamp: 160, payload: Buffer.alloc(20) });
    await waitFor(
      () => rig!.leg.stats.droppedForeignSource === 4 && rig!.leg.stats.unknownPayloadType === 1,
      'drops',
    );
    expect(rig.leg.stats.packetsIn).toBe(1);
  });

  it('closes idempotently, leaves the bus, keeps the session open, and follows a session close', async () => {
    rig = await phoneRig();
    let closes = 0;
    rig.leg.on('close', () => (closes += 1));
    expect(rig.bus.getParticipant('phone')).toBeDefined();
    rig.leg.close();
    rig.leg.close();
    expect(closes).toBe(1);
    expect(rig.bus.getParticipant('phone')).toBeUndefined();
    expect(rig.session.closed).toBe(false);
    expect(() => rig!.leg.sendDtmf('1')).toThrow(MediaStateError);
    const second = new RtpLegMedia({ id: 'again', session: rig.session, codec: PCMU });
    second.attach(rig.bus);
    await rig.session.close();
    expect(second.closed).toBe(true);
    expect(rig.bus.getParticipant('again')).toBeUndefined();
  });

  it('refuses invalid payload types and DTMF without telephone-event', async () => {
    rig = await phoneRig();
    expect(() => new RtpLegMedia({ id: 'x', session: rig!.session, codec: PCMU, payloadType: 128 })).toThrow(
      MediaStateError,
    );
    expect(
      () => new RtpLegMedia({ id: 'x', session: rig!.session, codec: PCMU, telephoneEventPayloadType: 0 }),
    ).toThrow(MediaStateError);
    const plain = new RtpLegMedia({ id: 'plain', session: rig.session, codec: PCMU });
    expect(() => plain.sendDtmf('1')).toThrow(MediaStateError);
    plain.close();
  });
});
