import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketChannelError } from '../../../src/channels/index.js';
import { bytesOf, startAppServer, texts, waitFor, type AppConnection, type AppServer } from './appServer.js';
import { legRig, type LegRig } from './legRig.js';

let app: AppServer | undefined;
let rig: LegRig | undefined;

afterEach(async () => {
  rig?.close();
  rig = undefined;
  await app?.close();
  app = undefined;
});

/** `frames` 20 ms frames at 16 kHz of a constant non-zero value. */
const audio = (frames: number, value = 1234): Buffer => bytesOf(new Int16Array(frames * 320).fill(value));

/** Events the app received with the given name. */
const eventsNamed = (connection: AppConnection, name: string): Record<string, unknown>[] =>
  texts(connection).filter((m) => m.event === name);

/** Frames the phone heard that carried audio. */
const audible = (r: LegRig): number => r.heard.filter((f) => f.some((v) => v !== 0)).length;

describe('WebSocketLeg control messages', () => {
  it('answers notify exactly on the tick after the audio queued before it has played', async () => {
    app = await startAppServer();
    rig = legRig(app);
    await rig.leg.start();
    const connection = app.connections[0]!;
    let notifyTick = -1;
    rig.leg.on('notify', () => {
      notifyTick = rig!.bus.tickCount;
    });
    connection.ws.send(audio(10));
    connection.ws.send(JSON.stringify({ action: 'notify', payload: { mark: 'greeting-done', n: 1 } }));
    connection.ws.send(audio(5, 77));
    await waitFor(() => rig!.leg.pendingNotifies === 1 && rig!.leg.queuedMs === 300, 'audio and mark queued');
    rig.clock.advance(10);
    expect(audible(rig)).toBe(10);
    expect(notifyTick).toBe(-1);
    // Messages on one socket stay in order: once this DTMF arrives, an early notify would have arrived too.
    rig.leg.sendDtmf('1', 80);
    await waitFor(() => eventsNamed(connection, 'websocket:dtmf').length === 1, 'the sentinel digit');
    expect(eventsNamed(connection, 'websocket:notify')).toHaveLength(0);
    rig.clock.advance(1);
    expect(notifyTick).toBe(11);
    await waitFor(() => eventsNamed(connection, 'websocket:notify').length === 1, 'the notify answer');
    expect(eventsNamed(connection, 'websocket:notify')[0]).toEqual({
      event: 'websocket:notify',
      payload: { mark: 'greeting-done', n: 1 },
    });
    // The audio queued after the mark plays on, starting at the tick that fired the mark.
    rig.clock.advance(5);
    expect(rig.heard.slice(10, 15).every((f) => f.every((v) => v === 77))).toBe(true);
    expect(rig.leg.pendingNotifies).toBe(0);
  });

  it('answers a notify with nothing queued on the next tick', async () => {
    app = await startAppServer();
    rig = legRig(app);
    await rig.leg.start();
    const connection = app.connections[0]!;
    connection.ws.send(JSON.stringify({ action: 'notify' }));
    await waitFor(() => rig!.leg.pendingNotifies === 1, 'the mark');
    rig.clock.advance(1);
    await waitFor(() => eventsNamed(connection, 'websocket:notify').length === 1, 'the notify answer');
    expect(eventsNamed(connection, 'websocket:notify')[0]).toEqual({ event: 'websocket:notify' });
  });

  it('in real time, answers notify only after all audio before it reached the other participant', async () => {
    app = await startAppServer();
    rig = legRig(app, { realtime: true });
    await rig.leg.start();
    const connection = app.connections[0]!;
    const r = rig;
    let heardAtNotify = -1;
    r.leg.on('notify', () => {
      heardAtNotify = audible(r);
    });
    const sentAt = performance.now();
    connection.ws.send(audio(15));
    connection.ws.send(JSON.stringify({ action: 'notify', payload: 'after-300ms' }));
    await waitFor(
      () => eventsNamed(connection, 'websocket:notify').length === 1,
      'the notify answer',
      10_000,
    );
    const elapsed = performance.now() - sentAt;
    expect(heardAtNotify).toBe(15);
    // 15 frames take 300 ms to play; the bound is loose because a stalled clock catches up in a burst.
    expect(elapsed).toBeGreaterThanOrEqual(200);
  });

  it('clear drops queued audio, answers websocket:cleared and answers pending marks first', async () => {
    app = await startAppServer();
    rig = legRig(app);
    await rig.leg.start();
    const connection = app.connections[0]!;
    const cleared: number[] = [];
    rig.leg.on('cleared', ({ droppedMs }) => cleared.push(droppedMs));
    connection.ws.send(audio(100));
    connection.ws.send(JSON.stringify({ action: 'notify', payload: 'never-heard' }));
    connection.ws.send(audio(10));
    await waitFor(() => rig!.leg.queuedMs === 2200, '2.2 s of queued audio');
    rig.clock.advance(3);
    connection.ws.send(JSON.stringify({ action: 'clear' }));
    await waitFor(() => eventsNamed(connection, 'websocket:cleared').length === 1, 'the cleared answer');
    const order = texts(connection).map((m) => m.event);
    expect(order.slice(-2)).toEqual(['websocket:notify', 'websocket:cleared']);
    expect(cleared).toEqual([2200 - 60]);
    expect(rig.leg.queuedMs).toBe(0);
    rig.clock.advance(10);
    expect(audible(rig)).toBe(3);
    expect(rig.heard.slice(3).every((f) => f.every((v) => v === 0))).toBe(true);
    // New audio after the clear plays normally.
    connection.ws.send(audio(4, 5));
    await waitFor(() => rig!.leg.queuedMs === 80, 'new audio');
    rig.clock.advance(4);
    expect(audible(rig)).toBe(7);
  });

  it('sends DTMF as websocket:dtmf and refuses invalid digits', async () => {
    app = await startAppServer();
    rig = legRig(app);
    await rig.leg.start();
    const connection = app.connections[0]!;
    expect(rig.leg.sendDtmf('5', 260)).toBe(true);
    expect(rig.leg.sendDtmf('#', 100.4)).toBe(true);
    await waitFor(() => eventsNamed(connection, 'websocket:dtmf').length === 2, 'two digits');
    expect(eventsNamed(connection, 'websocket:dtmf')).toEqual([
      { event: 'websocket:dtmf', digit: '5', duration: 260 },
      { event: 'websocket:dtmf', digit: '#', duration: 100 },
    ]);
    expect(() => rig!.leg.sendDtmf('55', 100)).toThrow(WebSocketChannelError);
    expect(() => rig!.leg.sendDtmf('x', 100)).toThrow(/ERR_WS_INVALID_DIGIT/);
    expect(rig.leg.stats.dtmfSent).toBe(2);
  });

  it('ignores and counts junk text messages, and keeps working', async () => {
    app = await startAppServer();
    rig = legRig(app);
    await rig.leg.start();
    const connection = app.connections[0]!;
    for (const junk of ['nope{', '{"action":"dance"}', '[1,2]', '"clear"', '{"event":"websocket:notify"}']) {
      connection.ws.send(junk);
    }
    connection.ws.send(JSON.stringify({ action: 'notify', payload: 1 }));
    await waitFor(() => rig!.leg.pendingNotifies === 1, 'the valid notify');
    expect(rig.leg.stats.invalidMessages).toBe(5);
    rig.clock.advance(1);
    await waitFor(() => eventsNamed(connection, 'websocket:notify').length === 1, 'the notify answer');
    expect(rig.leg.status).toBe('connected');
  });
});
