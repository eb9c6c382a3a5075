import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  WebSocketChannelError,
  WebSocketLeg,
  type WebSocketDisconnectedInfo,
  type WebSocketReconnectingInfo,
} from '../../../src/channels/index.js';
import { toneSource } from '../../media/bus/audioProbe.js';
import { binaries, startAppServer, texts, waitFor, type AppServer } from './appServer.js';
import { legRig, type LegRig } from './legRig.js';

let app: AppServer | undefined;
let rig: LegRig | undefined;

afterEach(async () => {
  rig?.close();
  rig = undefined;
  await app?.close();
  app = undefined;
});

/** Records the leg's status events in order. */
function statusLog(r: LegRig): {
  log: string[];
  reconnects: WebSocketReconnectingInfo[];
  end: WebSocketDisconnectedInfo[];
} {
  const log: string[] = [];
  const reconnects: WebSocketReconnectingInfo[] = [];
  const end: WebSocketDisconnectedInfo[] = [];
  r.leg.on('connected', ({ connection, reconnected }) => log.push(`connected:${connection}:${reconnected}`));
  r.leg.on('reconnecting', (info) => {
    reconnects.push(info);
    log.push(`reconnecting:${info.attempt}`);
  });
  r.leg.on('disconnected', (info) => {
    end.push(info);
    log.push(`disconnected:${info.reason}`);
  });
  return { log, reconnects, end };
}

const retry = { attempts: 2, initialDelayMs: 10, maxDelayMs: 40 };

