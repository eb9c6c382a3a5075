/* eslint-disable @typescript-eslint/no-explicit-any -- responses are inspected as loose JSON. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWavHeader, WAV_HEADER_SIZE } from '../../../src/media/index.js';
import { concat, toneSource } from '../../media/bus/audioProbe.js';
import { startAudioRig, type AudioClient, type AudioRig } from '../app/audioRig.js';
import { tonePower } from '../app/tonePower.js';

/** What `listener` received while `speaker` spoke a 440 Hz tone for half a second. */
async function heardWhileSpeaking(speaker: AudioClient, listener: AudioClient): Promise<Int16Array> {
  const from = listener.frames.length;
  await speaker.speak(toneSource(440, 16000), 25);
  await new Promise((wake) => setTimeout(wake, 100));

  return concat(listener.frames.slice(from));
}

describe('MediaControl: mute and earmuff per member with events (#6 item 4)', () => {
  let rig: AudioRig;

  beforeAll(async () => {
    rig = await startAudioRig();
  });

  afterAll(async () => {
    await rig.close();
  });

  async function pair(): Promise<{
    conversationId: string;
    members: Record<string, string>;
    alice: AudioClient;
    bob: AudioClient;
    aliceLeg: string;
    bobLeg: string;
  }> {
    const { conversationId, members } = await rig.conversationWith(['alice', 'bob']);
    const alice = await rig.openAudio(conversationId, rig.clientToken('alice'));
    const bob = await rig.openAudio(conversationId, rig.clientToken('bob'));
    await rig.until(() => alice.texts.length > 0 && bob.texts.length > 0, 'both sockets');

    return {
      conversationId,
      members,
      alice,
      bob,
      aliceLeg: alice.texts[0].leg_id as string,
      bobLeg: bob.texts[0].leg_id as string,
    };
  }

  it('follows audio:mute:on/off posted by a client for its own member', async () => {
    const { conversationId, alice, bob, aliceLeg } = await pair();
    const loud = await heardWhileSpeaking(alice, bob);
    expect(tonePower(loud, 440, 16000)).toBeGreaterThan(1e5);

    const posted = await rig.call('POST', `/v1/conversations/${conversationId}/events`, {
      token: rig.clientToken('alice'),
      body: { type: 'audio:mute:on', body: {} },
    });
    expect(posted.status).toBe(201);
    await rig.until(() => rig.hub.legAudio(aliceLeg)?.muted === true, 'the mute to reach the hub');
    const muted = await heardWhileSpeaking(alice, bob);
    expect(tonePower(muted, 440, 16000)).toBeLessThan(tonePower(loud, 440, 16000) / 1000);

    await rig.call('POST', `/v1/conversations/${conversationId}/events`, {
      token: rig.clientToken('alice'),
      body: { type: 'audio:mute:off', body: {} },
    });
    await rig.until(() => rig.hub.legAudio(aliceLeg)?.muted === false, 'the unmute to reach the hub');
    const again = await heardWhileSpeaking(alice, bob);
    expect(tonePower(again, 440, 16000)).toBeGreaterThan(tonePower(loud, 440, 16000) / 4);
    await alice.close();
    await bob.close();
  });

  it('follows audio:earmuff:on posted by an admin for a member, and a leg named by rtc_id', async () => {
    const { conversationId, members, alice, bob, bobLeg } = await pair();
    const posted = await rig.call('POST', `/v1/conversations/${conversationId}/events`, {
      body: { type: 'audio:earmuff:on', from: members.bob, body: {} },
    });
    expect(posted.status).toBe(201);
    await rig.until(() => rig.hub.legAudio(bobLeg)?.earmuffed === true, 'the earmuff to reach the hub');
    const earmuffed = await heardWhileSpeaking(alice, bob);
    expect(tonePower(earmuffed, 440, 16000)).toBeLessThan(1e3);

    await rig.call('POST', `/v1/conversations/${conversationId}/events`, {
      body: { type: 'audio:earmuff:off', body: { rtc_id: bobLeg } },
    });
    await rig.until(() => rig.hub.legAudio(bobLeg)?.earmuffed === false, 'the earmuff to come off');
    expect(tonePower(await heardWhileSpeaking(alice, bob), 440, 16000)).toBeGreaterThan(1e5);
    await alice.close();
    await bob.close();
  });

  it('mutes and earmuffs a leg on the hub and records the events and the member audio settings', async () => {
    const { conversationId, members, alice, bob, aliceLeg, bobLeg } = await pair();
    await rig.control.setMuted(rig.applicationId, aliceLeg, true);
    expect(rig.hub.legAudio(aliceLeg)?.muted).toBe(true);
    expect(tonePower(await heardWhileSpeaking(alice, bob), 440, 16000)).toBeLessThan(1e3);
    await rig.control.setEarmuffed(rig.applicationId, bobLeg, true);
    await rig.control.setMuted(rig.applicationId, aliceLeg, false);
    await rig.control.setEarmuffed(rig.applicationId, bobLeg, false);

    const events = (await rig.events(conversationId)).filter((e) => e.type.startsWith('audio:'));
    expect(events.map((e) => [e.type, e.from, e.body.rtc_id])).toEqual([
      ['audio:mute:on', members.alice, aliceLeg],
      ['audio:earmuff:on', members.bob, bobLeg],
      ['audio:mute:off', members.alice, aliceLeg],
      ['audio:earmuff:off', members.bob, bobLeg],
    ]);
    expect(events[0]?.body).toEqual({ rtc_id: aliceLeg, channel: { id: aliceLeg, type: 'app' } });
    // The events coming back through the feed change nothing: the last word stands.
    await new Promise((wake) => setTimeout(wake, 300));
    expect(rig.hub.legAudio(aliceLeg)?.muted).toBe(false);
    expect(rig.hub.legAudio(bobLeg)?.earmuffed).toBe(false);
    await rig.control.setMuted(rig.applicationId, aliceLeg, true);
    const member = await rig.call('GET', `/v1/conversations/${conversationId}/members/${members.alice}`);
    expect(member.json.media.audio_settings).toMatchObject({ muted: true, earmuffed: false });

    await alice.close();
    await rig.until(
      async () => (await rig.legs(conversationId)).find((l) => l.id === aliceLeg)?.status === 'completed',
      'the leg to end',
    );
    await expect(rig.control.setMuted(rig.applicationId, aliceLeg, false)).rejects.toMatchObject({
      code: 'leg:error:complete',
    });
    await expect(rig.control.setMuted(rig.applicationId, 'no-such-leg', true)).rejects.toMatchObject({
      code: 'leg:error:not-found',
    });
    await bob.close();
  });
});

