import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, toneSource } from '../../media/bus/audioProbe.js';
import { startAudioRig, type AudioRig } from './audioRig.js';
import { tonePower } from './tonePower.js';

describe('GET /v1/conversations/{id}/audio: in-app voice as an App-channel leg (#6 item 7)', () => {
  let rig: AudioRig;

  beforeAll(async () => {
    rig = await startAudioRig();
  });

  afterAll(async () => {
    await rig.close();
  });

  it('joins two members who hear each other and not themselves, as app legs with their statuses', async () => {
    const { conversationId, members } = await rig.conversationWith(['alice', 'bob']);
    const alice = await rig.openAudio(conversationId, rig.clientToken('alice'));
    const bob = await rig.openAudio(conversationId, rig.clientToken('bob'));
    await rig.until(() => alice.texts.length > 0 && bob.texts.length > 0, 'the connected frames');
    expect(alice.texts[0]).toMatchObject({
      event: 'websocket:connected',
      'content-type': 'audio/l16;rate=16000',
      conversation_id: conversationId,
      member_id: members.alice,
    });

    await Promise.all([alice.speak(toneSource(440, 16000), 75), bob.speak(toneSource(1000, 16000), 75)]);
    // Every frame the clients received is one 20 ms frame at 16 kHz.
    expect(alice.frames.length).toBeGreaterThan(50);
    expect(new Set([...alice.frames, ...bob.frames].map((f) => f.length))).toEqual(new Set([320]));
    const aliceHeard = concat(alice.frames);
    const bobHeard = concat(bob.frames);
    expect(tonePower(aliceHeard, 1000, 16000)).toBeGreaterThan(100 * tonePower(aliceHeard, 440, 16000));
    expect(tonePower(bobHeard, 440, 16000)).toBeGreaterThan(100 * tonePower(bobHeard, 1000, 16000));

    const legs = await rig.legs(conversationId);
    expect(legs).toHaveLength(2);
    const aliceLeg = legs.find((leg) => leg.memberId === members.alice);
    expect(aliceLeg).toMatchObject({ type: 'app', direction: 'inbound', conversationId });
    expect(alice.texts[0].leg_id).toBe(aliceLeg?.id);
    expect(rig.hub.legsOf(conversationId).map((l) => l.kind)).toEqual(['app', 'app']);
    const aliceMember = await rig.call('GET', `/v1/conversations/${conversationId}/members/${members.alice}`);
    expect(aliceMember.json.channel).toMatchObject({ type: 'app', leg_id: aliceLeg?.id });

    // Closing the socket ends the leg.
    await alice.close();
    await rig.until(
      async () => (await rig.legs(conversationId)).find((l) => l.id === aliceLeg?.id)?.status === 'completed',
      'the leg to complete',
    );
    expect(rig.hub.legsOf(conversationId)).toHaveLength(1);
    const statuses = (await rig.events(conversationId))
      .filter((e) => e.type === 'leg:status:update' && e.body.leg_id === aliceLeg?.id)
      .map((e) => e.body.status);
    expect(statuses).toEqual(['started', 'answered', 'completed']);
    await bob.close();
    await rig.until(() => rig.hub.legsOf(conversationId).length === 0, 'the last leg to leave');
  });

  it('plays client audio of any chunk size into the conversation', async () => {
    const { conversationId } = await rig.conversationWith(['chunky', 'listener']);
    const chunky = await rig.openAudio(conversationId, rig.clientToken('chunky'));
    const listener = await rig.openAudio(conversationId, rig.clientToken('listener'));
    const tone = toneSource(700, 16000);
    // 30 ms chunks of odd byte counts: the stream is re-framed and realigned.
    const pcm = concat(Array.from({ length: 60 }, () => tone()));
    const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    for (let at = 0; at < bytes.length; at += 961) {
      chunky.ws.send(bytes.subarray(at, at + 961));
      await new Promise((wake) => setTimeout(wake, 30));
    }
    await new Promise((wake) => setTimeout(wake, 200));
    const heard = concat(listener.frames);
    expect(tonePower(heard, 700, 16000)).toBeGreaterThan(100 * tonePower(heard, 440, 16000));
    await chunky.close();
    await listener.close();
  });

  it('opens with a one-time ticket as the realtime channel does', async () => {
    const { conversationId } = await rig.conversationWith(['tess']);
    const issued = await rig.call('POST', '/v1/realtime/tickets', { token: rig.clientToken('tess') });
    expect(issued.status).toBe(201);
    const tess = await rig.openAudio(conversationId, { ticket: issued.json.ticket as string });
    await rig.until(() => tess.texts.length > 0, 'the connected frame');
    await tess.close();
  });

  it('refuses non-members, members not joined, bad tokens and admin tokens before the upgrade', async () => {
    const { conversationId } = await rig.conversationWith(['owner', 'guest'], { guest: 'invited' });
    await rig.call('POST', '/v1/users', { body: { name: 'stranger' } });
    const outsider = await rig.refused(conversationId, rig.clientToken('stranger'));
    expect(outsider).toMatchObject({ status: 404, json: { code: 'conversation:error:not-found' } });
    const invited = await rig.refused(conversationId, rig.clientToken('guest'));
    expect(invited).toMatchObject({ status: 403, json: { code: 'event:error:not-joined' } });
    const missing = await rig.refused('CON-00000000-0000-4000-8000-000000000000', rig.clientToken('owner'));
    expect(missing).toMatchObject({ status: 404, json: { code: 'conversation:error:not-found' } });
    expect(await rig.refused(conversationId, 'not.a.token')).toMatchObject({
      status: 401,
      json: { code: 'system:error:invalid-token' },
    });
    expect(await rig.refused(conversationId, null)).toMatchObject({ status: 401 });
    expect(await rig.refused(conversationId, rig.adminToken())).toMatchObject({
      status: 403,
      json: { code: 'system:error:permission' },
    });
    // A malformed handshake (no Sec-WebSocket-Key) is refused before a leg exists.
    const malformed = await new Promise<number>((resolve, reject) => {
      const req = request(`${rig.base}/v1/conversations/${conversationId}/audio`, {
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          authorization: `Bearer ${rig.clientToken('owner')}`,
        },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    expect(malformed).toBe(400);
    // No leg was made for any refusal.
    expect(await rig.legs(conversationId)).toHaveLength(0);
  });

  it('answers 404 to upgrades at paths no endpoint serves', async () => {
    const response = await new Promise<number>((resolve) => {
      void import('ws').then(({ WebSocket }) => {
        const ws = new WebSocket(`${rig.wsBase}/v1/nowhere`);
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => undefined);
      });
    });
    expect(response).toBe(404);
  });
});