describe('WebSocketLeg resilience', () => {
  it('redials after the app drops mid-stream, then reports disconnected when retries run out', async () => {
    app = await startAppServer();
    rig = legRig(app, { reconnect: retry, phoneSource: toneSource(440, 16000) });
    const status = statusLog(rig);
    await rig.leg.start();
    rig.clock.advance(5);
    await waitFor(() => binaries(app!.connections[0]!).length === 5, 'audio on the first connection');
    app.connections[0]!.ws.close(1011, 'app crashed');
    await waitFor(
      () => app!.connections.length === 2 && rig!.leg.status === 'connected',
      'the second connection',
    );
    const second = app.connections[1]!;
    await waitFor(() => second.messages.length === 1, 'the connected message again');
    expect(texts(second)[0]!.event).toBe('websocket:connected');
    expect(status.reconnects[0]).toMatchObject({
      attempt: 1,
      delayMs: 10,
      code: 1011,
      detail: 'app crashed',
    });
    rig.clock.advance(3);
    await waitFor(() => binaries(second).length === 3, 'audio on the second connection');
    // Now the app goes away for good: every redial is refused.
    await app.close();
    await waitFor(() => status.end.length === 1, 'the final disconnect');
    expect(status.log).toEqual([
      'connected:1:false',
      'reconnecting:1',
      'connected:2:true',
      'reconnecting:1',
      'reconnecting:2',
      'disconnected:failed',
    ]);
    expect(status.reconnects.map((r) => r.delayMs)).toEqual([10, 10, 20]);
    expect(status.end[0]!.code).toBe(1006);
    expect(rig.leg.status).toBe('disconnected');
    expect(rig.leg.stats.reconnects).toBe(1);
    expect(rig.bus.getParticipant('ws-leg')).toBeUndefined();
    app = undefined;
  });

  it('does not redial when the app hangs up normally (1000)', async () => {
    app = await startAppServer();
    rig = legRig(app, { reconnect: retry });
    const status = statusLog(rig);
    await rig.leg.start();
    app.connections[0]!.ws.close(1000, 'bye');
    await waitFor(() => status.end.length === 1, 'the disconnect');
    expect(status.log).toEqual(['connected:1:false', 'disconnected:remote']);
    expect(status.end[0]).toEqual({ reason: 'remote', code: 1000, detail: 'bye' });
    expect(app.connections).toHaveLength(1);
  });

  it('rejects start() when the first dial fails and retrying is off', async () => {
    app = await startAppServer();
    const url = app.url;
    await app.close();
    app = undefined;
    const leg = new WebSocketLeg({ id: 'x', uri: url, reconnect: { attempts: 0 } });
    const ended = new Promise<WebSocketDisconnectedInfo>((resolve) => leg.once('disconnected', resolve));
    await expect(leg.start()).rejects.toThrow(WebSocketChannelError);
    expect((await ended).reason).toBe('failed');
  });

  it('drops and counts frames when the app stops reading, keeping the send buffer near one second', async () => {
    app = await startAppServer((connection) => connection.socket.pause());
    rig = legRig(app, { phoneSource: toneSource(440, 16000) });
    await rig.leg.start();
    const oneSecond = 16000 * 2;
    // The kernel's socket buffers absorb some megabytes first; then ws starts to buffer, and the leg drops.
    for (let batch = 0; batch < 400 && rig.leg.stats.framesDropped === 0; batch++) {
      rig.clock.advance(250);
      await yieldToLoop();
    }
    const dropped = rig.leg.stats.framesDropped;
    expect(dropped).toBeGreaterThan(0);
    rig.clock.advance(500);
    await yieldToLoop();
    expect(rig.leg.stats.framesDropped).toBeGreaterThanOrEqual(dropped + 450);
    expect(rig.leg.bufferedAmount).toBeLessThan(oneSecond + 1024);
    expect(rig.leg.stats.maxBufferedBytes).toBeLessThan(oneSecond + 1024);
    expect(rig.leg.status).toBe('connected');
  });

  it('treats a peer that stops answering pings as gone and redials; a healthy peer stays', async () => {
    app = await startAppServer((connection) => {
      // Only the first connection goes deaf; the redialled one answers pings as ws does by default.
      if (app?.connections.length === 1) {
        connection.socket.pause();
      }
    });
    rig = legRig(app, { reconnect: retry, pingIntervalMs: 150 });
    const status = statusLog(rig);
    await rig.leg.start();
    await waitFor(() => status.log.includes('connected:2:true'), 'the redial after missed pongs');
    expect(status.reconnects[0]!.code).toBe(1006);
    // Several ping periods pass on the healthy connection without another redial.
    await new Promise((wake) => setTimeout(wake, 500));
    expect(app.connections).toHaveLength(2);
    expect(rig.leg.status).toBe('connected');
  });

  it('closes on an oversized app message (1009) and redials', async () => {
    app = await startAppServer();
    rig = legRig(app, { reconnect: retry, maxMessageBytes: 4096 });
    const status = statusLog(rig);
    await rig.leg.start();
    app.connections[0]!.ws.send(Buffer.alloc(10_000));
    await waitFor(() => status.log.includes('connected:2:true'), 'the redial');
    expect(status.reconnects[0]!.code).toBe(1009);
    expect(rig.leg.stats.protocolErrors).toBe(1);
    expect(rig.leg.queuedMs).toBe(0);
  });

  it('closes on a message split into too many fragments (1008) and redials', async () => {
    app = await startAppServer();
    rig = legRig(app, { reconnect: retry });
    const status = statusLog(rig);
    await rig.leg.start();
    const ws = app.connections[0]!.ws;
    for (let i = 0; i < 300; i++) {
      ws.send(Buffer.alloc(2), { binary: true, fin: i === 299 });
    }
    await waitFor(() => status.log.includes('connected:2:true'), 'the redial');
    expect(status.reconnects[0]!.code).toBe(1008);
    expect(rig.leg.stats.audioMessages).toBe(0);
  });

  it('stops a pending redial when closed while reconnecting', async () => {
    app = await startAppServer();
    rig = legRig(app, { reconnect: { attempts: 3, initialDelayMs: 100 } });
    const status = statusLog(rig);
    await rig.leg.start();
    rig.leg.on('reconnecting', () => rig!.leg.close());
    app.connections[0]!.socket.destroy();
    await waitFor(() => status.end.length === 1, 'the disconnect');
    await new Promise((wake) => setTimeout(wake, 200));
    expect(status.log).toEqual(['connected:1:false', 'reconnecting:1', 'disconnected:local']);
    expect(app.connections).toHaveLength(1);
  });

  it('closes idempotently: one disconnected event, a normal close at the app, and no more use', async () => {
    app = await startAppServer();
    rig = legRig(app);
    const status = statusLog(rig);
    await rig.leg.start();
    rig.leg.close();
    rig.leg.close();
    await waitFor(() => app!.connections[0]!.closeCode !== undefined, 'the app to see the close');
    expect(app.connections[0]!.closeCode).toBe(1000);
    expect(status.end).toEqual([{ reason: 'local', code: 1000, detail: '' }]);
    expect(rig.leg.closed).toBe(true);
    expect(rig.leg.sendDtmf('1', 100)).toBe(false);
    expect(() => rig!.leg.attach(rig!.bus)).toThrow(WebSocketChannelError);
    await expect(rig.leg.start()).rejects.toThrow(/ERR_WS_CLOSED/);
    expect(rig.bus.size).toBe(1);
  });

  it('fails fast on invalid options', () => {
    expect(() => new WebSocketLeg({ id: 'a', uri: 'http://example.test/' })).toThrow(/ERR_WS_INVALID_OPTION/);
    expect(() => new WebSocketLeg({ id: 'a', uri: 'not a uri' })).toThrow(WebSocketChannelError);
    expect(() => new WebSocketLeg({ id: 'a', uri: 'ws://x.test/#frag' })).toThrow(/fragment/);
    expect(() => new WebSocketLeg({ id: 'a', uri: 'wss://x.test/', sampleRate: 44100 as 8000 })).toThrow(
      /sampleRate/,
    );
    expect(() => new WebSocketLeg({ id: 'a', uri: 'ws://x.test/', reconnect: { attempts: -1 } })).toThrow(
      WebSocketChannelError,
    );
  });
});
