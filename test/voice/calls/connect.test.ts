import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { freeUdpPort, startSipp, type SippRun } from '../../sip/sippRun.js';
import { energy, startCallsRig, type CallsRig } from './callsRig.js';

const HOLD = { action: 'wait', timeout: 120 };

let rig: CallsRig | null = null;
let sipp: SippRun | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
  sipp?.child.kill('SIGKILL');
  sipp = null;
});

/** A sipp callee that answers `calls` calls and echoes the RTP it gets. */
async function callee(calls: number): Promise<number> {
  const port = await freeUdpPort();
  sipp = startSipp(
    [
      '-sn',
      'uas',
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-m',
      String(calls),
      '-rtp_echo',
      '-timeout',
      '60',
      '-timeout_error',
    ],
    70_000,
  );

  return port;
}

describe('the NCCO connect action', () => {
  it('dials a phone endpoint through the trunk and bridges it into the caller’s conversation', async () => {
    const r = (rig = await startCallsRig(await callee(2)));
    const created = await r.request('POST', '/v1/calls', {
      to: [{ type: 'phone', number: '15550001111' }],
      from: { type: 'phone', number: '15550001000' },
      ncco: [
        {
          action: 'connect',
          from: '15550001000',
          timeout: 10,
          endpoint: [{ type: 'phone', number: '15550002222' }],
        },
      ],
    });
    expect(created.status).toBe(201);
    const a: string = created.json.uuid;
    const conversation: string = created.json.conversation_uuid;
    await r.until(() => r.hub.legsOf(conversation).length === 2);
    const b = r.hub.legsOf(conversation).find((leg) => leg.legId !== a)!.legId;
    const legB = await r.repos.legs.get(r.applicationId, b);
    expect(legB).toMatchObject({ direction: 'outbound', to: { type: 'phone', number: '15550002222' } });
    // B's records were made in A's conversation: its leg, and a member whose channel names the leg.
    expect(legB!.conversationId).toBe(conversation);
    const memberB = await r.repos.members.get(r.applicationId, conversation, legB!.memberId!);
    expect(memberB).toMatchObject({ conversationId: conversation, channel: { type: 'phone', legId: b } });

    // What A says reaches B: a talk played to A is echoed back by A's callee, mixed into the conversation,
    // and heard by B.
    const heardByB: number[] = [];
    const tap = r.hub.legAudio(b)!.tap((_said, heard) => heardByB.push(energy(heard)));
    await r.until(() => heardByB.length > 25);
    expect(heardByB.every((level) => level < 5)).toBe(true);
    const talk = await r.request('PUT', `/v1/calls/${a}/talk`, { text: 'Can you hear me over the bridge?' });
    expect(talk.status).toBe(200);
    await r.until(() => heardByB.some((level) => level > 300));
    tap.close();

    // The callee's events carry the caller's conversation; when B hangs up the NCCO of A runs out and A ends.
    await r.app.waitFor((received) =>
      received.some((x) => x.path === '/event' && x.body?.uuid === b && x.body?.status === 'answered'),
    );
    const bAnswered = r.app.at('/event').find((x) => x.body?.uuid === b && x.body?.status === 'answered')!;
    expect(bAnswered.body).toMatchObject({
      conversation_uuid: conversation,
      direction: 'outbound',
      to: '15550002222',
    });
    expect((await r.request('PUT', `/v1/calls/${b}`, { action: 'hangup' })).status).toBe(204);
    await r.until(async () => (await r.repos.legs.get(r.applicationId, a))?.status === 'completed');
    const result = await sipp!.done;
    expect(result.code, result.explain).toBe(0);
    // Every event of B, its first `started` included, is in A's conversation.
    await r.until(async () => (await r.repos.legs.get(r.applicationId, b))?.status === 'completed');
    const events = (await r.repos.events.list(r.applicationId, conversation, { pageSize: 100, order: 'asc' }))
      .items;
    const bStatuses = events
      .filter((e) => e.type === 'leg:status:update' && e.body.leg_id === b)
      .map((e) => e.body.status);
    expect(bStatuses).toEqual(['started', 'ringing', 'answered', 'completed']);
    const bMember = events.filter(
      (e) => (e.type === 'member:joined' || e.type === 'member:left') && e.body.member_id === legB!.memberId,
    );
    expect(bMember.map((e) => e.type)).toEqual(['member:joined', 'member:left']);
    const legsOfConversation = (
      await r.repos.legs.list(
        r.applicationId,
        { pageSize: 10, order: 'asc' },
        { conversationId: conversation },
      )
    ).items;
    expect(legsOfConversation.map((leg) => leg.id).sort()).toEqual([a, b].sort());
  }, 60_000);

  it('asks the event URL of a synchronous connect when the attempt fails, and runs the NCCO it answers', async () => {
    // The trunk carries one call at a time, so the connect's own attempt fails at once.
    const r = (rig = await startCallsRig(await callee(1), { maxCalls: 1 }));
    r.app.route('/connect-events', [{ action: 'talk', text: 'Nobody could be reached' }, HOLD]);
    const created = await r.request('POST', '/v1/calls', {
      to: [{ type: 'phone', number: '15550001111' }],
      ncco: [
        {
          action: 'connect',
          eventType: 'synchronous',
          eventUrl: [`${r.app.url}/connect-events`],
          endpoint: [{ type: 'sip', uri: 'sip:carol@127.0.0.1' }],
        },
      ],
    });
    expect(created.status).toBe(201);
    const a: string = created.json.uuid;
    await r.app.waitFor((received) => received.some((x) => x.path === '/connect-events'));
    expect(r.app.at('/connect-events')[0]!.body).toMatchObject({ uuid: a, status: 'failed' });
    const heard: number[] = [];
    await r.until(() => r.hub.legAudio(a) !== undefined);
    const tap = r.hub.legAudio(a)!.tap((_said, hears) => heard.push(energy(hears)));
    await r.until(() => heard.some((level) => level > 300));
    tap.close();
    expect((await r.request('PUT', `/v1/calls/${a}`, { action: 'hangup' })).status).toBe(204);
    const result = await sipp!.done;
    expect(result.code, result.explain).toBe(0);
  }, 60_000);

  it('connects a websocket endpoint into the caller’s conversation, both ways, and goes on when it closes', async () => {
    const r = (rig = await startCallsRig(await callee(1)));
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as { port: number };
    const texts: Record<string, unknown>[] = [];
    let binaryFrames = 0;
    let socket: WebSocket | null = null;
    server.on('connection', (ws) => {
      socket = ws;
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) {
          binaryFrames += 1;
        } else {
          texts.push(JSON.parse(String(data)) as Record<string, unknown>);
        }
      });
    });
    try {
      const created = await r.request('POST', '/v1/calls', {
        to: [{ type: 'phone', number: '15550001111' }],
        ncco: [
          { action: 'talk', text: 'Connecting you' },
          {
            action: 'connect',
            endpoint: [
              {
                type: 'websocket',
                uri: `ws://127.0.0.1:${port}/socket`,
                'content-type': 'audio/l16;rate=16000',
                headers: { customer: 'c-42' },
              },
            ],
          },
        ],
      });
      expect(created.status).toBe(201);
      const a: string = created.json.uuid;
      const conversation: string = created.json.conversation_uuid;
      await r.until(() => texts.length > 0 && socket !== null);
      expect(texts[0]).toMatchObject({
        event: 'websocket:connected',
        'content-type': 'audio/l16;rate=16000',
        customer: 'c-42',
      });
      expect(r.hub.legsOf(conversation)).toHaveLength(2);
      // The application speaks: 20 ms frames of a tone at 16 kHz reach the caller.
      const heard: number[] = [];
      const tap = r.hub.legAudio(a)!.tap((_said, hears) => heard.push(energy(hears)));
      const frame = Buffer.alloc(640);
      for (let i = 0; i < 320; i++) {
        frame.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 500 * i) / 16000)), i * 2);
      }
      for (let i = 0; i < 50; i++) {
        socket!.send(frame, { binary: true });
      }
      await r.until(() => heard.some((level) => level > 300));
      tap.close();
      // The application hears the conversation's audio as binary frames.
      await r.until(() => binaryFrames > 10);
      socket!.close(1000);
      await r.until(async () => (await r.repos.legs.get(r.applicationId, a))?.status === 'completed');
      const legs = (
        await r.repos.legs.list(
          r.applicationId,
          { pageSize: 10, order: 'asc' },
          { conversationId: conversation },
        )
      ).items;
      expect(legs.map((leg) => leg.type).sort()).toEqual(['phone', 'websocket']);
      // The websocket leg's events, its first `started` included, are in the caller's conversation.
      const wsLeg = legs.find((leg) => leg.type === 'websocket')!;
      await r.until(async () => (await r.repos.legs.get(r.applicationId, wsLeg.id))?.endedAt !== null);
      const wsStatuses = (
        await r.repos.events.list(r.applicationId, conversation, { pageSize: 100, order: 'asc' })
      ).items
        .filter((e) => e.type === 'leg:status:update' && e.body.leg_id === wsLeg.id)
        .map((e) => e.body.status);
      expect(wsStatuses).toEqual(['started', 'answered', 'disconnected']);
      // Its voice events went to the event URL, in order, with the caller's conversation and number.
      await r.app.waitFor((received) =>
        received.some((x) => x.body?.uuid === wsLeg.id && x.body?.status === 'disconnected'),
      );
      const wsEvents = r.app
        .at('/event')
        .filter((x) => x.body?.uuid === wsLeg.id)
        .map((x) => x.body!);
      expect(wsEvents.map((e) => e.status)).toEqual(['started', 'answered', 'disconnected']);
      for (const event of wsEvents) {
        expect(event).toMatchObject({
          conversation_uuid: conversation,
          direction: 'outbound',
          to: `ws://127.0.0.1:${port}/socket`,
          headers: { customer: 'c-42' },
        });
      }
      expect(wsEvents[2]).toMatchObject({
        disconnected_by: 'user',
        duration: expect.stringMatching(/^\d+$/),
      });
      const result = await sipp!.done;
      expect(result.code, result.explain).toBe(0);
    } finally {
      server.close();
    }
  }, 60_000);

  it('ends a connected websocket as completed when it is hung up, and when the caller hangs up', async () => {
    const r = (rig = await startCallsRig(await callee(1)));
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as { port: number };
    let connections = 0;
    server.on('connection', () => {
      connections += 1;
    });
    const endpoint = (path: string): Record<string, unknown> => ({
      type: 'websocket',
      uri: `ws://127.0.0.1:${port}${path}`,
      'content-type': 'audio/l16;rate=8000',
    });
    try {
      const created = await r.request('POST', '/v1/calls', {
        to: [{ type: 'phone', number: '15550001111' }],
        from: { type: 'phone', number: '15550001000' },
        ncco: [
          { action: 'connect', eventUrl: [`${r.app.url}/first`], endpoint: [endpoint('/first')] },
          { action: 'connect', eventUrl: [`${r.app.url}/second`], endpoint: [endpoint('/second')] },
        ],
      });
      expect(created.status).toBe(201);
      const a: string = created.json.uuid;
      const conversation: string = created.json.conversation_uuid;
      const legOf = async (path: string): Promise<string> => {
        await r.app.waitFor((received) =>
          received.some((x) => x.path === path && x.body?.status === 'answered'),
        );

        return r.app.at(path)[0]!.body!.uuid as string;
      };

      // The first socket is hung up through the Calls API: completed, and the NCCO goes on to the second.
      const first = await legOf('/first');
      expect((await r.request('PUT', `/v1/calls/${first}`, { action: 'hangup' })).status).toBe(204);
      const second = await legOf('/second');
      expect(connections).toBe(2);
      expect(r.app.at('/first').map((x) => x.body?.status)).toEqual(['started', 'answered', 'completed']);
      expect(r.app.at('/first').at(-1)!.body).toMatchObject({
        uuid: first,
        conversation_uuid: conversation,
        from: '15550001000',
        disconnected_by: 'platform',
      });

      // The caller hangs up: the second socket is closed by confab, completed too.
      expect((await r.request('PUT', `/v1/calls/${a}`, { action: 'hangup' })).status).toBe(204);
      await r.app.waitFor((received) =>
        received.some((x) => x.path === '/second' && x.body?.status === 'completed'),
      );
      expect(r.app.at('/second').map((x) => x.body?.status)).toEqual(['started', 'answered', 'completed']);
      expect(r.app.at('/second').at(-1)!.body).toMatchObject({ uuid: second, disconnected_by: 'platform' });
      for (const leg of [first, second]) {
        await r.until(async () => (await r.repos.legs.get(r.applicationId, leg))?.status === 'completed');
      }
      const result = await sipp!.done;
      expect(result.code, result.explain).toBe(0);
    } finally {
      server.close();
    }
  }, 60_000);
});
