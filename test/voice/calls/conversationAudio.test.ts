import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWavHeader } from '../../../src/media/index.js';
import { freeUdpPort, startSipp, type SippRun } from '../../sip/sippRun.js';
import { energy, startCallsRig, type CallsRig } from './callsRig.js';

// The conversation-wide routes and the call settings, on an outbound call answered by sipp.
describe('conversation talk, stream and record; call mute and earmuff', () => {
  let rig: CallsRig;
  let sipp: SippRun;
  let uuid: string;
  let conversation: string;
  const heard: number[] = [];
  let tap: { close(): void } | null = null;
  const loudSince = (from: number): boolean => heard.slice(from).some((level) => level > 300);
  const quietNow = (): boolean => heard.length > 10 && heard.slice(-10).every((level) => level < 5);

  beforeAll(async () => {
    const port = await freeUdpPort();
    sipp = startSipp(
      ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-timeout', '60', '-timeout_error'],
      70_000,
    );
    rig = await startCallsRig(port);
    const created = await rig.request('POST', '/v1/calls', {
      to: [{ type: 'phone', number: '15550003333' }],
      ncco: [{ action: 'wait', timeout: 120 }],
    });
    expect(created.status).toBe(201);
    uuid = created.json.uuid;
    conversation = created.json.conversation_uuid;
    await rig.until(() => rig.hub.legAudio(uuid) !== undefined);
    tap = rig.hub.legAudio(uuid)!.tap((_said, hears) => heard.push(energy(hears)));
  });

  afterAll(async () => {
    tap?.close();
    await rig?.close();
    sipp?.child.kill('SIGKILL');
  });

  it('speaks and streams to the whole conversation until stopped', async () => {
    await rig.until(quietNow);
    let mark = heard.length;
    const talk = await rig.request('PUT', `/v1/conversations/${conversation}/talk`, {
      text: 'An announcement for everybody in this conversation.',
    });
    expect(talk).toMatchObject({ status: 200, json: { message: 'Talk started', uuid: conversation } });
    await rig.until(() => loudSince(mark));
    expect((await rig.request('DELETE', `/v1/conversations/${conversation}/talk`)).status).toBe(200);
    await rig.until(quietNow);

    const pcm = Buffer.alloc(32_000);
    for (let i = 0; i < 16_000; i++) {
      pcm.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 16_000)), i * 2);
    }
    const file = join(rig.recordingsDir, 'tone.wav');
    writeFileSync(
      file,
      Buffer.concat([buildWavHeader({ channels: 1, sampleRate: 16_000, dataBytes: pcm.length }), pcm]),
    );
    mark = heard.length;
    const stream = await rig.request('PUT', `/v1/conversations/${conversation}/stream`, {
      stream_url: [pathToFileURL(file).href],
      loop: 0,
    });
    expect(stream.status).toBe(200);
    await rig.until(() => loudSince(mark));
    expect((await rig.request('DELETE', `/v1/conversations/${conversation}/stream`)).status).toBe(200);
    await rig.until(quietNow);

    const missing = await rig.request(
      'PUT',
      '/v1/conversations/CON-00000000-0000-4000-8000-000000000000/talk',
      {
        text: 'hello',
      },
    );
    expect(missing).toMatchObject({ status: 404, json: { code: 'conversation:error:not-found' } });
    const tooLong = await rig.request('PUT', `/v1/conversations/${conversation}/talk`, {
      text: 'x'.repeat(1501),
    });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.invalid_parameters[0].name).toBe('body.text');
  }, 40_000);

  it('mutes, earmuffs and records, with their conversation events', async () => {
    for (const action of ['mute', 'earmuff'] as const) {
      expect((await rig.request('PUT', `/v1/calls/${uuid}`, { action })).status).toBe(204);
    }
    expect(rig.hub.legAudio(uuid)).toMatchObject({ muted: true, earmuffed: true });
    for (const action of ['unmute', 'unearmuff'] as const) {
      expect((await rig.request('PUT', `/v1/calls/${uuid}`, { action })).status).toBe(204);
    }
    expect(rig.hub.legAudio(uuid)).toMatchObject({ muted: false, earmuffed: false });

    expect(
      (await rig.request('PUT', `/v1/conversations/${conversation}/record`, { action: 'start' })).status,
    ).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      (await rig.request('PUT', `/v1/conversations/${conversation}/record`, { action: 'stop' })).status,
    ).toBe(204);
    const types: string[] = [];
    await rig.until(async () => {
      const page = await rig.repos.events.list(rig.applicationId, conversation, {
        pageSize: 100,
        order: 'asc',
      });
      types.splice(0, types.length, ...page.items.map((e) => e.type));

      return types.includes('audio:record:done');
    });
    expect(types).toEqual(
      expect.arrayContaining(['audio:mute:on', 'audio:earmuff:on', 'audio:mute:off', 'audio:earmuff:off']),
    );
    const page = await rig.repos.events.list(rig.applicationId, conversation, {
      pageSize: 100,
      order: 'asc',
    });
    const done = page.items.find((e) => e.type === 'audio:record:done')!;
    const id = String(done.body.destination_url).split('/').pop()!;
    expect(existsSync(join(rig.recordingsDir, rig.applicationId, `${id}.wav`))).toBe(true);

    expect((await rig.request('PUT', `/v1/calls/${uuid}`, { action: 'hangup' })).status).toBe(204);
    await rig.until(async () => (await rig.repos.legs.get(rig.applicationId, uuid))?.status === 'completed');
    const gone = await rig.request('PUT', `/v1/calls/${uuid}`, { action: 'mute' });
    expect(gone).toMatchObject({ status: 400, json: { code: 'leg:error:complete' } });
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
  }, 40_000);
});
