import { describe, expect, it } from 'vitest';
import { parse, write } from 'sdp-transform';
import { SdpError, answerOffer, createOffer, readAnswer } from '../../src/sip/index.js';
import { writeSdp } from '../../src/sip/sdp/SdpNegotiator.js';

const sdp = (lines: string[]): Buffer => Buffer.from([...lines, ''].join('\r\n'));
const BASE = ['v=0', 'o=peer 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0'];
const LOCAL = { address: '198.51.100.1', port: 40000, sessionId: 42, version: 1 };
/** What a WebRTC gateway or a modern PBX offers: opus on a dynamic type, G.711, events at both rates. */
const OPUS_AND_G711 = [
  ...BASE,
  'm=audio 6000 RTP/AVP 96 0 8 97 101',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 minptime=10;useinbandfec=1',
  'a=rtpmap:97 telephone-event/48000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=sendrecv',
];

describe('SDP offer/answer with opus (RFC 7587)', () => {
  it('chooses opus when the trunk prefers it and both sides offer it, with telephone-event at 48 kHz', () => {
    const { answer, media } = answerOffer(sdp(OPUS_AND_G711), { ...LOCAL, preference: ['opus', 'PCMU'] });
    expect(media.codec).toMatchObject({ name: 'opus', payloadType: 96, clockRate: 48000, channels: 2 });
    expect(media.telephoneEventPayloadType).toBe(97);
    expect(media.remote).toEqual({ address: '192.0.2.10', port: 6000 });
    expect(answer).toContain('m=audio 40000 RTP/AVP 96 97\r\n');
    expect(answer).toContain('a=rtpmap:96 opus/48000/2\r\n');
    expect(answer).toContain('a=fmtp:96 minptime=10;useinbandfec=1\r\n');
    expect(answer).toContain('a=rtpmap:97 telephone-event/48000\r\n');
    expect(answer).not.toContain('PCMU');
    // The answer parses back to the same choice.
    expect(readAnswer(Buffer.from(answer), ['opus', 'PCMU']).codec).toMatchObject({
      name: 'opus',
      payloadType: 96,
    });
    // And the hand-written writer still matches sdp-transform's.
    expect(writeSdp(parse(answer))).toBe(write(parse(answer)));
  });

  it('keeps the trunk order: G.711 first means G.711, even when opus is offered', () => {
    const { media } = answerOffer(sdp(OPUS_AND_G711), { ...LOCAL, preference: ['PCMU', 'opus'] });
    expect(media.codec).toMatchObject({ name: 'PCMU', payloadType: 0, clockRate: 8000 });
    expect(media.telephoneEventPayloadType).toBe(101);
  });

  it('falls back to G.711 when the peer has no opus, and refuses an opus-only offer to a G.711 trunk', () => {
    const g711 = sdp([...BASE, 'm=audio 6000 RTP/AVP 8 0', 'a=sendrecv']);
    expect(answerOffer(g711, { ...LOCAL, preference: ['opus', 'PCMA', 'PCMU'] }).media.codec.name).toBe(
      'PCMA',
    );
    const opusOnly = sdp([...BASE, 'm=audio 6000 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2']);
    const refusal = (() => {
      try {
        answerOffer(opusOnly, { ...LOCAL, preference: ['PCMU', 'PCMA'] });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(SdpError);
    expect((refusal as SdpError).status).toBe(488);
  });

  it('takes no telephone-event for opus when the peer offers events only at 8 kHz', () => {
    const offer = sdp([
      ...BASE,
      'm=audio 6000 RTP/AVP 111 101',
      'a=rtpmap:111 opus/48000/2',
      'a=rtpmap:101 telephone-event/8000',
    ]);
    const { answer, media } = answerOffer(offer, { ...LOCAL, preference: ['opus'] });
    expect(media.telephoneEventPayloadType).toBeNull();
    expect(answer).toContain('m=audio 40000 RTP/AVP 111\r\n');
  });

  it('offers opus/48000/2 on 111 with its fmtp, and telephone-event at each offered clock rate', () => {
    const offer = createOffer({ ...LOCAL, preference: ['opus', 'PCMU'] });
    expect(offer).toContain('m=audio 40000 RTP/AVP 111 0 110 101\r\n');
    expect(offer).toContain('a=rtpmap:111 opus/48000/2\r\n');
    expect(offer).toContain('a=fmtp:111 minptime=10;useinbandfec=1\r\n');
    expect(offer).toContain('a=rtpmap:110 telephone-event/48000\r\n');
    expect(offer).toContain('a=rtpmap:101 telephone-event/8000\r\n');
    expect(writeSdp(parse(offer))).toBe(write(parse(offer)));
    // A G.711-only trunk offers what it always did.
    expect(createOffer({ ...LOCAL, preference: ['PCMU', 'PCMA'] })).toContain(
      'm=audio 40000 RTP/AVP 0 8 101\r\n',
    );
  });
});
