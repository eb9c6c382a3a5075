import type { ServerResponse } from 'node:http';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/events/index.js';
import { join } from 'node:path';
import { PCMA, PCMU } from '../../src/media/index.js';
import { SCENARIOS, runSipp, startSipp } from '../sip/sippRun.js';
import { startTestApp, type Received, type TestApp } from './support/httpApp.js';
import { dtmfPcap, uacScenario } from './support/scenario.js';
import { NUMBER, sippArgs as sipp, startVoiceRig, type VoiceRig } from './support/voiceRig.js';

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

/**
 * A UDP socket of ours standing for the caller's media, so that we can see what confab sends: counts the
 * RTP packets of payload type `payloadType` whose audio is loud.
 */
async function callerMedia(payloadType: 0 | 8): Promise<{ port: number; loudFrames: () => number }> {
  const media = createSocket('udp4');
  sockets.push(media);
  await new Promise<void>((resolve) => media.bind(0, '127.0.0.1', resolve));
  const codec = payloadType === 0 ? PCMU : PCMA;
  let loud = 0;
  media.on('message', (packet) => {
    if (
      (packet[1]! & 0x7f) === payloadType &&
      codec.decode(packet.subarray(12)).some((s) => Math.abs(s) > 2000)
    ) {
      loud++;
    }
  });

  return { port: media.address().port, loudFrames: () => loud };
}

/** The statuses of the status events received, in order. */
const statuses = (received: Received[]): unknown[] =>
  received.filter((r) => r.path === '/event').map((r) => r.body?.status);

