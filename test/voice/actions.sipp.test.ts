import type { ServerResponse } from 'node:http';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PCMU } from '../../src/media/index.js';
import { decodeWav } from '../../src/voice/index.js';
import { runSipp } from '../sip/sippRun.js';
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

/** A WAV file of a sine tone (16-bit mono). */
function toneWav(freq: number, seconds: number, rate: number): Buffer {
  const samples = Math.round(rate * seconds);
  const out = Buffer.alloc(44 + samples * 2);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + samples * 2, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    out.writeInt16LE(Math.round(10000 * Math.sin((2 * Math.PI * freq * i) / rate)), 44 + i * 2);
  }

  return out;
}

const statuses = (received: Received[]): unknown[] =>
  received.filter((r) => r.path === '/event').map((r) => r.body?.status);

describe('NCCO actions on a live call (sipp caller)', () => {
  it('talk without a speech engine fails with a clear event; stream plays WAV from http and file URLs', async () => {
    app = await startTestApp();
    const wav16k = toneWav(1000, 1, 16000);
    app.route('/tone.wav', (_r: Received, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav16k);
    });
    rig = await startVoiceRig({
      speech: null,
      voice: { answerUrl: `${app.url}/answer`, eventUrl: `${app.url}/event` },
    });
    const file = join(rig.recordingsDir, 'tone.wav');
    writeFileSync(file, toneWav(500, 1, 8000));
    app.route('/answer', [
      { action: 'talk', text: 'Nobody can say this' },
      { action: 'stream', streamUrl: [`${app.url}/tone.wav`] },
      { action: 'stream', streamUrl: [`file://${file}`], level: 0 },
      { action: 'stream', streamUrl: [`${app.url}/missing.wav`] },
    ]);
    app.route('/missing.wav', (_r: Received, res: ServerResponse) => {
      res.writeHead(404).end();
    });
    const media = createSocket('udp4');
    sockets.push(media);
    await new Promise<void>((resolve) => media.bind(0, '127.0.0.1', resolve));
    const heard: Int16Array[] = [];
    media.on('message', (packet) => heard.push(PCMU.decode(packet.subarray(12))));
    const result = await runSipp(
      sipp(uacScenario({ end: 'bye', mediaPort: media.address().port }), rig.port),
    );

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => statuses(r).includes('completed'));
    expect(statuses(app.received)).toEqual(['started', 'ringing', 'answered', 'error', 'error', 'completed']);
    const errors = app.at('/event').filter((e) => e.body?.status === 'error');
    expect(errors[0]?.body?.reason).toMatch(/^talk: no speech engine: install espeak-ng/);
    expect(errors[1]?.body?.reason).toMatch(/^stream: could not fetch .*\/missing.wav \(HTTP 404\)/);
    // The 1 kHz (16 kHz WAV, resampled) then the 500 Hz (8 kHz file) tone reached the caller.
    const all = new Int16Array(heard.length * 160);
    heard.forEach((f, i) => all.set(f.subarray(0, 160), i * 160));
    const windows: { k1: number; h5: number }[] = [];
    for (let at = 0; at + 1600 <= all.length; at += 1600) {
      const w = all.subarray(at, at + 1600);
      windows.push({ k1: power(w, 1000), h5: power(w, 500) });
    }
    const firstTone = windows.findIndex((w) => w.k1 > 1e10);
    const secondTone = windows.findIndex((w) => w.h5 > 1e10);
    expect(firstTone).toBeGreaterThanOrEqual(0);
    expect(secondTone).toBeGreaterThan(firstTone);
  });

  it('records to WAV (timeOut), posts the record event, then notify continues with the reply NCCO', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({
      voice: { eventUrl: `${app.url}/event` },
      ncco: [
        { action: 'record', timeOut: 3, beepStart: true, eventUrl: [`${app.url}/rec`] },
        { action: 'notify', payload: { step: 'recorded' }, eventUrl: [`${app.url}/notify`] },
        { action: 'talk', text: 'never spoken: notify replaced the rest' },
      ],
    });
    app.route('/notify', [{ action: 'wait', timeout: 0.2 }]);
    const scenario = uacScenario({
      end: 'bye',
      codecs: 'pcma',
      steps: [{ pcap: '/usr/share/sip-tester/g711a.pcap' }],
    });
    const result = await runSipp(sipp(scenario, rig.port));

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => r.some((e) => e.path === '/rec') && statuses(r).includes('completed'));
    const rec = app.at('/rec')[0]?.body ?? {};
    expect(rec).toMatchObject({
      recording_url: expect.stringMatching(/^http:\/\/127.0.0.1:3999\/v1\/recordings\/[0-9a-f-]{36}$/),
    });
    const path = join(rig.recordingsDir, rig.applicationId, `${String(rec.recording_uuid)}.wav`);
    expect(existsSync(path)).toBe(true);
    const wav = decodeWav(readFileSync(path));
    expect(wav.sampleRate).toBe(8000);
    // About three seconds of audio, with the caller's voice in it.
    expect(wav.pcm.length).toBeGreaterThan(8000 * 2.5);
    expect(wav.pcm.length).toBeLessThan(8000 * 4);
    expect(rec.size).toBe(44 + wav.pcm.length * 2);
    expect(wav.pcm.some((s) => Math.abs(s) > 3000)).toBe(true);
    expect(Date.parse(String(rec.end_time)) - Date.parse(String(rec.start_time))).toBeGreaterThanOrEqual(
      2900,
    );
    expect(app.at('/notify')[0]?.body).toEqual({ step: 'recorded' });
  });

  it('ends a recording on endOnSilence when the caller says nothing', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({
      voice: { eventUrl: `${app.url}/event` },
      ncco: [{ action: 'record', endOnSilence: 3, timeOut: 60, eventUrl: [`${app.url}/rec`] }],
    });
    // The caller sends no audio at all: three seconds of silence end the recording, then the NCCO.
    const result = await runSipp(sipp(uacScenario({ end: 'bye' }), rig.port));

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => r.some((e) => e.path === '/rec'));
    const rec = app.at('/rec')[0]?.body ?? {};
    const duration = Date.parse(String(rec.end_time)) - Date.parse(String(rec.start_time));
    expect(duration).toBeGreaterThanOrEqual(2900);
    expect(duration).toBeLessThan(30_000);
  });

  it('ends a recording on endOnKey (RFC 4733 #)', async () => {
    app = await startTestApp();
    rig = await startVoiceRig({
      voice: { eventUrl: `${app.url}/event` },
      ncco: [{ action: 'record', endOnKey: '#', timeOut: 30, eventUrl: [`${app.url}/rec`] }],
    });
    const scenario = uacScenario({ end: 'bye', steps: [{ pauseMs: 1000 }, { pcap: dtmfPcap('#') }] });
    const result = await runSipp(sipp(scenario, rig.port));

    expect(result.code, result.explain).toBe(0);
    await app.waitFor((r) => r.some((e) => e.path === '/rec'));
    const rec = app.at('/rec')[0]?.body ?? {};
    const duration = Date.parse(String(rec.end_time)) - Date.parse(String(rec.start_time));
    expect(duration).toBeGreaterThan(500);
    expect(duration).toBeLessThan(10_000);
  });
});
