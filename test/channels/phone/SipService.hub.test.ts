import { afterEach, describe, expect, it } from 'vitest';
import { ConversationMediaHub } from '../../../src/channels/index.js';
import { DtmfToneDetector } from '../../../src/media/index.js';
import { concat, toneSource } from '../../media/bus/audioProbe.js';
import { toneHzOfRuns, voicedRuns } from '../../support/toneProbe.js';
import { freeUdpPort, startSipp } from '../../sip/sippRun.js';
import { startPhoneRig, trunk, type PhoneRig } from './phoneRig.js';

let rig: PhoneRig | undefined;
let hub: ConversationMediaHub | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await hub?.close();
  hub = undefined;
});

describe('SIP service with the media hub', () => {
  it('joins an answered outbound call to the hub: what is played to the leg reaches the callee (sipp echoes it)', async () => {
    const port = await freeUdpPort();
    hub = new ConversationMediaHub();
    rig = await startPhoneRig(
      [trunk({ outbound: { uri: `sip:127.0.0.1:${port}`, transport: 'udp', from: null, auth: null } })],
      { hub },
    );
    // sipp answers with PCMU and no telephone-event, and sends every RTP packet it receives back.
    const sipp = startSipp(
      ['-sn', 'uas', '-i', '127.0.0.1', '-mi', '127.0.0.1', '-rtp_echo', '-p', String(port), '-m', '1'],
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const leg = await rig.service.dial({
      applicationId: rig.applicationId,
      to: { type: 'phone', number: '15550009999' },
      from: '+15550001000',
    });
    const r = rig;
    const h = hub;
    await r.until(() => h.legAudio(leg.id) !== undefined);
    const audio = h.legAudio(leg.id)!;
    expect(audio).toMatchObject({ kind: 'phone', sampleRate: 8000, conversationId: leg.conversationId });
    expect(h.legsOf(leg.conversationId)).toEqual([audio]);

    // What the callee says (here: our own audio, echoed) as the leg's tap sees it.
    const said: Int16Array[] = [];
    audio.tap((s) => said.push(s.slice()));
    const tone = concat(Array.from({ length: 50 }, toneSource(440, 16000)));
    await expect(audio.play(tone, 16000).done).resolves.toBe('finished');
    // No telephone-event was negotiated: the digits go in-band, as tones.
    audio.sendDtmf('42');
    await new Promise((resolve) => setTimeout(resolve, 800));
    const closed = new Promise<void>((resolve) => audio.once('close', resolve));
    await r.service.hangup(r.service.callOfLeg(leg.id)!.leg);
    await closed;
    expect(h.legCount).toBe(0);
    expect(h.conversationCount).toBe(0);
    const result = await sipp.done;
    expect(result.code, result.explain).toBe(0);

    const runs = voicedRuns(said, 1000);
    expect(runs[0]!.length).toBeGreaterThanOrEqual(30);
    const hz = toneHzOfRuns(runs, 8000);
    expect(hz).toBeGreaterThanOrEqual(438);
    expect(hz).toBeLessThanOrEqual(442);
    const detector = new DtmfToneDetector({ sampleRate: 8000 });
    const digits: string[] = [];
    detector.on('digit', (d) => digits.push(d.digit));
    for (const frame of said) {
      detector.process(frame);
    }
    expect(digits.join('')).toBe('42');
  }, 40_000);
});
