import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createRtpPacket, PCMU, serializeRtp } from '../../src/media/index.js';
import { startSipp, type SippRun } from '../sip/sippRun.js';
import { startTestApp, type TestApp } from './support/httpApp.js';
import { uacScenario } from './support/scenario.js';
import { NUMBER, startVoiceRig, type VoiceRig } from './support/voiceRig.js';
import { power } from './support/audio.js';

let rig: VoiceRig | undefined;
let app: TestApp | undefined;
const sockets: Socket[] = [];
const timers: NodeJS.Timeout[] = [];

afterEach(async () => {
  timers.splice(0).forEach((t) => clearInterval(t));
  await rig?.close();
  await app?.close();
  sockets.splice(0).forEach((s) => s.close());
  rig = undefined;
  app = undefined;
});

/** A caller's media: a socket that sends a tone and keeps what it hears. */
interface Caller {
  readonly socket: Socket;
  readonly heard: Int16Array[];
  readonly sipp: SippRun;
}

async function caller(port: number): Promise<Caller> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const heard: Int16Array[] = [];
  socket.on('message', (packet) => heard.push(PCMU.decode(packet.subarray(12))));
  const sipp = startSipp(
    [
      '-sf',
      uacScenario({ end: 'bye', mediaPort: socket.address().port }),
      '-s',
      NUMBER,
      '-m',
      '1',
      '-i',
      '127.0.0.1',
      '-p',
      '0',
      `127.0.0.1:${port}`,
    ],
    40_000,
  );

  return { socket, heard, sipp };
}

/** Sends a tone of `freq` from the caller's socket to confab's RTP port, 20 ms per packet. */
function sendTone(c: Caller, confabPort: number, freq: number): void {
  let seq = 0;
  let phase = 0;
  const timer = setInterval(() => {
    const pcm = new Int16Array(160);
    for (let i = 0; i < pcm.length; i++) {
      pcm[i] = Math.round(8000 * Math.sin(phase));
      phase += (2 * Math.PI * freq) / 8000;
    }
    const packet = serializeRtp(
      createRtpPacket({
        payloadType: 0,
        sequenceNumber: seq & 0xffff,
        timestamp: seq * 160,
        ssrc: 0x1234 + freq,
        marker: seq === 0,
        payload: PCMU.encode(pcm),
      }),
    );
    seq++;
    c.socket.send(packet, confabPort, '127.0.0.1');
  }, 20);
  timers.push(timer);
}

describe('the conversation action', () => {
  it('joins two inbound callers in one named conversation, and each hears the other', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({
      voice: { eventUrl: `${app.url}/event` },
      ncco: [{ action: 'conversation', name: 'meeting-room' }],
    });
    const rigNow = rig;
    const one = await caller(rig.port);
    const two = await caller(rig.port);
    const until = async (check: () => boolean): Promise<void> => {
      const end = Date.now() + 15_000;
      while (!check()) {
        if (Date.now() > end) {
          throw new Error('condition not reached');
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    // Both calls answered and moved into the named conversation.
    await until(() => {
      const calls = [...rigNow.sip.calls.values()];
      const conversations = calls.map((c) => rigNow.voice.controller.callOf(c.leg.id)?.conversationUuid);

      return (
        calls.length === 2 &&
        conversations.every((id) => id !== undefined && id === conversations[0]) &&
        rigNow.hub.legsOf(conversations[0] ?? '').length === 2
      );
    });
    const calls = [...rig.sip.calls.values()];
    const confabPortOf = (c: Caller): number => {
      const call = calls.find((p) => p.rtp?.remote?.port === c.socket.address().port);
      if (call?.rtp == null) {
        throw new Error('no call for the caller');
      }

      return call.rtp.localPort;
    };
    sendTone(one, confabPortOf(one), 600);
    sendTone(two, confabPortOf(two), 1400);
    await new Promise((r) => setTimeout(r, 2000));
    const tail = (frames: Int16Array[]): Int16Array => {
      const last = frames.slice(-50);
      const out = new Int16Array(last.length * 160);
      last.forEach((f, i) => out.set(f.subarray(0, 160), i * 160));

      return out;
    };
    const oneHeard = tail(one.heard);
    const twoHeard = tail(two.heard);

    // Each hears the other's tone far above its own (the mix never returns a leg's own audio).
    expect(power(twoHeard, 600)).toBeGreaterThan(100 * power(twoHeard, 1400));
    expect(power(oneHeard, 1400)).toBeGreaterThan(100 * power(oneHeard, 600));
    expect(power(twoHeard, 600)).toBeGreaterThan(1e9);

    // Hanging one up leaves the other in the conversation; then both end.
    for (const call of calls) {
      call.hangup();
    }
    const results = await Promise.all([one.sipp.done, two.sipp.done]);
    for (const result of results) {
      expect(result.code, result.explain).toBe(0);
    }
    await app.waitFor((r) => r.filter((e) => e.body?.status === 'completed').length === 2);
    const transfers = app.at('/event').filter((e) => e.body?.status === 'transfer');
    expect(transfers).toHaveLength(2);
    expect(transfers[0]?.body?.conversation_uuid_to).toBe(transfers[1]?.body?.conversation_uuid_to);
    expect(transfers[0]?.body?.conversation_uuid_from).not.toBe(transfers[0]?.body?.conversation_uuid_to);
  });
});
