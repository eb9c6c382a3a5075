/**
 * Issue #6, opus end to end: a UDP caller that speaks opus (encoded by @discordjs/opus in the test, not by
 * confab) calls a number bridged by YAML `numbers[].connect` to a WebSocket app, through a trunk that
 * prefers opus. The app must hear the caller's tone at 16 kHz, and its echo must come back as opus the
 * caller can decode. Without @discordjs/opus these tests fail (they are never skipped).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRtpPacket, serializeRtp, serializeTelephoneEvent } from '../../src/media/index.js';
import { binaries, pcmOf, texts } from '../channels/websocket/appServer.js';
import { rms, toneSource } from '../media/bus/audioProbe.js';
import { pcmBytes, pcmSamples, rawOpus } from '../support/opus.js';
import { toneHz, toneHzOfRuns, voicedRuns } from '../support/toneProbe.js';
import { BRIDGED, startBridge, type BridgeRig } from './bridgeRig.js';
import { udpCall } from './udpCaller.js';

/** Frames of tone the caller sends (2 s). */
const SENT_FRAMES = 100;

/** An offer like a modern PBX's: opus first on 111, G.711 after, telephone-event at both rates. */
const OPUS_OFFER = [
  'm=audio {port} RTP/AVP 111 0 110 101',
  'a=rtpmap:111 opus/48000/2',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=fmtp:110 0-16',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
];

let rig: BridgeRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

describe('opus calls bridged to a WebSocket app (issue #6)', () => {
  it('negotiates opus, the app hears the 440 Hz tone, and its echo returns as decodable opus', async () => {
    // The peer's own encoder and decoder: fail here (not skip) when @discordjs/opus is missing.
    const peerEncoder = rawOpus();
    const peerDecoder = rawOpus();
    rig = await startBridge({ trunkCodecs: ['opus', 'PCMU'] });
    const r = rig;
    const call = await udpCall(r.sipPort, BRIDGED, 10_000, { media: OPUS_OFFER });
    expect(call.answer).toMatch(/^m=audio \d+ RTP\/AVP 111 110\r$/m);
    expect(call.answer).toContain('a=rtpmap:111 opus/48000/2\r\n');
    expect(call.answer).toContain('a=fmtp:111 minptime=10;useinbandfec=1\r\n');
    expect(call.answer).toContain('a=rtpmap:110 telephone-event/48000\r\n');
    await r.until(() => r.app.connections[0]?.ws.readyState === 1, 'the app to be connected');

    // 2 s of 440 Hz in 20 ms opus packets (960 samples of RTP clock each), then the digit 5 per RFC 4733
    // at 48 kHz. Paced by elapsed time, so a late timer sends what is due instead of drifting.
    const tone = toneSource(440, 48000);
    let sequence = 0;
    const started = performance.now();
    const sender = setInterval(() => {
      const due = Math.min(SENT_FRAMES, Math.floor((performance.now() - started) / 20) + 1);
      for (; sequence < due; sequence++) {
        const packet = createRtpPacket({
          payloadType: 111,
          sequenceNumber: sequence,
          timestamp: 960 * sequence,
          ssrc: 0x0905,
          marker: sequence === 0,
          payload: peerEncoder.encode(pcmBytes(tone())),
        });
        call.sendRtp(serializeRtp(packet));
      }
    }, 10);
    const echoedFrames = (): Int16Array[] =>
      call.received
        .filter((p) => p.payloadType === 111)
        .map((p) => pcmSamples(peerDecoder.decode(p.payload)));
    let decoded: Int16Array[] = [];
    try {
      await r.until(() => sequence >= SENT_FRAMES, '2 s of tone sent');
      await r.until(() => {
        // Decode what arrived since the last look, in order, with one decoder (opus keeps state).
        decoded = decoded.concat(echoedFrames().slice(decoded.length));

        return decoded.filter((f) => rms(f) > 1000).length >= 0.9 * SENT_FRAMES;
      }, 'the echo to come back');
    } finally {
      clearInterval(sender);
    }
    for (let i = 0; i < 5; i++) {
      const end = i >= 2;
      const event = serializeTelephoneEvent({ event: 5, end, volume: 10, duration: 960 * (i + 1) });
      call.sendRtp(
        serializeRtp(
          createRtpPacket({
            payloadType: 110,
            sequenceNumber: SENT_FRAMES + i,
            timestamp: 960 * SENT_FRAMES,
            ssrc: 0x0905,
            marker: i === 0,
            payload: event,
          }),
        ),
      );
    }
    const connection = r.app.connections[0]!;
    await r.until(() => texts(connection).some((e) => e.event === 'websocket:dtmf'), 'the digit');
    await call.hangup();

    // What the app heard: 20 ms frames of 16 kHz L16 carrying the caller's tone.
    const frames = binaries(connection);
    expect(new Set(frames.map((f) => f.length))).toEqual(new Set([640]));
    const heard = frames.map(pcmOf);
    expect(heard.filter((f) => rms(f) > 1000).length).toBeGreaterThanOrEqual(0.9 * SENT_FRAMES);
    const hz = toneHz(voicedRuns(heard, 1000)[0]!, 16000);
    expect(hz).toBeGreaterThanOrEqual(438);
    expect(hz).toBeLessThanOrEqual(442);

    // The digit, with its duration from the 48 kHz clock (3 × 960 units = 60 ms).
    expect(texts(connection).filter((e) => e.event === 'websocket:dtmf')).toMatchObject([
      { digit: '5', duration: 60 },
    ]);

    // What came back: opus the caller decodes into its own tone, 960 samples per packet.
    expect(decoded.every((f) => f.length === 960)).toBe(true);
    const back = toneHzOfRuns(voicedRuns(decoded, 1000), 48000);
    expect(back).toBeGreaterThanOrEqual(438);
    expect(back).toBeLessThanOrEqual(442);
    const timestamps = call.received.filter((p) => p.payloadType === 111).map((p) => p.timestamp);
    expect(timestamps.slice(1, 20).map((t, i) => (t - timestamps[i]! + 2 ** 32) % 2 ** 32)).toEqual(
      new Array(19).fill(960),
    );
  }, 60_000);

  it('answers G.711 on a trunk that does not list opus, even when the caller offers opus first', async () => {
    rig = await startBridge();
    const call = await udpCall(rig.sipPort, BRIDGED, 10_000, { media: OPUS_OFFER });
    try {
      expect(call.answer).toMatch(/^m=audio \d+ RTP\/AVP 0 101\r$/m);
      expect(call.answer).not.toContain('opus');
    } finally {
      await call.hangup();
    }
  }, 30_000);
});
