import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ConversationMediaHub } from '../../../src/channels/index.js';
import { udpCall } from '../../integration/udpCaller.js';
import { requireOpus } from '../../support/opus.js';
import { NUMBER, startPhoneRig, trunk, type PhoneRig } from './phoneRig.js';

/** opus first, then PCMU, with telephone-event at both rates. */
const OPUS_OFFER = [
  'm=audio {port} RTP/AVP 111 0 110 101',
  'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
];

let rig: PhoneRig | undefined;
let hub: ConversationMediaHub | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
  await hub?.close();
  hub = undefined;
});

/** A logger whose JSON lines land in `lines`. */
function capture(lines: Record<string, unknown>[]): pino.Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });

  return pino({ level: 'warn' }, sink);
}

describe('trunk codec preference with opus', () => {
  it('answers opus on a trunk that prefers it when the hub has opus, and joins the call to the hub', async () => {
    hub = new ConversationMediaHub({ opus: await requireOpus() });
    expect(hub.codecs).toEqual(['PCMU', 'PCMA', 'opus']);
    rig = await startPhoneRig([trunk({ codecs: ['opus', 'PCMU'] })], { hub });
    const call = await udpCall(rig.port, NUMBER, 10_000, { media: OPUS_OFFER });
    try {
      expect(call.answer).toMatch(/^m=audio \d+ RTP\/AVP 111 110\r$/m);
      const h = hub;
      await rig.until(() => h.legCount === 1);
    } finally {
      await call.hangup();
    }
  }, 30_000);

  it('without opus in the hub, drops it from the trunk (logged) and answers PCMU', async () => {
    const lines: Record<string, unknown>[] = [];
    hub = new ConversationMediaHub({ opus: null });
    expect(hub.codecs).toEqual(['PCMU', 'PCMA']);
    rig = await startPhoneRig([trunk({ codecs: ['opus', 'PCMU'] })], { hub, logger: capture(lines) });
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, trunk: 'carrier', dropped: ['opus'], codecs: ['PCMU'] }),
    );
    const call = await udpCall(rig.port, NUMBER, 10_000, { media: OPUS_OFFER });
    try {
      expect(call.answer).toMatch(/^m=audio \d+ RTP\/AVP 0 101\r$/m);
      expect(call.answer).not.toContain('opus');
    } finally {
      await call.hangup();
    }
  }, 30_000);

  it('refuses calls (488) on an opus-only trunk when opus is not available, and says so at startup', async () => {
    const lines: Record<string, unknown>[] = [];
    hub = new ConversationMediaHub({ opus: null });
    rig = await startPhoneRig([trunk({ codecs: ['opus'] })], { hub, logger: capture(lines) });
    expect(lines).toContainEqual(expect.objectContaining({ level: 50, trunk: 'carrier', codecs: [] }));
    await expect(udpCall(rig.port, NUMBER, 10_000, { media: OPUS_OFFER })).rejects.toThrow(
      /call refused: SIP\/2\.0 488/,
    );
  }, 30_000);
});
