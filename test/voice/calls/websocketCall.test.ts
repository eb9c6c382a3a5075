import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { freeUdpPort } from '../../sip/sippRun.js';
import { startCallsRig, type CallsRig } from './callsRig.js';

let rig: CallsRig | null = null;
let server: WebSocketServer | null = null;
afterEach(async () => {
  server?.close();
  server = null;
  await rig?.close();
  rig = null;
});

/** Mean absolute amplitude of 16-bit little-endian PCM bytes. */
function level(bytes: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    sum += Math.abs(bytes.readInt16LE(i));
  }

  return sum / Math.max(1, bytes.length / 2);
}

describe('POST /v1/calls to a websocket endpoint', () => {
  it('dials the application, runs the NCCO into the socket, and ends with completed on hangup', async () => {
    const r = (rig = await startCallsRig(await freeUdpPort()));
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const wss = server;
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const { port } = wss.address() as { port: number };
    const texts: Record<string, unknown>[] = [];
    const levels: number[] = [];
    let closed = false;
    wss.on('connection', (ws: WebSocket) => {
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) {
          levels.push(level(data));
        } else {
          texts.push(JSON.parse(String(data)) as Record<string, unknown>);
        }
      });
      ws.on('close', () => {
        closed = true;
      });
    });
    const created = await r.request('POST', '/v1/calls', {
      to: [
        {
          type: 'websocket',
          uri: `ws://127.0.0.1:${port}/bot`,
          'content-type': 'audio/l16;rate=8000',
          headers: { app: 'bot' },
        },
      ],
      from: { type: 'phone', number: '14155550100' },
      ncco: [
        { action: 'talk', text: 'Hello application, this is confab speaking.' },
        { action: 'wait', timeout: 60 },
      ],
      event_url: [`${r.app.url}/ws-events`],
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ status: 'started', direction: 'outbound' });
    const uuid: string = created.json.uuid;
    await r.until(() => texts.length > 0);
    expect(texts[0]).toMatchObject({
      event: 'websocket:connected',
      'content-type': 'audio/l16;rate=8000',
      app: 'bot',
    });
    // The talk reaches the application as 8 kHz frames of 320 bytes.
    await r.until(() => levels.some((l) => l > 300));
    const call = await r.request('GET', `/v1/calls/${uuid}`);
    expect(call.json).toMatchObject({
      status: 'answered',
      to: { type: 'websocket', uri: `ws://127.0.0.1:${port}/bot` },
    });

    expect((await r.request('PUT', `/v1/calls/${uuid}`, { action: 'hangup' })).status).toBe(204);
    await r.until(() => closed);
    await r.app.waitFor((received) =>
      received.some((x) => x.path === '/ws-events' && x.body?.status === 'completed'),
    );
    const events = r.app.at('/ws-events').map((x) => x.body!);
    expect(events.map((e) => e.status)).toEqual(['started', 'answered', 'completed']);
    // Vonage's fields: the leg id as uuid, its conversation, the endpoints, the connect headers, timings.
    const conversation: string = created.json.conversation_uuid;
    for (const event of events) {
      expect(event).toMatchObject({
        uuid,
        conversation_uuid: conversation,
        direction: 'outbound',
        from: '14155550100',
        to: `ws://127.0.0.1:${port}/bot`,
        headers: { app: 'bot' },
      });
      expect(Number.isNaN(Date.parse(String(event.timestamp)))).toBe(false);
    }
    expect(events[1]).toMatchObject({ start_time: expect.any(String) });
    expect(events[2]).toMatchObject({
      start_time: events[1]!.start_time,
      end_time: expect.any(String),
      duration: expect.stringMatching(/^\d+$/),
      disconnected_by: 'platform',
    });
    expect(Date.parse(String(events[2]!.end_time))).toBeGreaterThanOrEqual(
      Date.parse(String(events[1]!.start_time)),
    );
    // A hangup through the API ends the leg without a `disconnected`.
    await r.until(async () => (await r.repos.legs.get(r.applicationId, uuid))?.status === 'completed');
  }, 40_000);

  it('reports disconnected when the application closes the socket, and completed when its NCCO ends', async () => {
    const r = (rig = await startCallsRig(await freeUdpPort()));
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const wss = server;
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    const { port } = wss.address() as { port: number };
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws: WebSocket) => {
      sockets.push(ws);
    });
    const place = async (path: string, ncco: unknown[]): Promise<string> => {
      const created = await r.request('POST', '/v1/calls', {
        to: [
          { type: 'websocket', uri: `ws://127.0.0.1:${port}${path}`, 'content-type': 'audio/l16;rate=16000' },
        ],
        ncco,
        event_url: [`${r.app.url}${path}`],
      });
      expect(created.status).toBe(201);

      return created.json.uuid as string;
    };
    const statusesAt = (path: string): unknown[] => r.app.at(path).map((x) => x.body?.status);

    // The application closes its socket normally: that is for good, no retry, and the leg is disconnected.
    const closedByApp = await place('/by-app', [{ action: 'wait', timeout: 60 }]);
    await r.until(() => sockets.length === 1);
    await r.app.waitFor((received) =>
      received.some((x) => x.path === '/by-app' && x.body?.status === 'answered'),
    );
    sockets[0]!.close(1000, 'done');
    await r.app.waitFor((received) =>
      received.some((x) => x.path === '/by-app' && x.body?.status === 'disconnected'),
    );
    expect(statusesAt('/by-app')).toEqual(['started', 'answered', 'disconnected']);
    expect(r.app.at('/by-app').at(-1)!.body).toMatchObject({
      uuid: closedByApp,
      from: 'confab',
      to: `ws://127.0.0.1:${port}/by-app`,
      disconnected_by: 'user',
      duration: expect.stringMatching(/^\d+$/),
    });
    await r.until(
      async () => (await r.repos.legs.get(r.applicationId, closedByApp))?.status === 'disconnected',
    );
    expect(sockets).toHaveLength(1);

    // The NCCO runs out: confab hangs the leg up, so it is completed, by the platform.
    const endedByNcco = await place('/by-ncco', [{ action: 'wait', timeout: 0.5 }]);
    await r.app.waitFor((received) =>
      received.some((x) => x.path === '/by-ncco' && x.body?.status === 'completed'),
    );
    expect(statusesAt('/by-ncco')).toEqual(['started', 'answered', 'completed']);
    expect(r.app.at('/by-ncco').at(-1)!.body).toMatchObject({
      uuid: endedByNcco,
      disconnected_by: 'platform',
    });
    await r.until(async () => (await r.repos.legs.get(r.applicationId, endedByNcco))?.status === 'completed');
  }, 40_000);

  it('refuses a vbc endpoint, app endpoints without in-app voice, and a content type confab does not speak', async () => {
    const r = (rig = await startCallsRig(await freeUdpPort()));
    const vbc = await r.request('POST', '/v1/calls', {
      to: [{ type: 'vbc', extension: '100' }],
      ncco: [{ action: 'wait' }],
    });
    expect(vbc.status).toBe(400);
    expect(vbc.json.invalid_parameters[0].name).toBe('body.to[0].type');
    // This rig has no conversation audio socket to answer with (main.ts wires one; see appCall.phone.test.ts).
    const app = await r.request('POST', '/v1/calls', {
      to: [{ type: 'app', user: 'alice' }],
      ncco: [{ action: 'wait' }],
    });
    expect(app.status).toBe(503);
    expect(app.json.code).toBe('system:error:unavailable');
    const rate = await r.request('POST', '/v1/calls', {
      to: [{ type: 'websocket', uri: 'ws://127.0.0.1:9/x', 'content-type': 'audio/l16;rate=11025' }],
      ncco: [{ action: 'wait' }],
    });
    expect(rate.status).toBe(400);
    expect(rate.json.invalid_parameters[0].name).toBe('body.to[0].content-type');
  });
});
