import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  SipParseError,
  createRequest,
  createResponse,
  getCallId,
  getContacts,
  getContentType,
  getCSeq,
  getFrom,
  getHeader,
  getHeaderValues,
  getMaxForwards,
  getRoutes,
  getTo,
  getTopVia,
  getVias,
  parseMessage,
  parseNameAddr,
  parseUri,
  parseVia,
  serializeMessage,
  serializeNameAddr,
  serializeUri,
  serializeVia,
  setTopVia,
  tryParseMessage,
  unescapeUriPart,
  type SipRequest,
} from '../../src/sip/index.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'rfc4475');
const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

const CANONICAL_INVITE = crlf([
  'INVITE sip:bob@biloxi.example.com;transport=udp SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'To: "Bob" <sip:bob@biloxi.example.com>',
  'From: "Alice \\"A\\"" <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
  'Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>',
  'Content-Type: application/sdp',
  'Content-Length: 31',
  '',
  'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n',
]);

const CANONICAL_RESPONSE = crlf([
  'SIP/2.0 180 Ringing',
  'Via: SIP/2.0/TCP [2001:db8::9]:5070;branch=z9hG4bKnashds8;received=2001:db8::9;rport=5070',
  'To: <tel:+1-201-555-0123;phone-context=example.com>;tag=8321234356',
  'From: <sips:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710',
  'CSeq: 1 INVITE',
  'Authorization: Digest username="bob", realm="biloxi.example.com", nonce="dcd98b", uri="sip:bob@b", response="6629"',
  'Date: Sat, 13 Nov 2010 23:29:00 GMT',
  'Content-Length: 0',
  '',
  '',
]);

const CANONICAL_REGISTER = crlf([
  'REGISTER sip:registrar.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.4;branch=z9hG4bKnashd92',
  'Max-Forwards: 70',
  'To: <sip:bob@example.com>',
  'From: <sip:bob@example.com>;tag=456248',
  'Call-ID: 843817637684230@998sdasdh09',
  'CSeq: 1826 REGISTER',
  'Contact: *',
  'Expires: 0',
  'Content-Length: 0',
  '',
  '',
]);

