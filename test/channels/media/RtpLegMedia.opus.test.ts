import { afterEach, describe, expect, it } from 'vitest';
import { concat, rms, toneSource, zeroCrossingHz } from '../../media/bus/audioProbe.js';
import { pcmBytes, pcmSamples, rawOpus, requireOpus } from '../../support/opus.js';
import { waitFor } from '../websocket/appServer.js';
import { phoneRig, type PhoneRig } from './rtpRig.js';

let rig: PhoneRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('RtpLegMedia with opus (48 kHz leg on a 16 kHz bus)', () => {
  it('decodes opus RTP to the bus and encodes the bus mix to opus RTP, both at 440 Hz', async () => {
    const opus = await requireOpus();
    rig = await phoneRig({ codec: opus.create(), payloadType: 111, telephoneEventPayloadType: 110 });
    expect(rig.leg.sampleRate).toBe(48000);
    const peer = rawOpus();
    const heard: Int16Array[] = [];
    rig.bus.join('listener', { sampleRate: 16000, sink: (pcm) => heard.push(Int16Array.from(pcm)) });
    const toPhone = toneSource(440, 16000);
    rig.bus.join('talker', { sampleRate: 16000, source: () => toPhone() });
    const fromPhone = toneSource(440, 48000);
    for (let i = 0; i < 50; i++) {
      rig.peer.send(rig.session.localPort, {
        payloadType: 111,
        sequenceNumber: 7000 + i,
        timestamp: 960 * i,
        payload: peer.encode(pcmBytes(fromPhone())),
      });
      await waitFor(() => rig!.leg.stats.packetsIn === i + 1, `packet ${i}`);
      rig.clock.advance(1);
    }
    // The listener hears the phone (and the talker, at the same pitch).
    const voiced = heard.filter((frame) => rms(frame) > 1000);
    expect(voiced.length).toBeGreaterThanOrEqual(45);
    const hz = zeroCrossingHz(concat(voiced.slice(4)), 16000);
    expect(hz).toBeGreaterThan(438);
    expect(hz).toBeLessThan(442);

    // The phone gets opus: one 20 ms packet per tick, 960 clock units apart, decoding to the talker's tone.
    const r = rig;
    await waitFor(() => r.peer.received.length >= 45, 'opus packets back');
    const back = r.peer.received.filter((p) => p.payloadType === 111);
    expect(back.length).toBe(r.peer.received.length);
    expect(back.slice(1).every((p, i) => p.timestamp - back[i]!.timestamp === 960)).toBe(true);
    const decoded = back.map((p) => pcmSamples(peer.decode(p.payload)));
    expect(decoded.every((f) => f.length === 960)).toBe(true);
    const backHz = zeroCrossingHz(concat(decoded.slice(5)), 48000);
    expect(backHz).toBeGreaterThan(438);
    expect(backHz).toBeLessThan(442);
    expect(r.leg.stats.malformed).toBe(0);
  });

  it('pads a 10 ms packet to a frame, and counts an undecodable packet as malformed (silence)', async () => {
    const opus = await requireOpus();
    // Not pulled by a clock here: the test takes the leg's frames itself.
    rig = await phoneRig({ codec: opus.create(), payloadType: 111, jitterBuffer: false });
    const peer = rawOpus();
    const tone = toneSource(440, 48000);
    const port = rig.session.localPort;
    const r = rig;
    let frame: Int16Array | undefined;
    // 10 ms packets of tone (480 samples), as minptime=10 allows: each fills half a frame, then silence.
    for (let i = 0; i < 5; i++) {
      const payload = peer.encode(pcmBytes(tone().subarray(0, 480)));
      rig.peer.send(port, { payloadType: 111, sequenceNumber: 1 + i, timestamp: 480 * i, payload });
      await waitFor(() => r.leg.stats.packetsIn === i + 1, `10 ms packet ${i}`);
      frame = rig.leg.pullFrame();
      expect(frame?.length).toBe(960);
    }
    expect(rms(frame!.subarray(0, 480))).toBeGreaterThan(1000);
    expect(frame!.subarray(480).every((s) => s === 0)).toBe(true);
    // TOC code 3 with a frame count of 0 is no opus packet (RFC 6716 §3.2.5): silence, counted.
    rig.peer.send(port, {
      payloadType: 111,
      sequenceNumber: 6,
      timestamp: 2400,
      payload: Buffer.from([0xfb, 0x00, 1, 2, 3]),
    });
    await waitFor(() => r.leg.stats.packetsIn === 6, 'the broken packet');
    expect(rig.leg.pullFrame()).toBeUndefined();
    expect(r.leg.stats.malformed).toBe(1);
  });
});