describe('MediaControl: recordings to WAV with audio:record:done (#6 item 5)', () => {
  let rig: AudioRig;

  beforeAll(async () => {
    rig = await startAudioRig();
  });

  afterAll(async () => {
    await rig.close();
  });

  /** Downloads a recording with the admin token: its format and samples. */
  async function download(
    url: string,
  ): Promise<{ channels: number; sampleRate: number; pcm: Int16Array; size: number }> {
    const path = new URL(url).pathname;
    const response = await fetch(`${rig.base}${path}`, {
      headers: { authorization: `Bearer ${rig.adminToken()}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    const bytes = Buffer.from(await response.arrayBuffer());
    const format = parseWavHeader(bytes);
    const data = Buffer.from(bytes.subarray(WAV_HEADER_SIZE));
    expect(format.dataBytes).toBe(data.length);

    return {
      channels: format.channels,
      sampleRate: format.sampleRate,
      pcm: new Int16Array(data.buffer, data.byteOffset, data.length >> 1),
      size: bytes.length,
    };
  }

  function channel(pcm: Int16Array, index: number, of: number): Int16Array {
    return pcm.filter((_v, i) => i % of === index);
  }

  async function doneEvent(conversationId: string, recordingId: string): Promise<any> {
    let found: any;
    await rig.until(async () => {
      found = (await rig.events(conversationId)).find(
        (e) => e.type === 'audio:record:done' && e.body.recording_id === recordingId,
      );
      return found !== undefined;
    }, 'audio:record:done');

    return found;
  }

  it('records a whole conversation mixed, and a leg split, served to admin tokens only', async () => {
    const { conversationId } = await rig.conversationWith(['ann', 'ben']);
    const ann = await rig.openAudio(conversationId, rig.clientToken('ann'));
    const ben = await rig.openAudio(conversationId, rig.clientToken('ben'));
    await rig.until(() => ann.texts.length > 0 && ben.texts.length > 0, 'both sockets');
    const annLeg = ann.texts[0].leg_id as string;
    const mixed = await rig.control.startRecording({ applicationId: rig.applicationId, conversationId });
    const split = await rig.control.startRecording({
      applicationId: rig.applicationId,
      conversationId,
      legId: annLeg,
      split: true,
    });
    expect(mixed.destinationUrl).toBe(`http://confab.test/v1/recordings/${mixed.id}`);
    await Promise.all([ann.speak(toneSource(440, 16000), 50), ben.speak(toneSource(1000, 16000), 50)]);
    expect(await rig.control.stopRecording(mixed.id)).toBe(true);
    expect(await rig.control.stopRecording(split.id)).toBe(true);
    expect(await rig.control.stopRecording(split.id)).toBe(false);

    const done = await doneEvent(conversationId, mixed.id);
    expect(done.body).toMatchObject({
      recording_id: mixed.id,
      destination_url: mixed.destinationUrl,
      format: 'wav',
      size: expect.any(Number),
      start_time: expect.any(String),
      end_time: expect.any(String),
    });
    expect(Date.parse(done.body.end_time as string)).toBeGreaterThan(
      Date.parse(done.body.start_time as string),
    );
    const wav = await download(mixed.destinationUrl);
    expect(wav).toMatchObject({ channels: 1, sampleRate: 16000, size: done.body.size });
    // About one second of audio, with both parties in the mix.
    expect(wav.pcm.length).toBeGreaterThan(16000 * 0.8);
    expect(tonePower(wav.pcm, 440, 16000)).toBeGreaterThan(1e5);
    expect(tonePower(wav.pcm, 1000, 16000)).toBeGreaterThan(1e5);

    const splitDone = await doneEvent(conversationId, split.id);
    expect(splitDone.body.channel).toEqual({ id: annLeg });
    const stereo = await download(split.destinationUrl);
    expect(stereo.channels).toBe(2);
    const said = channel(stereo.pcm, 0, 2);
    const heard = channel(stereo.pcm, 1, 2);
    expect(tonePower(said, 440, 16000)).toBeGreaterThan(100 * tonePower(said, 1000, 16000));
    expect(tonePower(heard, 1000, 16000)).toBeGreaterThan(100 * tonePower(heard, 440, 16000));

    const path = new URL(mixed.destinationUrl).pathname;
    const asClient = await rig.call('GET', path, { token: rig.clientToken('ann') });
    expect(asClient).toMatchObject({ status: 403, json: { code: 'system:error:permission' } });
    expect(await rig.call('GET', path, { token: null })).toMatchObject({ status: 401 });
    const unknown = await rig.call('GET', '/v1/recordings/00000000-0000-4000-8000-000000000000');
    expect(unknown).toMatchObject({ status: 404, json: { code: 'http:error:not-found' } });
    expect((await rig.call('GET', '/v1/recordings/..%2F..%2Fetc%2Fpasswd')).status).toBe(404);
    await ann.close();
    await ben.close();
  });

  it('starts on a posted audio:record, stops on audio:record:stop, and ends with a leg that closes', async () => {
    const { conversationId } = await rig.conversationWith(['cat', 'dan']);
    const cat = await rig.openAudio(conversationId, rig.clientToken('cat'));
    const dan = await rig.openAudio(conversationId, rig.clientToken('dan'));
    await rig.until(() => cat.texts.length > 0 && dan.texts.length > 0, 'both sockets');
    const posted = await rig.call('POST', `/v1/conversations/${conversationId}/events`, {
      token: rig.clientToken('cat'),
      body: { type: 'audio:record', body: { format: 'wav' } },
    });
    expect(posted.status).toBe(201);
    const eventId = posted.json.id as number;
    await rig.until(() => rig.control.activeRecordings.length === 1, 'the recording to start');
    const recordingId = rig.control.activeRecordings[0]!.id;
    await cat.speak(toneSource(440, 16000), 25);
    await rig.call('POST', `/v1/conversations/${conversationId}/events`, {
      token: rig.clientToken('cat'),
      body: { type: 'audio:record:stop', body: { record_id: eventId } },
    });
    const done = await doneEvent(conversationId, recordingId);
    expect(done.body.event_id).toBe(eventId);
    expect(tonePower((await download(done.body.destination_url as string)).pcm, 440, 16000)).toBeGreaterThan(
      1e5,
    );

    // A leg recording ends by itself when the leg goes.
    const danLeg = dan.texts[0].leg_id as string;
    const legRecording = await rig.control.startRecording({
      applicationId: rig.applicationId,
      conversationId,
      legId: danLeg,
    });
    await cat.speak(toneSource(440, 16000), 10);
    await dan.close();
    const legDone = await doneEvent(conversationId, legRecording.id);
    expect(legDone.body.size).toBeGreaterThan(WAV_HEADER_SIZE);
    await cat.close();
    await expect(
      rig.control.startRecording({ applicationId: rig.applicationId, conversationId }),
    ).rejects.toMatchObject({ code: 'leg:error:not-answered' });
  });
});
