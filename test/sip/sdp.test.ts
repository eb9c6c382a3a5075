import { describe, expect, it } from 'vitest';
import {
  answerOffer,
  createOffer,
  readAnswer,
  SdpError,
  parseDtmfInfo,
  CallLimiter,
  parseDigestParams,
  serializeDigestParams,
} from '../../src/sip/index.js';
import { parse, write } from 'sdp-transform';
import { writeSdp } from '../../src/sip/sdp/SdpNegotiator.js';

const offer = (lines: string[]): Buffer => Buffer.from([...lines, ''].join('\r\n'));
const BASE = ['v=0', 'o=peer 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0'];
const LOCAL = { address: '198.51.100.1', port: 40000, sessionId: 42, version: 1 };

describe('SDP offer/answer', () => {
  it("writes answers and offers exactly as sdp-transform's writer does", () => {
    const answers = [
      answerOffer(
        offer([
          ...BASE,
          'm=video 5000 RTP/AVP 96 97',
          'a=rtpmap:96 VP8/90000',
          'm=audio 6000 RTP/AVP 18 8 0 100',
          'a=rtpmap:100 telephone-event/8000',
          'a=sendonly',
          'm=audio 7000 RTP/AVP 0',
        ]),
        { ...LOCAL, preference: ['PCMA', 'PCMU'] },
      ).answer,
      answerOffer(offer([...BASE, 'm=audio 6000 RTP/AVP 0']), {
        ...LOCAL,
        address: '2001:db8::1',
        direction: 'inactive',
      }).answer,
      createOffer({ ...LOCAL, preference: ['PCMU', 'PCMA'], direction: 'sendonly' }),
      createOffer({ ...LOCAL, version: 7, preference: ['nothing-known'] }),
    ];
    for (const text of answers) {
      const parsed = parse(text);
      expect(writeSdp(parsed)).toBe(write(parsed));
      expect(text).toBe(write(parsed));
    }
    const opus = parse(
      ['v=0', 'o=- 1 2 IN IP4 10.0.0.1', 's=x', 'c=IN IP4 10.0.0.1', 't=0 0', 'm=audio 9 RTP/AVP 111'].join(
        '\r\n',
      ),
    );
    opus.media[0]!.rtp = [{ payload: 111, codec: 'opus', rate: 48000, encoding: 2 }];
    opus.media[0]!.fmtp = [{ payload: 111, config: 'minptime=10;useinbandfec=1' }];
    opus.media[0]!.ptime = 20;
    expect(writeSdp(opus)).toBe(write(opus));
  });

  it('answers with the preferred common codec and telephone-event, keeping every m= line in order (byte fixture)', () => {
    const { answer, media } = answerOffer(
      offer([
        ...BASE,
        'm=video 5000 RTP/AVP 96',
        'a=rtpmap:96 VP8/90000',
        'm=audio 6000 RTP/AVP 18 8 0 100',
        'a=rtpmap:18 G729/8000',
        'a=rtpmap:100 telephone-event/8000',
        'a=sendrecv',
      ]),
      { ...LOCAL, preference: ['PCMA', 'PCMU'] },
    );
    expect(media).toMatchObject({
      codec: { name: 'PCMA', payloadType: 8 },
      telephoneEventPayloadType: 100,
      remote: { address: '192.0.2.10', port: 6000 },
      onHold: false,
    });
    expect(answer).toBe(
      [
        'v=0',
        'o=confab 42 1 IN IP4 198.51.100.1',
        's=confab',
        'c=IN IP4 198.51.100.1',
        't=0 0',
        'm=video 0 RTP/AVP 96',
        'm=audio 40000 RTP/AVP 8 100',
        'a=rtpmap:8 PCMA/8000',
        'a=rtpmap:100 telephone-event/8000',
        'a=fmtp:100 0-16',
        'a=ptime:20',
        'a=sendrecv',
        '',
      ].join('\r\n'),
    );
  });

  it('answers hold offers with the mirrored direction and reports hold', () => {
    const { answer, media } = answerOffer(offer([...BASE, 'm=audio 6000 RTP/AVP 0', 'a=sendonly']), LOCAL);
    expect(media.onHold).toBe(true);
    expect(answer).toContain('a=recvonly');
  });

  it('refuses offers without a common codec with 488 and broken SDP with 400', () => {
    const codec = (): unknown =>
      answerOffer(offer([...BASE, 'm=audio 6000 RTP/AVP 18', 'a=rtpmap:18 G729/8000']), LOCAL);
    expect(codec).toThrow(SdpError);
    expect(() => codec()).toThrow(expect.objectContaining({ status: 488, code: 'no-common-codec' }));
    for (const bad of [
      ['x=0'],
      ['v=0', 'o=a 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0', 'm=audio 6000 RTP/AVP 0'],
      ['v=0', 'garbage line'],
    ]) {
      expect(() => answerOffer(offer(bad), LOCAL)).toThrow(expect.objectContaining({ status: 400 }));
    }
    const many = [...BASE, ...Array.from({ length: 20 }, () => 'm=audio 6000 RTP/AVP 0')];
    expect(() => answerOffer(offer(many), LOCAL)).toThrow(expect.objectContaining({ code: 'too-large' }));
  });

  it('offers PCMU, PCMA and telephone-event and reads the answer', () => {
    const ours = createOffer(LOCAL);
    expect(ours).toContain('m=audio 40000 RTP/AVP 0 8 101');
    const media = readAnswer(
      offer([...BASE, 'm=audio 7000 RTP/AVP 8 101', 'a=rtpmap:101 telephone-event/8000']),
    );
    expect(media).toMatchObject({
      codec: { name: 'PCMA' },
      telephoneEventPayloadType: 101,
      remote: { port: 7000 },
    });
  });
});

describe('small SIP pieces', () => {
  it('reads DTMF from INFO bodies', () => {
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toEqual({
      digit: '5',
      durationMs: 160,
    });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=11\r\n')).toEqual({ digit: '#', durationMs: 100 });
    expect(parseDtmfInfo('application/dtmf', '*')).toEqual({ digit: '*', durationMs: 100 });
    expect(parseDtmfInfo('application/dtmf-relay', 'Signal=Z')).toBeNull();
  });

  it('limits concurrent calls and calls per second', () => {
    let now = 0;
    const limiter = new CallLimiter({ maxCalls: 3, cps: 2 }, () => now);
    expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([null, null, 'cps']);
    now = 1000;
    expect(limiter.tryAcquire()).toBeNull();
    expect(limiter.tryAcquire()).toBe('max-calls');
    limiter.release();
    expect(limiter.active).toBe(2);
  });

  it('round-trips digest parameters', () => {
    const text = 'Digest realm="a b", nonce="n\\"1", algorithm=MD5, qop="auth"';
    const parsed = parseDigestParams(text)!;
    expect(Object.fromEntries(parsed)).toEqual({ realm: 'a b', nonce: 'n"1', algorithm: 'MD5', qop: 'auth' });
    expect(serializeDigestParams([...parsed], new Set(['algorithm']))).toBe(text);
    expect(parseDigestParams('Basic abc')).toBeNull();
  });
});