describe('parseMessage', () => {
  it('reads the tortuous INVITE of RFC 4475 §3.1.1.1 field by field', () => {
    const m = parseMessage(readFileSync(join(DIR, 'wsinv.dat'))) as SipRequest;
    expect(m.method).toBe('INVITE');
    expect(serializeUri(m.uri)).toBe('sip:vivekg@chair-dnrc.example.com;unknownparam');
    expect(getTo(m).params).toEqual({ tag: '1918181833n' });
    expect(getFrom(m)).toMatchObject({ displayName: 'J Rosenberg \\"', params: { tag: '98asjd8' } });
    expect(getMaxForwards(m)).toBe(68);
    expect(getCSeq(m)).toEqual({ seq: 9, method: 'INVITE' });
    const vias = getVias(m);
    expect(vias.map((v) => [v.transport, v.host, v.params.branch])).toEqual([
      ['UDP', '192.0.2.2', '390skdjuw'],
      ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
      ['UDP', '192.168.255.111', 'z9hG4bK30239'],
    ]);
    expect(getHeader(m, 'Subject')).toBe('');
    expect(getHeader(m, 'NewFangledHeader')).toBe('newfangled value continued newfangled value');
    expect(getHeader(m, 'UnknownHeaderWithUnusualValue')).toBe(';;,,;;,;');
    const contacts = getContacts(m);
    expect(contacts).not.toBe('*');
    expect(contacts[0]).toMatchObject({
      displayName: 'Quoted string ""',
      params: { newparam: 'newvalue', secondparam: null, q: '0.33' },
    });
    expect(getRoutes(m)[0]?.uri).toMatchObject({
      host: 'services.example.com',
      params: { lr: null, unknownwith: 'value', 'unknown-no-value': null },
    });
    expect(m.body).toHaveLength(150);
  });

  it('expands every compact header form', () => {
    const raw = crlf([
      'MESSAGE sip:a@b.example SIP/2.0',
      'v: SIP/2.0/UDP h.example;branch=z9hG4bK1',
      'i: c1',
      'f: <sip:x@y.example>;tag=1',
      't: <sip:a@b.example>',
      'm: <sip:x@h.example>',
      'c: text/plain',
      'k: timer',
      's: hi',
      'e: gzip',
      'o: refer',
      'r: <sip:c@d.example>',
      'u: presence',
      'b: <sip:e@f.example>',
      'x: 1800',
      'CSeq: 1 MESSAGE',
      'l: 2',
      '',
      'hi',
    ]);
    const m = parseMessage(raw);
    expect(m.headers.map((h) => h.name)).toEqual([
      'Via',
      'Call-ID',
      'From',
      'To',
      'Contact',
      'Content-Type',
      'Supported',
      'Subject',
      'Content-Encoding',
      'Event',
      'Refer-To',
      'Allow-Events',
      'Referred-By',
      'Session-Expires',
      'CSeq',
      'Content-Length',
    ]);
    expect(getCallId(m)).toBe('c1');
    expect(getContentType(m)).toEqual({ type: 'text', subtype: 'plain', params: {} });
    expect(m.body.toString()).toBe('hi');
  });

  it('splits list headers on top-level commas only, and never splits Authorization or Date', () => {
    const m = parseMessage(CANONICAL_RESPONSE);
    expect(getHeaderValues(m, 'Authorization')).toHaveLength(1);
    expect(getHeaderValues(m, 'Date')).toEqual(['Sat, 13 Nov 2010 23:29:00 GMT']);
    const inv = parseMessage(
      crlf([
        'OPTIONS sip:a@b.example SIP/2.0',
        'Via: SIP/2.0/UDP h1.example;branch=z9hG4bK1, SIP/2.0/TCP h2.example;branch=z9hG4bK2',
        'Via: SIP/2.0/UDP h3.example;branch=z9hG4bK3',
        'Contact: "Smith, J" <sip:j,k@h.example;x=1>;q=0.5, <sip:k@h.example>',
        'To: <sip:a@b.example>',
        'From: <sip:c@d.example>;tag=9',
        'Call-ID: x',
        'CSeq: 2 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ]),
    );
    expect(getVias(inv).map((v) => v.host)).toEqual(['h1.example', 'h2.example', 'h3.example']);
    const contacts = getContacts(inv);
    expect(contacts !== '*' && contacts.map((c) => c.displayName)).toEqual(['Smith, J', null]);
  });

  it('reads Contact: * and bodies framed by Content-Length', () => {
    expect(getContacts(parseMessage(CANONICAL_REGISTER))).toBe('*');
    const m = parseMessage(CANONICAL_INVITE);
    expect(m.body.toString()).toBe('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n');
  });

  it('gives typed errors: requests carry the status a UAS answers, responses carry none', () => {
    const bad = tryParseMessage(
      Buffer.from('OPTIONS sip:a@b SIP/3.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n\r\n'),
    );
    expect(bad.ok || [bad.error.reason, bad.error.status, bad.error.context.kind]).toEqual([
      'bad-version',
      505,
      'request',
    ]);
    const resp = tryParseMessage(Buffer.from('SIP/2.0 99 Nope\r\nVia: SIP/2.0/UDP h\r\nCSeq: 1 A\r\n\r\n'));
    expect(resp.ok || [resp.error.reason, resp.error.status, resp.error.answerable]).toEqual([
      'bad-status-code',
      undefined,
      false,
    ]);
    expect(() => parseMessage(Buffer.from('\r\n\r\n'))).toThrow(SipParseError);
    expect(
      tryParseMessage(Buffer.alloc(70000, 0x41)).ok || tryParseMessage(Buffer.alloc(70000, 0x41)),
    ).toMatchObject({ ok: false });
    const stream = tryParseMessage(
      Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\n\r\n'),
      { stream: true },
    );
    expect(stream.ok || stream.error.reason).toBe('bad-content-length');
  });

  it('round-trips: serialize(parse(raw)) equals canonical raw bytes', () => {
    for (const raw of [CANONICAL_INVITE, CANONICAL_RESPONSE, CANONICAL_REGISTER]) {
      expect(serializeMessage(parseMessage(raw)).toString('latin1')).toBe(raw.toString('latin1'));
    }
  });

  it('round-trips: parse(serialize(m)) deep-equals m for every accepted RFC 4475 message', () => {
    let count = 0;
    for (const file of readdirSync(DIR).filter((f) => f.endsWith('.dat'))) {
      const r = tryParseMessage(readFileSync(join(DIR, file)));
      if (!r.ok) {
        continue;
      }
      const once = parseMessage(serializeMessage(r.message));
      expect(parseMessage(serializeMessage(once)), file).toEqual(once);
      if (getHeader(r.message, 'Content-Length') !== undefined) {
        expect(once, file).toEqual(r.message);
      }
      count++;
    }
    expect(count).toBeGreaterThanOrEqual(28);
  });
});

describe('URIs, addresses and Via', () => {
  it('parses sip, sips, tel and opaque URIs and serializes canonical ones unchanged', () => {
    const canonical = [
      'sip:alice@atlanta.example.com',
      'sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=project%20x&priority=urgent',
      'sip:+12125551212@gateway.example.com;user=phone',
      'sip:192.0.2.4:5080',
      'tel:+1-201-555-0123;phone-context=example.com',
      'urn:service:sos',
    ];
    for (const text of canonical) {
      expect(serializeUri(parseUri(text))).toBe(text);
    }
    expect(parseUri('sips:alice:secret@[2001:db8::1]:5061;transport=tcp')).toMatchObject({
      kind: 'sip',
      scheme: 'sips',
      user: 'alice',
      password: 'secret',
      host: '[2001:db8::1]',
      port: 5061,
    });
    expect(parseUri('SIP:a@B.example;Transport=TCP')).toMatchObject({
      scheme: 'sip',
      host: 'B.example',
      params: { transport: 'TCP' },
    });
    expect(parseUri('tel:+15551234')).toEqual({
      kind: 'tel',
      scheme: 'tel',
      number: '+15551234',
      params: {},
    });
    expect(unescapeUriPart('null-%00-%75ser')).toBe('null-\u0000-user');
  });

  it('rejects malformed URIs', () => {
    for (const text of [
      '<sip:a@b>',
      'sip:a@b c',
      'sip:a@b:99999',
      'sip:a@[::1',
      'sip:',
      ':x',
      'sip:a@b;;x',
      'sip:a%zz@b',
    ]) {
      expect(() => parseUri(text), text).toThrow(SipParseError);
    }
  });

  it('parses name-addr and addr-spec forms with LWS and parameters', () => {
    expect(parseNameAddr('caller<sip:caller@example.com>;tag=323')).toMatchObject({
      displayName: 'caller',
      params: { tag: '323' },
    });
    expect(parseNameAddr('sip:a@b.example ;  tag = x')).toMatchObject({
      displayName: null,
      params: { tag: 'x' },
    });
    const addr = parseNameAddr('"A \\"B\\"" <sip:a@b.example;lr>;expires=60;+sip.instance="<urn:uuid:1>"');
    expect(serializeNameAddr(addr)).toBe(
      '"A \\"B\\"" <sip:a@b.example;lr>;expires=60;+sip.instance="<urn:uuid:1>"',
    );
    for (const bad of [
      'Bell, Alexander <sip:a@b>',
      '"open <sip:a@b>',
      '< sip:a@b >',
      'sip:a@b?x=y',
      '<sip:a@b>;;',
      '<sip:a@b',
    ]) {
      expect(() => parseNameAddr(bad), bad).toThrow(SipParseError);
    }
  });

  it('parses Via with received, rport, IPv6 and LWS, and serializes it canonically', () => {
    const via = parseVia(
      'SIP / 2.0 / udp  host.example.com : 5062 ; branch = z9hG4bK1 ;rport;received=192.0.2.1',
    );
    expect(via).toEqual({
      protocol: 'SIP/2.0',
      transport: 'UDP',
      host: 'host.example.com',
      port: 5062,
      params: { branch: 'z9hG4bK1', rport: null, received: '192.0.2.1' },
    });
    expect(serializeVia(via)).toBe(
      'SIP/2.0/UDP host.example.com:5062;branch=z9hG4bK1;rport;received=192.0.2.1',
    );
    expect(parseVia('SIP/2.0/TCP [2001:db8::9]:5070;received=[2001:db8::9]')).toMatchObject({
      host: '[2001:db8::9]',
      port: 5070,
      params: { received: '[2001:db8::9]' },
    });
    expect(() => parseVia('SIP/2.0/UDP 192.0.2.15;;,;,,')).toThrow(SipParseError);
    expect(() => parseVia('SIP/2.0 host')).toThrow(SipParseError);
  });

  it('rewrites the top Via in place, leaving later entries alone', () => {
    const m = parseMessage(
      crlf([
        'OPTIONS sip:a@b.example SIP/2.0',
        'Via: SIP/2.0/UDP h1.example;branch=z9hG4bK1;rport, SIP/2.0/UDP h2.example;branch=z9hG4bK2',
        'CSeq: 1 OPTIONS',
        'Content-Length: 0',
        '',
        '',
      ]),
    );
    const top = getTopVia(m);
    setTopVia(m, { ...top, params: { ...top.params, received: '127.0.0.1', rport: '5099' } });
    expect(getHeader(m, 'Via')).toBe(
      'SIP/2.0/UDP h1.example;branch=z9hG4bK1;rport=5099;received=127.0.0.1, SIP/2.0/UDP h2.example;branch=z9hG4bK2',
    );
  });
});

describe('createRequest', () => {
  it('builds an out-of-dialog request that the transaction layer can send and the parser reads back', () => {
    const req = createRequest({
      method: 'INVITE',
      uri: 'sip:bob@127.0.0.1:5070',
      from: '"Alice" <sip:alice@127.0.0.1>',
      to: 'sip:bob@127.0.0.1',
      contact: '<sip:alice@127.0.0.1:5060>',
      cseq: 7,
      contentType: 'application/sdp',
      body: Buffer.from('v=0\r\n'),
    });
    const back = parseMessage(
      Buffer.concat([
        Buffer.from(
          'INVITE sip:bob@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\n',
        ),
        serializeMessage(req).subarray(serializeMessage(req).indexOf('\r\n') + 2),
      ]),
    );
    expect(getFrom(back).params.tag).toMatch(/^[0-9a-f]{12}$/);
    expect(getCSeq(back)).toEqual({ seq: 7, method: 'INVITE' });
    expect(getTo(back).params.tag).toBeUndefined();
    expect(back.body.toString()).toBe('v=0\r\n');
    expect(() =>
      createRequest({
        method: 'MESSAGE',
        uri: 'sip:a@b',
        from: 'sip:c@d',
        to: 'sip:a@b',
        body: Buffer.from('x'),
      }),
    ).toThrow(TypeError);
  });
});

describe('createResponse', () => {
  it('copies Via, From, To, Call-ID, CSeq (and Record-Route for 1xx/2xx) and adds a To tag', () => {
    const req = parseMessage(CANONICAL_INVITE) as SipRequest;
    req.headers.push({ name: 'Record-Route', value: '<sip:p1.example.com;lr>' });
    const ok = createResponse(req, 200, { toTag: 'abc' });
    expect(ok.headers.map((h) => h.name)).toEqual([
      'Via',
      'To',
      'From',
      'Call-ID',
      'CSeq',
      'Record-Route',
      'Content-Length',
    ]);
    expect(getTo(ok).params.tag).toBe('abc');
    expect(ok.reason).toBe('OK');
    const busy = createResponse(req, 486, { toTag: 'abc' });
    expect(busy.headers.map((h) => h.name)).not.toContain('Record-Route');
    const trying = createResponse(req, 100, { toTag: 'abc' });
    expect(getTo(trying).params.tag).toBeUndefined();
    expect(parseMessage(serializeMessage(ok))).toEqual(ok);
  });
});
