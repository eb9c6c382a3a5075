import { afterEach, describe, expect, it } from 'vitest';
import { answerOffer, createOffer, SipUserAgent, type CallEnd } from '../../../src/sip/index.js';
import { NUMBER, startPhoneRig, trunk, type PhoneRig } from './phoneRig.js';

let rig: PhoneRig | null = null;
let peer: SipUserAgent | null = null;
afterEach(async () => {
  await peer?.close();
  peer = null;
  await rig?.close();
  rig = null;
});

describe('PhoneCall hold from confab', () => {
  it('puts a call on hold and resumes it with re-INVITEs the peer (a second user agent) answers', async () => {
    rig = await startPhoneRig([trunk()]);
    peer = await SipUserAgent.start({
      host: '127.0.0.1',
      udpPort: 0,
      tcpPort: null,
      trunks: [],
      timers: { t1: 100 },
    });
    const local = { address: '127.0.0.1', port: 41000, sessionId: 7, version: 1 };
    const offers: string[] = [];
    const call = peer.call({
      uri: `sip:${NUMBER}@127.0.0.1:${rig.port}`,
      from: '<sip:+15550007777@127.0.0.1>',
      to: `<sip:${NUMBER}@127.0.0.1>`,
      target: { transport: 'udp', address: '127.0.0.1', port: rig.port },
      sdp: createOffer(local),
    });
    call.onReoffer = (offer) => {
      offers.push(offer.toString());

      return { answer: answerOffer(offer, { ...local, version: offers.length + 1 }).answer };
    };
    await new Promise<void>((resolve) => call.once('answered', () => resolve()));
    const r = rig;
    await r.until(() => [...r.service.calls.values()].some((c) => c.sip.state === 'answered'));
    const phone = [...r.service.calls.values()][0]!;
    expect(await phone.hold(true)).toBe(true);
    expect(phone.onHold).toBe(true);
    expect(await phone.hold(false)).toBe(true);
    expect(offers.map((o) => /a=(sendonly|sendrecv)/.exec(o)?.[1])).toEqual(['sendonly', 'sendrecv']);
    const ended = new Promise<CallEnd>((resolve) => call.once('ended', resolve));
    await r.service.hangup(phone.leg);
    expect(await ended).toMatchObject({ reason: 'remote-bye', by: 'remote' });
    await r.until(async () =>
      (await r.events(phone.leg.conversationId)).some((e) => e.type === 'sip:hangup'),
    );
    const events = await r.events(phone.leg.conversationId);
    expect(events.filter((e) => e.type === 'sip:status').map((e) => e.body)).toEqual([
      { leg_id: phone.leg.id, status: 'hold', by: 'local' },
      { leg_id: phone.leg.id, status: 'resume', by: 'local' },
    ]);
    expect(phone.leg.from).toEqual({ type: 'phone', number: '15550007777' });
  });
});
