import { afterEach, describe, expect, it } from 'vitest';
import { startEchoBot } from '../../../examples/echo-bot/echoBot.js';
import { concat, rms, toneSource, zeroCrossingHz } from '../../media/bus/audioProbe.js';
import { binaries, bytesOf, pcmOf, startAppServer, texts, waitFor, type AppServer } from './appServer.js';
import { legRig, type LegRig } from './legRig.js';

let app: AppServer | undefined;
let rig: LegRig | undefined;

afterEach(async () => {
  rig?.close();
  rig = undefined;
  await app?.close();
  app = undefined;
});

/** A ramp of distinct sample values, below the limiter threshold so the mix passes it bit-exact. */
const ramp = (length: number, offset = 0): Int16Array =>
  Int16Array.from({ length }, (_, i) => ((i + offset) % 20000) - 10000);

describe('WebSocketLeg audio', () => {
  it('sends the connected message first, with content type and flattened headers', async () => {
    app = await startAppServer();
    rig = legRig(app, { headers: { 'caller-id': '447700900000', customer: { tier: 'gold' } } });
    await rig.leg.start();
    rig.clock.advance(3);
    const connection = app.connections[0]!;
    await waitFor(() => connection.messages.length === 4, 'connected message and three frames');
    const first = connection.messages[0]!;
    expect(first.kind).toBe('text');
    expect(first.kind === 'text' ? first.text : '').toBe(
      '{"event":"websocket:connected","content-type":"audio/l16;rate=16000","caller-id":"447700900000","customer":{"tier":"gold"}}',
    );
    expect(connection.messages.slice(1).every((m) => m.kind === 'binary')).toBe(true);
    expect(rig.leg.status).toBe('connected');
  });

  for (const [rate, bytes] of [
    [8000, 320],
    [16000, 640],
    [24000, 960],
  ] as const) {
    it(`sends exactly one 20 ms frame of ${bytes} bytes per tick at ${rate} Hz`, async () => {
      app = await startAppServer();
      rig = legRig(app, { sampleRate: rate, phoneRate: 8000, phoneSource: toneSource(440, 8000) });
      await rig.leg.start();
      rig.clock.advance(25);
      const connection = app.connections[0]!;
      await waitFor(() => binaries(connection).length === 25, '25 frames');
      expect(texts(connection)[0]!['content-type']).toBe(`audio/l16;rate=${rate}`);
      expect(binaries(connection).map((b) => b.length)).toEqual(new Array<number>(25).fill(bytes));
      expect(rig.leg.frameBytes).toBe(bytes);
      expect(rig.leg.stats.framesSent).toBe(25);
    });
  }

  it('carries a 440 Hz tone from an 8 kHz phone to the 16 kHz app as 440 ± 2 Hz', async () => {
    app = await startAppServer();
    rig = legRig(app, { phoneRate: 8000, phoneSource: toneSource(440, 8000, 10000) });
    await rig.leg.start();
    rig.clock.advance(60);
    const connection = app.connections[0]!;
    await waitFor(() => binaries(connection).length === 60, '60 frames');
    const signal = concat(binaries(connection).slice(5).map(pcmOf));
    expect(Math.abs(zeroCrossingHz(signal, 16000) - 440)).toBeLessThan(2);
    expect(rms(signal)).toBeGreaterThan(6000);
  });

  it('plays the echo bot’s echo back to the phone: the tone returns at 440 ± 2 Hz', async () => {
    const logs: string[] = [];
    const bot = await startEchoBot({ port: 0, log: (line) => logs.push(line) });
    app = { url: `ws://127.0.0.1:${bot.port}/`, connections: [], close: () => bot.close() };
    rig = legRig(app, { phoneRate: 8000, phoneSource: toneSource(440, 8000, 10000) });
    await rig.leg.start();
    for (let tick = 0; tick < 80; tick++) {
      rig.clock.advance(1);
      // Wait for the echo of this frame before the next tick, so the test does not depend on timing.
      await waitFor(() => rig!.leg.stats.audioMessages === rig!.leg.stats.framesSent, 'the echo');
    }
    const echoed = concat(rig.heard.slice(-40));
    expect(Math.abs(zeroCrossingHz(echoed, 8000) - 440)).toBeLessThan(2);
    expect(rms(echoed)).toBeGreaterThan(5000);
    expect(rig.leg.stats.playout.underruns).toBe(0);
    rig.leg.sendDtmf('7', 120);
    await waitFor(() => logs.some((l) => l.startsWith('dtmf: digit 7')), 'the bot to log the digit');
    expect(logs[0]).toContain('"content-type":"audio/l16;rate=16000"');
  });

  it('honours mute and earmuff on the leg’s bus participant', async () => {
    app = await startAppServer();
    rig = legRig(app, { phoneSource: toneSource(440, 16000, 9000), prebufferMs: 0 });
    const participant = rig.bus.getParticipant('ws-leg')!;
    await rig.leg.start();
    const connection = app.connections[0]!;
    participant.earmuffed = true;
    rig.clock.advance(5);
    await waitFor(() => binaries(connection).length === 5, 'five frames');
    // Earmuffed: the app still gets its 20 ms frames, but they are silent.
    expect(binaries(connection).every((b) => b.length === 640 && b.every((byte) => byte === 0))).toBe(true);
    participant.earmuffed = false;
    participant.muted = true;
    connection.ws.send(bytesOf(new Int16Array(320 * 3).fill(900)));
    await waitFor(() => rig!.leg.queuedMs === 60, 'app audio');
    rig.clock.advance(3);
    await waitFor(() => binaries(connection).length === 8, 'eight frames');
    expect(rms(pcmOf(binaries(connection)[7]!))).toBeGreaterThan(5000);
    // Muted: the app's audio was consumed but the phone heard none of it.
    expect(rig.leg.queuedMs).toBe(0);
    expect(rig.heard.slice(-3).every((f) => f.every((v) => v === 0))).toBe(true);
  });

  it('re-frames app audio sent in 100-byte, 3000-byte and odd 101-byte chunks, bit-exact', async () => {
    app = await startAppServer();
    rig = legRig(app);
    await rig.leg.start();
    const ws = app.connections[0]!.ws;
    const first = ramp(3200);
    const second = ramp(3000, 3200);
    const third = ramp(3232, 6200);
    const a = bytesOf(first);
    const b = bytesOf(second);
    const c = bytesOf(third);
    for (let at = 0; at < a.length; at += 100) {
      ws.send(a.subarray(at, at + 100));
    }
    for (let at = 0; at < b.length; at += 3000) {
      ws.send(b.subarray(at, at + 3000));
    }
    for (let at = 0; at < c.length; at += 101) {
      ws.send(c.subarray(at, at + 101));
    }
    const total = first.length + second.length + third.length;
    await waitFor(() => rig!.leg.stats.audioBytes === total * 2, 'all chunks');
    expect(rig.leg.stats.audioMessages).toBe(64 + 2 + 64);
    rig.clock.advance(Math.ceil(total / 320) + 2);
    expect(rig.heard.every((f) => f.length === 320)).toBe(true);
    const played = concat(rig.heard);
    expect(Array.from(played.subarray(0, total))).toEqual(Array.from(concat([first, second, third])));
    expect(rig.leg.queuedMs).toBe(0);
  });

  it('caps queued app audio at maxQueueMs and counts the overflow', async () => {
    app = await startAppServer();
    rig = legRig(app, { maxQueueMs: 100 });
    await rig.leg.start();
    app.connections[0]!.ws.send(bytesOf(ramp(320 * 8)));
    await waitFor(() => rig!.leg.stats.audioMessages === 1, 'the audio');
    expect(rig.leg.queuedMs).toBe(100);
    expect(rig.leg.stats.playout.overflowBytes).toBe(320 * 3 * 2);
  });
});
