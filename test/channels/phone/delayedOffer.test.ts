import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConversationMediaHub } from '../../../src/channels/index.js';
import { SCENARIOS, freeUdpPort, startSipp } from '../../sip/sippRun.js';
import { NUMBER, startPhoneRig, trunk, type PhoneRig } from './phoneRig.js';

let rig: PhoneRig | undefined;
let hub: ConversationMediaHub | undefined;
let media: Socket | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await hub?.close();
  hub = undefined;
  media?.close();
  media = undefined;
});

const common = (r: PhoneRig): string[] => [
  '-s',
  NUMBER,
  '-i',
  '127.0.0.1',
  '-m',
  '1',
  '-timeout',
  '15',
  '-timeout_error',
  `127.0.0.1:${r.port}`,
];

describe('delayed offer (an INVITE without SDP)', () => {
  it('offers in the 200, takes the answer from the ACK, and sends RTP where the answer says', async () => {
    const rtpPort = await freeUdpPort();
    media = createSocket('udp4');
    const packets: { payloadType: number; from: number }[] = [];
    media.on('message', (packet, from) => packets.push({ payloadType: packet[1]! & 0x7f, from: from.port }));
    await new Promise<void>((resolve) => media!.bind(rtpPort, '127.0.0.1', resolve));
    hub = new ConversationMediaHub();
    rig = await startPhoneRig([trunk()], { hub });
    const r = rig;
    // The scenario checks the offer in the 200 (PCMU, PCMA, telephone-event) and answers PCMA in the ACK.
    const sipp = startSipp([
      '-sf',
      join(SCENARIOS, 'uac_delayed_offer.xml'),
      '-key',
      'rtp_port',
      String(rtpPort),
      ...common(r),
    ]);
    await r.until(async () => (await r.allLegs())[0]?.status === 'answered');
    const call = [...r.service.calls.values()][0]!;
    expect(call.media?.codec.name).toBe('PCMA');
    // The call's audio is on the hub and its RTP goes to the port of the ACK's answer, as PCMA.
    await r.until(() => packets.length >= 3);
    expect(packets.every((p) => p.payloadType === 8 && p.from === call.rtp?.localPort)).toBe(true);

    await r.service.hangup(call.leg);
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);
    await r.until(async () => (await r.allLegs())[0]?.status === 'completed');
    const leg = (await r.allLegs())[0]!;
    expect(leg.statusHistory.map((h) => h.status)).toEqual(['started', 'ringing', 'answered', 'completed']);
    const events = await r.events(leg.conversationId);
    expect(events.find((e) => e.type === 'sip:answered')?.body).toMatchObject({ codec: 'PCMA' });
    expect(events.some((e) => e.type === 'member:joined')).toBe(true);
  });

  it('hangs up when the ACK brings no answer, and never records the call as answered', async () => {
    rig = await startPhoneRig([trunk()]);
    const r = rig;
    const result = await startSipp(['-sf', join(SCENARIOS, 'uac_delayed_offer_bare_ack.xml'), ...common(r)])
      .done;
    // sipp got confab's BYE (the scenario ends by answering it).
    expect(result.code, result.explain).toBe(0);
    await r.until(async () => (await r.allLegs())[0]?.status === 'failed');
    const leg = (await r.allLegs())[0]!;
    expect(leg.statusHistory.map((h) => h.status)).toEqual(['started', 'ringing', 'failed']);
    const events = await r.events(leg.conversationId);
    expect(events.some((e) => e.type === 'sip:answered')).toBe(false);
    expect(events.find((e) => e.type === 'sip:hangup')?.body).toMatchObject({ by: 'local' });
  });
});
