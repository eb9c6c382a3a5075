import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWavHeader } from '../../../src/media/index.js';
import { freeUdpPort, startSipp, type SippRun } from '../../sip/sippRun.js';
import { energy, startCallsRig, type CallsRig } from './callsRig.js';

/** One second of a 440 Hz tone at 8 kHz as a WAV file. */
function toneWav(): Buffer {
  const pcm = Buffer.alloc(16_000);
  for (let i = 0; i < 8000; i++) {
    pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), i * 2);
  }

  return Buffer.concat([buildWavHeader({ channels: 1, sampleRate: 8000, dataBytes: pcm.length }), pcm]);
}

const HOLD = { action: 'wait', timeout: 120 };

// The official @vonage/server-sdk Voice client against confab, with sipp answering the outbound calls.
describe('the Calls API with the official SDK and a sipp callee', () => {
  let rig: CallsRig;
  let sipp: SippRun;
  /** Loudness of what the call under test hears, per 20 ms tick, from a tap on its leg in the hub. */
  const heard: number[] = [];
  let tap: { close(): void } | null = null;

  const loudSince = (from: number): boolean => heard.slice(from).some((level) => level > 300);
  const quietNow = (): boolean => heard.length > 10 && heard.slice(-10).every((level) => level < 5);

  beforeAll(async () => {
    const port = await freeUdpPort();
    sipp = startSipp(
      ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-m', '2', '-timeout', '120', '-timeout_error'],
      130_000,
    );
    rig = await startCallsRig(port);
    rig.app.route('/tone.wav', (_req: unknown, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'audio/wav' }).end(toneWav());
    });
  });

  afterAll(async () => {
    tap?.close();
    await rig?.close();
    sipp?.child.kill('SIGKILL');
  });

  it('places a call with an NCCO and steers it: getCall, search, TTS, stream, DTMF, transfer, hangup', async () => {
    const created = await rig.vonage.voice.createOutboundCall({
      to: [{ type: 'phone', number: '15550009999' }],
      from: { type: 'phone', number: '15550001000' },
      ncco: [{ action: 'talk', text: 'Hello from confab' }, HOLD] as never,
    });
    expect(created).toMatchObject({ status: 'started', direction: 'outbound' });
    const uuid = created.uuid;
    expect(created.conversationUUID).toMatch(/^CON-/);

    await rig.until(async () => String((await rig.vonage.voice.getCall(uuid)).status) === 'answered');
    const call = await rig.vonage.voice.getCall(uuid);
    expect(call).toMatchObject({
      uuid,
      conversationUUID: created.conversationUUID,
      direction: 'outbound',
      to: { type: 'phone', number: '15550009999' },
    });
    expect(call.startTime).toEqual(expect.any(String));

    // The NCCO's talk reaches the callee as audio.
    const audio = rig.hub.legAudio(uuid)!;
    expect(audio).toBeDefined();
    tap = audio.tap((_said, hears) => {
      heard.push(energy(hears));
    });
    await rig.until(() => loudSince(0));

    const page = await rig.vonage.voice.search({ status: 'answered' } as never);
    expect(page.count).toBe(1);
    expect(page._embedded?.calls.map((c) => c.uuid)).toEqual([uuid]);

    await rig.until(quietNow, 20_000);
    let mark = heard.length;
    expect(
      await rig.vonage.voice.playTTS(uuid, {
        text: 'This is a longer sentence spoken to the callee.',
      } as never),
    ).toMatchObject({
      message: 'Talk started',
      uuid,
    });
    await rig.until(() => loudSince(mark));
    expect(await rig.vonage.voice.stopTTS(uuid)).toMatchObject({ message: 'Talk stopped', uuid });
    await rig.until(quietNow);

    mark = heard.length;
    expect(await rig.vonage.voice.streamAudio(uuid, `${rig.app.url}/tone.wav`, 0)).toMatchObject({
      message: 'Stream started',
    });
    await rig.until(() => loudSince(mark));
    expect(await rig.vonage.voice.stopStreamAudio(uuid)).toMatchObject({ message: 'Stream stopped' });
    await rig.until(quietNow);

    mark = heard.length;
    expect(await rig.vonage.voice.playDTMF(uuid, '1234#')).toMatchObject({ message: 'DTMF sent', uuid });
    await rig.until(() => loudSince(mark));
    await rig.until(quietNow);

    mark = heard.length;
    await rig.vonage.voice.transferCallWithNCCO(uuid, [
      { action: 'talk', text: 'You were transferred' },
      HOLD,
    ] as never);
    await rig.until(() => loudSince(mark));
    await rig.app.waitFor((received) =>
      received.some((r) => r.path === '/event' && r.body?.status === 'transfer'),
    );

    await rig.vonage.voice.hangupCall(uuid);
    await rig.until(async () => String((await rig.vonage.voice.getCall(uuid)).status) === 'completed');
    const done = await rig.vonage.voice.getCall(uuid);
    expect(Number(done.duration)).toBeGreaterThanOrEqual(0);
    expect(done.endTime).toEqual(expect.any(String));
    await rig.app.waitFor((received) =>
      received.some((r) => r.path === '/event' && r.body?.uuid === uuid && r.body?.status === 'completed'),
    );
    const statuses = rig.app
      .at('/event')
      .filter((r) => r.body?.uuid === uuid)
      .map((r) => r.body?.status);
    expect(statuses).toEqual(['started', 'ringing', 'answered', 'transfer', 'completed']);
  }, 120_000);

  it('fetches the answer_url once the callee answers, and lists calls with paging', async () => {
    rig.app.route('/answer', [{ action: 'talk', text: 'Answered by URL' }, HOLD]);
    const created = await rig.vonage.voice.createOutboundCall({
      to: [{ type: 'sip', uri: 'sip:bob@127.0.0.1' }],
      answerUrl: [`${rig.app.url}/answer`],
      eventUrl: [`${rig.app.url}/call-events`],
    } as never);
    const uuid = created.uuid;
    await rig.app.waitFor((received) => received.some((r) => r.path === '/answer'));
    const answer = rig.app.at('/answer')[0]!;
    expect(answer.method).toBe('GET');
    expect(answer.query).toMatchObject({
      uuid,
      conversation_uuid: created.conversationUUID,
      to: 'sip:bob@127.0.0.1',
    });
    await rig.app.waitFor((received) =>
      received.some((r) => r.path === '/call-events' && r.body?.status === 'answered'),
    );

    const first = await rig.vonage.voice.search({ pageSize: 1 });
    expect(first.count).toBe(2);
    expect(first._embedded?.calls).toHaveLength(1);
    const all = [];
    for await (const c of rig.vonage.voice.getAllCalls({ pageSize: 1 })) {
      all.push(c.uuid);
    }
    expect(all).toHaveLength(2);
    expect(all[1]).toBe(uuid);
    const byConversation = await rig.vonage.voice.search({
      conversationUuid: created.conversationUUID,
    });
    expect(byConversation._embedded?.calls.map((c) => c.uuid)).toEqual([uuid]);

    await rig.vonage.voice.hangupCall(uuid);
    await rig.app.waitFor((received) =>
      received.some((r) => r.path === '/call-events' && r.body?.status === 'completed'),
    );
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
  }, 60_000);

  it('refuses bad requests with 400 and invalid_parameters', async () => {
    await expect(
      rig.vonage.voice.createOutboundCall({
        to: [{ type: 'phone', number: 'not-a-number' }],
        ncco: [],
      } as never),
    ).rejects.toThrow(/400/);
    const noNumber = await rig.request('POST', '/v1/calls', { to: [{ type: 'phone' }], ncco: [HOLD] });
    expect(noNumber.status).toBe(400);
    expect(noNumber.json.invalid_parameters).toEqual([
      { name: 'body.to.0.number', reason: expect.any(String) },
    ]);
    const neither = await rig.request('POST', '/v1/calls', { to: [{ type: 'phone', number: '1555' }] });
    expect(neither.status).toBe(400);
    expect(neither.json.invalid_parameters[0].name).toBe('body.ncco');
    const badNcco = await rig.request('POST', '/v1/calls', {
      to: [{ type: 'phone', number: '1555' }],
      ncco: [{ action: 'talk' }, { action: 'dance' }],
    });
    expect(badNcco.status).toBe(400);
    expect(badNcco.json.code).toBe('http:error:validation-fail');
    expect((badNcco.json.invalid_parameters as { name: string }[]).map((p) => p.name)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^body\.ncco\[0\]/),
        expect.stringMatching(/^body\.ncco\[1\]/),
      ]),
    );
    const badAction = await rig.request('PUT', '/v1/calls/nope', { action: 'explode' });
    expect(badAction.status).toBe(400);
    expect(badAction.json.invalid_parameters[0].name).toBe('body.action');
    const transferNothing = await rig.request('PUT', '/v1/calls/nope', { action: 'transfer' });
    expect(transferNothing.status).toBe(400);
    expect(transferNothing.json.invalid_parameters[0].name).toBe('body.destination');
    const badDigits = await rig.request('PUT', '/v1/calls/nope/dtmf', { digits: 'xyz' });
    expect(badDigits.status).toBe(400);
    expect(badDigits.json.invalid_parameters[0].name).toBe('body.digits');
    const unknown = await rig.request('GET', '/v1/calls/4a5c8c3e-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('leg:error:not-found');
    const openapi = (await (await fetch(`${rig.base}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/v1/calls',
        '/v1/calls/{uuid}',
        '/v1/calls/{uuid}/talk',
        '/v1/calls/{uuid}/stream',
        '/v1/calls/{uuid}/dtmf',
        '/v1/conversations/{conversation_id}/talk',
        '/v1/conversations/{conversation_id}/stream',
        '/v1/conversations/{conversation_id}/record',
      ]),
    );
    const badDate = await rig.request('GET', '/v1/calls?date_start=yesterday');
    expect(badDate.status).toBe(400);
    expect(badDate.json.invalid_parameters[0].name).toBe('date_start');
  });
});
