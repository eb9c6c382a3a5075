import { createSocket, type Socket } from 'node:dgram';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { PCMU } from '../../src/media/index.js';
import { runSipp, startSipp } from '../sip/sippRun.js';
import { startTestApp, type Received, type TestApp } from './support/httpApp.js';
import { dtmfPcap, uacScenario } from './support/scenario.js';
import { sippArgs as sipp, startVoiceRig, type VoiceRig } from './support/voiceRig.js';
import { power } from './support/audio.js';

let rig: VoiceRig | undefined;
let app: TestApp | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  await rig?.close();
  await app?.close();
  sockets.splice(0).forEach((s) => s.close());
  rig = undefined;
  app = undefined;
});

const statuses = (received: Received[]): unknown[] =>
  received.filter((r) => r.path === '/event').map((r) => r.body?.status);

async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('condition not reached');
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Raw 16-bit mono PCM of a tone at 8 kHz. */
function toneRaw(freq: number, seconds: number): Buffer {
  const out = Buffer.alloc(8000 * seconds * 2);
  for (let i = 0; i < out.length / 2; i++) {
    out.writeInt16LE(Math.round(10000 * Math.sin((2 * Math.PI * freq * i) / 8000)), i * 2);
  }

  return out;
}

describe('call control on live calls (sipp caller)', () => {
  it('bargeIn: a key pressed during talk stops it and counts for the next input', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({ voice: { answerUrl: `${app.url}/answer`, eventUrl: `${app.url}/event` } });
    app.route('/answer', [
      {
        action: 'talk',
        text: 'This is a long announcement that goes on and on, so that the caller has time to press a key while it plays.',
        bargeIn: true,
      },
      { action: 'input', type: ['dtmf'], dtmf: { maxDigits: 2, timeOut: 4 }, eventUrl: [`${app.url}/input`] },
    ]);
    const scenario = uacScenario({
      end: 'bye',
      steps: [{ pauseMs: 2000 }, { pcap: dtmfPcap('7') }, { pauseMs: 400 }, { pcap: dtmfPcap('8') }],
    });
    const result = await runSipp(sipp(scenario, rig.port));

    expect(result.code, result.explain).toBe(0);
    expect(app.at('/input')[0]?.body?.dtmf).toEqual({ digits: '78', timed_out: false });
  });

  it('input times out with the digits so far; without an eventUrl the result goes to the event URL', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({
      voice: { eventUrl: `${app.url}/event` },
      ncco: [{ action: 'input', type: ['dtmf'], dtmf: { maxDigits: 4, timeOut: 3 } }],
    });
    const scenario = uacScenario({ end: 'bye', steps: [{ pauseMs: 300 }, { pcap: dtmfPcap('5') }] });
    const result = await runSipp(sipp(scenario, rig.port));

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => statuses(r).includes('completed'));
    const input = app.at('/event').find((e) => e.body?.dtmf !== undefined);
    expect(input?.body?.dtmf).toEqual({ digits: '5', timed_out: true });
    expect(statuses(app.received)).toEqual(['started', 'ringing', 'answered', undefined, 'completed']);
  });

  it('transfer replaces the running NCCO (the Calls API seam) and sends a transfer event', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({
      voice: { eventUrl: `${app.url}/event` },
      ncco: [{ action: 'wait', timeout: 60 }],
    });
    const rigNow = rig;
    const run = startSipp(sipp(uacScenario({ end: 'bye' }), rig.port));
    await app.waitFor((r) => statuses(r).includes('answered'));
    const [phone] = [...rig.sip.calls.values()];
    const call = rigNow.voice.controller.callOf(phone?.leg.id ?? '');
    expect(call?.answeredAt).toBeInstanceOf(Date);
    const outcome = await rigNow.voice.controller.transfer(call!, [
      { action: 'notify', payload: { after: 'transfer' }, eventUrl: [`${app.url}/notify`] },
    ]);
    const result = await run.done;

    expect(result.code, result.explain).toBe(0);
    expect(outcome).toEqual({ kind: 'finished' });
    expect(app.at('/notify')[0]?.body).toEqual({ after: 'transfer' });
    await app.waitFor((r) => statuses(r).includes('completed'));
    expect(statuses(app.received)).toEqual(['started', 'ringing', 'answered', 'transfer', 'completed']);
    await expect(rigNow.voice.controller.transfer(call!, [{ action: 'nope' }])).rejects.toThrow(
      /unknown action/,
    );
  });

  it('music on hold until the conversation starts; endOnExit hangs the others up', async () => {
    app = await startTestApp();
    app.route('/moh.raw', (_r: Received, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'audio/l16;rate=8000' }).end(toneRaw(800, 2));
    });
    let calls = 0;
    rig = await startVoiceRig({ voice: { answerUrl: `${app.url}/answer`, eventUrl: `${app.url}/event` } });
    const rigNow = rig;
    app.route('/answer', (_r: Received, res: ServerResponse) => {
      calls++;
      const ncco =
        calls === 1
          ? [
              {
                action: 'conversation',
                name: 'hold-room',
                startOnEnter: false,
                musicOnHoldUrl: [`${app?.url}/moh.raw`],
              },
            ]
          : [{ action: 'conversation', name: 'hold-room', endOnExit: true }];
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ncco));
    });
    const media = createSocket('udp4');
    sockets.push(media);
    await new Promise<void>((resolve) => media.bind(0, '127.0.0.1', resolve));
    const heard: Int16Array[] = [];
    media.on('message', (packet) => heard.push(PCMU.decode(packet.subarray(12))));
    const waiting = startSipp(
      sipp(uacScenario({ end: 'bye', mediaPort: media.address().port }), rig.port),
      40_000,
    );
    await until(() => heard.length > 75);
    const onHold = new Int16Array(50 * 160);
    heard.slice(-50).forEach((f, i) => onHold.set(f.subarray(0, 160), i * 160));
    expect(power(onHold, 800)).toBeGreaterThan(1e10);

    const moderator = startSipp(sipp(uacScenario({ end: 'bye' }), rig.port), 40_000);
    await until(
      () =>
        [...rigNow.sip.calls.values()].length === 2 &&
        rigNow.hub.legsOf(
          rigNow.voice.controller.callOf([...rigNow.sip.calls.keys()][0] ?? '')?.conversationUuid ?? '',
        ).length === 2,
    );
    const mark = heard.length;
    // Silence goes out in full for 500 ms, then as one keep-alive packet a second (silence suppression).
    await until(() => heard.length > mark + 15);
    const started = new Int16Array(10 * 160);
    heard.slice(mark + 5, mark + 15).forEach((f, i) => started.set(f.subarray(0, 160), i * 160));
    // The music stopped when the second caller (startOnEnter) came in: 10 frames of it would still carry
    // (10/50)² of the on-hold power, far above this bound.
    expect(power(started, 800)).toBeLessThan(power(onHold, 800) / 100);

    // The second caller leaves (endOnExit): the first is hung up too.
    const second = [...rigNow.sip.calls.values()].find((c) => c.rtp?.remote?.port !== media.address().port);
    second?.hangup();
    const results = await Promise.all([waiting.done, moderator.done]);
    for (const result of results) {
      expect(result.code, result.explain).toBe(0);
    }
  });
});