describe('inbound calls under call control (sipp caller)', () => {
  it('runs a static NCCO from YAML: talk is heard, then confab hangs up; status events arrive in order, signed', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({
      voice: { eventUrl: `${app.url}/event` },
      ncco: [{ action: 'talk', text: 'Hello from confab. This is a test.' }],
    });
    const media = await callerMedia(0);
    const result = await runSipp(sipp(uacScenario({ end: 'bye', mediaPort: media.port }), rig.port));

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => statuses(r).includes('completed'));
    expect(statuses(app.received)).toEqual(['started', 'ringing', 'answered', 'completed']);
    // Speech reached the caller (at least half a second of it).
    expect(media.loudFrames()).toBeGreaterThan(25);
    const events = app.at('/event');
    const [started, , answered, completed] = events.map((e) => e.body ?? {});
    expect(started).toMatchObject({ from: '15551234567', to: NUMBER, direction: 'inbound' });
    expect(answered?.start_time).toBeTypeOf('string');
    expect(completed).toMatchObject({ disconnected_by: 'platform', rate: '0' });
    expect(Number(completed?.duration)).toBeGreaterThanOrEqual(1);
    expect(new Set(events.map((e) => e.body?.uuid)).size).toBe(1);
    for (const event of events) {
      await expect(verifyWebhook('s3cret', event.headers.authorization, event.raw)).resolves.toBeTruthy();
    }
  });

  it('runs the NCCO of a call that came with a delayed offer once the ACK brings the answer', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({
      voice: { eventUrl: `${app.url}/event` },
      ncco: [{ action: 'talk', text: 'Hello from confab. This is a test.' }],
    });
    // The scenario's answer in the ACK picks PCMA.
    const media = await callerMedia(8);
    const result = await runSipp([
      '-sf',
      join(SCENARIOS, 'uac_delayed_offer.xml'),
      '-key',
      'rtp_port',
      String(media.port),
      ...sipp('', rig.port).slice(2),
    ]);

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => statuses(r).includes('completed'));
    expect(statuses(app.received)).toEqual(['started', 'ringing', 'answered', 'completed']);
    // The talk action waited for the media: speech reached the port of the ACK's answer.
    expect(media.loudFrames()).toBeGreaterThan(25);
  });

  it('asks the answer URL (with SIP X- headers), collects RFC 4733 DTMF with input, and continues with the reply NCCO', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({
      voice: { answerUrl: `${app.url}/answer`, eventUrl: `${app.url}/event` },
    });
    app.route('/answer', [
      {
        action: 'input',
        type: ['dtmf'],
        dtmf: { maxDigits: 5, submitOnHash: true, timeOut: 5 },
        eventUrl: [`${app.url}/input`],
      },
    ]);
    app.route('/input', [{ action: 'wait', timeout: 0.2 }]);
    const scenario = uacScenario({
      end: 'bye',
      headers: ['X-Customer: gold'],
      steps: [
        { pauseMs: 500 },
        { pcap: dtmfPcap('4') },
        { pauseMs: 300 },
        { pcap: dtmfPcap('2') },
        { pauseMs: 300 },
        { pcap: dtmfPcap('#') },
      ],
    });
    const result = await runSipp(sipp(scenario, rig.port));

    expect(result.code, result.explain).toBe(0);
    const [answer] = app.at('/answer');
    expect(answer?.method).toBe('GET');
    expect(answer?.query).toMatchObject({ to: NUMBER, from: '15551234567', 'SipHeader_X-Customer': 'gold' });
    expect(answer?.query.uuid).toMatch(/[0-9a-f-]{36}/);
    expect(answer?.query.conversation_uuid).toMatch(/^CON-/);
    const [input] = app.at('/input');
    expect(input?.body).toMatchObject({
      dtmf: { digits: '42', timed_out: false },
      uuid: answer?.query.uuid,
      conversation_uuid: answer?.query.conversation_uuid,
    });
    await app.waitFor((r) => statuses(r).includes('completed'));
    expect(statuses(app.received)).toEqual(['started', 'ringing', 'answered', 'completed']);
  });

  it('refuses the call with an error event and a failed status when the answer URL answers no JSON', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({ voice: { answerUrl: `${app.url}/answer`, eventUrl: `${app.url}/event` } });
    app.route('/answer', (_r: Received, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('hello');
    });
    const result = await runSipp(sipp(uacScenario({ end: { refused: 480 } }), rig.port));

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => statuses(r).includes('failed'));
    expect(statuses(app.received)).toEqual(['started', 'ringing', 'error', 'failed']);
    const error = app.at('/event')[2]?.body;
    expect(error?.reason).toMatch(/answer is not JSON \(text\/plain: "hello"\)/);
    expect(app.at('/event')[3]?.body).toMatchObject({ detail: 'internal_error' });
  });

  it('refuses the call when the answer URL is unreachable and has no fallback', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({
      voice: { answerUrl: 'http://127.0.0.1:9/answer', eventUrl: `${app.url}/event` },
    });
    const result = await runSipp(sipp(uacScenario({ end: { refused: 480 } }), rig.port));

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => statuses(r).includes('failed'));
    expect(app.at('/event')[2]?.body?.reason).toMatch(
      /after 2 attempt\(s\); last: http:\/\/127.0.0.1:9\/answer: unreachable \(ECONNREFUSED\)/,
    );
  });

  it('refuses the call when the answer URL returns an invalid NCCO, naming the bad field', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({ voice: { answerUrl: `${app.url}/answer`, eventUrl: `${app.url}/event` } });
    app.route('/answer', [{ action: 'talk', text: 'x'.repeat(1501) }, { action: 'dance' }]);
    const result = await runSipp(sipp(uacScenario({ end: { refused: 480 } }), rig.port));

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => statuses(r).includes('failed'));
    expect(app.at('/event')[2]?.body?.reason).toBe(
      'invalid NCCO: [0].text: must be at most 1500 characters (got 1501); [1].action: unknown action "dance"; expected one of talk, stream, input, record, conversation, connect, notify, wait',
    );
  });

  it("keeps today's behaviour without an NCCO or answer URL: answered and kept up", async () => {
    app = await startTestApp();
    rig = await startVoiceRig({ voice: { eventUrl: `${app.url}/event` } });
    const run = startSipp(sipp(uacScenario({ end: 'bye' }), rig.port));
    await app.waitFor((r) => statuses(r).includes('answered'));
    const [call] = [...rig.sip.calls.values()];
    expect(call?.sip.state).toBe('answered');
    call?.hangup();
    const result = await run.done;

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => statuses(r).includes('completed'));
  });
});
