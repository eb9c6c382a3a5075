import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRtpPacket, decodeUlaw, encodeUlaw, serializeRtp } from '../../src/media/index.js';
import { binaries, pcmOf, texts, type AppConnection } from '../channels/websocket/appServer.js';
import { concat, rms, toneSource } from '../media/bus/audioProbe.js';
import { runSipp } from '../sip/sippRun.js';
import { writeUlawTonePcap } from '../support/pcap.js';
import { toneHz, toneHzOfRuns, voicedRuns } from '../support/toneProbe.js';
import { BRIDGED, startBridge, type BridgeRig } from './bridgeRig.js';
import { udpCall } from './udpCaller.js';

/** Frames of tone the plain RTP caller sends (2 s). */
const SENT_FRAMES = 100;

/** 3 s of tone: 150 frames of 20 ms. */
const TONE_FRAMES = 150;

let rig: BridgeRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** A sipp UAC scenario: call, wait, play the tone pcap, then three RFC 4733 digits, hang up. */
function scenario(dir: string, tonePcap: string): string {
  const pcap = (name: string): string => `/usr/share/sip-tester/dtmf_2833_${name}.pcap`;
  const play = (file: string, pauseMs: number): string =>
    `<nop><action><exec play_pcap_audio="${file}"/></action></nop>\n<pause milliseconds="${pauseMs}"/>`;
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="tone and DTMF into a bridged number">
<send retrans="500"><![CDATA[

INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [auto_media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendrecv

]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="200" rrs="true"/>
<send><![CDATA[

ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0

]]></send>
<pause milliseconds="1000"/>
${play(tonePcap, 3600)}
${play(pcap('1'), 400)}
${play(pcap('5'), 400)}
${play(pcap('pound'), 1200)}
<send retrans="500"><![CDATA[

BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
</scenario>
`;
  const path = join(dir, 'bridge_tone_dtmf.xml');
  writeFileSync(path, xml);

  return path;
}

/** Arrival times of binary messages, in milliseconds, per connection. */
function stampBinaries(connection: AppConnection, into: number[]): void {
  connection.ws.on('message', (_data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      into.push(performance.now());
    }
  });
}

describe('a number connected to a WebSocket application (confab process, sipp caller)', () => {
  it('streams the caller µ-law 440 Hz tone to the app as 20 ms L16 frames and its RFC 4733 digits as websocket:dtmf', async () => {
    const arrivals: number[] = [];
    rig = await startBridge({ onConnection: (c) => stampBinaries(c, arrivals) });
    const dir = mkdtempSync(join(tmpdir(), 'confab-bridge-'));
    const tonePcap = join(dir, 'tone440.pcap');
    writeUlawTonePcap(tonePcap, { hz: 440, frames: TONE_FRAMES });
    const result = await runSipp(
      [
        '-sf',
        scenario(dir, tonePcap),
        '-s',
        BRIDGED,
        '-m',
        '1',
        '-i',
        '127.0.0.1',
        '-mi',
        '127.0.0.1',
        '-timeout',
        '30',
        '-timeout_error',
        `127.0.0.1:${rig.sipPort}`,
      ],
      40_000,
    );
    expect(result.code, result.explain).toBe(0);
    const r = rig;
    await r.until(() => r.app.connections[0]?.closeCode !== undefined, 'the app socket to close');
    const connection = r.app.connections[0]!;
    const [connected, ...events] = texts(connection);
    expect(connected).toMatchObject({
      event: 'websocket:connected',
      'content-type': 'audio/l16;rate=16000',
      source: 'bridge-test',
    });

    // Every frame is one 20 ms frame of 16 kHz L16, and (nearly) none is missing over the call.
    const frames = binaries(connection);
    expect(new Set(frames.map((f) => f.length))).toEqual(new Set([640]));
    const expected = Math.round((arrivals.at(-1)! - arrivals[0]!) / 20) + 1;
    expect(frames.length).toBeGreaterThanOrEqual(Math.floor(0.98 * expected));

    // The tone: at least 98 % of its 150 frames arrive voiced, and it measures 440 ± 2 Hz.
    const pcm = frames.map(pcmOf);
    const voiced = pcm.filter((f) => rms(f) > 1000);
    expect(voiced.length).toBeGreaterThanOrEqual(Math.ceil(0.98 * TONE_FRAMES));
    expect(voiced.length).toBeLessThanOrEqual(TONE_FRAMES + 3);
    const longest = voicedRuns(pcm, 1000)[0]!;
    const hz = toneHz(longest, 16000);
    expect(hz).toBeGreaterThanOrEqual(438);
    expect(hz).toBeLessThanOrEqual(442);

    // The digits, in order, one event each.
    const digits = events.filter((e) => e.event === 'websocket:dtmf').map((e) => e.digit);
    expect(digits).toEqual(['1', '5', '#']);

    // The call and its WebSocket leg, one conversation, with their status histories.
    await r.until(
      async () => (await r.legs()).filter((l) => l.endedAt !== null).length === 2,
      'both legs to end',
    );
    const legs = await r.legs();
    const phone = legs.find((l) => l.type === 'phone')!;
    const ws = legs.find((l) => l.type === 'websocket')!;
    expect(ws.conversationId).toBe(phone.conversationId);
    expect(ws).toMatchObject({ direction: 'outbound', to: { type: 'websocket', uri: r.app.url } });
    expect(phone.statusHistory.map((h) => h.status)).toEqual(['started', 'ringing', 'answered', 'completed']);
    expect(ws.statusHistory.map((h) => h.status)).toEqual(['started', 'answered', 'completed']);
    const recorded = await r.events(phone.conversationId);
    expect(
      recorded
        .filter((e) => e.type === 'leg:status:update' && e.body.leg_id === ws.id)
        .map((e) => e.body.status),
    ).toEqual(['started', 'answered', 'completed']);
    expect(
      recorded
        .filter((e) => e.type === 'audio:dtmf')
        .map((e) => [e.body.digit, e.body.method, e.body.leg_id]),
    ).toEqual([
      ['1', 'rfc4733', phone.id],
      ['5', 'rfc4733', phone.id],
      ['#', 'rfc4733', phone.id],
    ]);
  }, 60_000);

  it('sends the app echo back to the caller: the RTP the caller receives carries its own 440 Hz tone', async () => {
    rig = await startBridge();
    const call = await udpCall(rig.sipPort, BRIDGED);
    const r = rig;
    await r.until(() => r.app.connections[0]?.ws.readyState === 1, 'the app to be connected');
    // Paced by elapsed time, not by timer ticks, so a late timer sends what is due instead of drifting.
    const tone = toneSource(440, 8000);
    let sequence = 0;
    const started = performance.now();
    const sender = setInterval(() => {
      const due = Math.min(SENT_FRAMES, Math.floor((performance.now() - started) / 20) + 1);
      for (; sequence < due; sequence++) {
        const packet = createRtpPacket({
          payloadType: 0,
          sequenceNumber: sequence,
          timestamp: 160 * sequence,
          ssrc: 0x5eed,
          marker: sequence === 0,
          payload: encodeUlaw(tone()),
        });
        call.sendRtp(serializeRtp(packet));
      }
    }, 10);
    const echoed = (): Int16Array[] =>
      call.received
        .filter((p) => p.payloadType === 0)
        .map((p) => decodeUlaw(p.payload))
        .filter((f) => rms(f) > 1000);
    try {
      await r.until(() => sequence >= SENT_FRAMES, '2 s of tone sent');
      await r.until(() => echoed().length >= 0.9 * SENT_FRAMES, 'the echo to come back');
    } finally {
      clearInterval(sender);
    }
    await call.hangup();
    const back = call.received.filter((p) => p.payloadType === 0).map((p) => decodeUlaw(p.payload));
    const runs = voicedRuns(back, 1000);
    expect(echoed().length).toBeLessThanOrEqual(SENT_FRAMES + 3);
    const hz = toneHzOfRuns(runs, 8000);
    expect(hz).toBeGreaterThanOrEqual(438);
    expect(hz).toBeLessThanOrEqual(442);
    expect(rms(concat(runs[0]!))).toBeGreaterThan(3000);
  }, 60_000);

  it('passes SIP INFO digits to the app as websocket:dtmf, like RFC 4733 ones', async () => {
    rig = await startBridge();
    const call = await udpCall(rig.sipPort, BRIDGED);
    const r = rig;
    await r.until(() => r.app.connections[0]?.ws.readyState === 1, 'the app to be connected');
    expect(await call.info('7', 160)).toBe(200);
    expect(await call.info('*', 200)).toBe(200);
    const digits = (): unknown[] =>
      texts(r.app.connections[0]!)
        .filter((e) => e.event === 'websocket:dtmf')
        .map((e) => [e.digit, e.duration]);
    await r.until(() => digits().length === 2, 'two websocket:dtmf events');
    expect(digits()).toEqual([
      ['7', 160],
      ['*', 200],
    ]);
    await call.hangup();
  }, 60_000);

  it('hangs the call up when the application cannot be reached, and records the leg as failed', async () => {
    rig = await startBridge({ uri: 'ws://127.0.0.1:9/nobody' });
    const call = await udpCall(rig.sipPort, BRIDGED);
    const r = rig;
    await r.until(() => call.byeReceived(), 'confab to hang the call up');
    await call.hangup();
    await r.until(
      async () => (await r.legs()).filter((l) => l.endedAt !== null).length === 2,
      'both legs to end',
    );
    const ws = (await r.legs()).find((l) => l.type === 'websocket');
    expect(ws?.statusHistory.map((h) => h.status)).toEqual(['started', 'failed']);
  }, 60_000);

  it('hangs up a caller that sends no RTP for media.rtp_timeout_s, with the reason rtp-timeout', async () => {
    rig = await startBridge({ rtpTimeoutSeconds: 1 });
    const call = await udpCall(rig.sipPort, BRIDGED);
    const r = rig;
    await r.until(() => call.byeReceived(), 'confab to hang the silent call up');
    await call.hangup();
    await r.until(
      async () => (await r.legs()).filter((l) => l.endedAt !== null).length === 2,
      'both legs to end',
    );
    const phone = (await r.legs()).find((l) => l.type === 'phone');
    expect(phone?.statusHistory.at(-1)).toMatchObject({ status: 'completed', reason: 'rtp-timeout' });
  }, 60_000);

  it('redials a dropped socket per numbers[].connect.reconnect, each drop a leg status, then ends disconnected', async () => {
    // The application drops its first connection (no close frame), then drops the redialled one and stops
    // listening, so every further retry is refused.
    rig = await startBridge({
      reconnect: '{ attempts: 2, initial_delay_ms: 100, max_delay_ms: 150 }',
      onConnection: (c) => {
        const first = rig?.app.connections.length === 1;
        setTimeout(() => {
          if (first) {
            c.ws.terminate();
          } else {
            void rig?.app.close();
          }
        }, 500);
      },
    });
    const call = await udpCall(rig.sipPort, BRIDGED);
    const r = rig;
    await r.until(() => call.byeReceived(), 'confab to hang the call up once the retries ran out');
    await call.hangup();
    await r.until(
      async () => (await r.legs()).filter((l) => l.endedAt !== null).length === 2,
      'both legs to end',
    );
    expect(r.app.connections).toHaveLength(2);
    const legs = await r.legs();
    const ws = legs.find((l) => l.type === 'websocket')!;
    expect(ws.statusHistory.map((h) => h.status)).toEqual([
      'started',
      'answered',
      'reconnecting',
      'answered',
      'reconnecting',
      'reconnecting',
      'disconnected',
    ]);
    // The waits follow the policy: 100 ms, doubled but capped at 150 ms; the count starts again after
    // the redial that connected.
    const reasons = ws.statusHistory.map((h) => h.reason ?? '');
    expect(reasons[2]).toMatch(/^retry 1 in 100 ms after 1006/);
    expect(reasons[3]).toBe('reconnected (connection 2)');
    expect(reasons[4]).toMatch(/^retry 1 in 100 ms after 1006/);
    expect(reasons[5]).toMatch(/^retry 2 in 150 ms after 1006/);
    const recorded = await r.events(ws.conversationId);
    expect(
      recorded
        .filter((e) => e.type === 'leg:status:update' && e.body.leg_id === ws.id)
        .map((e) => e.body.status),
    ).toEqual([
      'started',
      'answered',
      'reconnecting',
      'answered',
      'reconnecting',
      'reconnecting',
      'disconnected',
    ]);
    expect(legs.find((l) => l.type === 'phone')?.status).toBe('completed');
  }, 60_000);

  it('hangs the call up when the application closes its socket, and records the leg as disconnected', async () => {
    rig = await startBridge({
      onConnection: (c) => {
        setTimeout(() => c.ws.close(1000, 'bye'), 500);
      },
    });
    const call = await udpCall(rig.sipPort, BRIDGED);
    const r = rig;
    await r.until(() => call.byeReceived(), 'confab to hang the call up');
    await call.hangup();
    await r.until(
      async () => (await r.legs()).filter((l) => l.endedAt !== null).length === 2,
      'both legs to end',
    );
    const legs = await r.legs();
    expect(legs.find((l) => l.type === 'websocket')?.statusHistory.map((h) => h.status)).toEqual([
      'started',
      'answered',
      'disconnected',
    ]);
    expect(legs.find((l) => l.type === 'phone')?.status).toBe('completed');
  }, 60_000);
});
