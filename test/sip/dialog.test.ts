import { describe, expect, it } from 'vitest';
import {
  Dialog,
  parseMessage,
  serializeMessage,
  serializeUri,
  getHeaderValues,
  type SipRequest,
  type SipResponse,
} from '../../src/sip/index.js';

const INVITE = parseMessage(
  Buffer.from(
    [
      'INVITE sip:15550001000@192.0.2.1 SIP/2.0',
      'Via: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKabc',
      'Record-Route: <sip:p1.example;lr>, <sip:p2.example;lr>',
      'From: <sip:caller@192.0.2.9>;tag=ftag',
      'To: <sip:15550001000@192.0.2.1>',
      'Call-ID: dialog-1',
      'CSeq: 10 INVITE',
      'Contact: <sip:caller@192.0.2.9:5062>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  ),
) as SipRequest;

describe('Dialog (RFC 3261 §12)', () => {
  it('as UAS keeps the Record-Route order, targets the Contact, and rejects out-of-order CSeq', () => {
    const dialog = Dialog.forUas(
      INVITE,
      'ttag',
      { transport: 'udp', address: '192.0.2.9', port: 5060 },
      '<sip:confab@192.0.2.1>',
    );
    expect(dialog.id).toBe('dialog-1|ttag|ftag');
    expect(dialog.routeSet).toEqual(['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
    const bye = dialog.createRequest('BYE');
    expect(serializeUri(bye.uri)).toBe('sip:caller@192.0.2.9:5062');
    expect(getHeaderValues(bye, 'Route')).toEqual(['<sip:p1.example;lr>', '<sip:p2.example;lr>']);
    expect(serializeMessage(bye).toString()).toContain(
      'From: <sip:15550001000@192.0.2.1>;tag=ttag\r\nTo: <sip:caller@192.0.2.9>;tag=ftag\r\nCall-ID: dialog-1\r\nCSeq: 1 BYE\r\n',
    );
    const peer = (seq: number): SipRequest => ({
      ...INVITE,
      method: 'INFO',
      headers: INVITE.headers.map((h) => (h.name === 'CSeq' ? { name: 'CSeq', value: `${seq} INFO` } : h)),
    });
    expect(dialog.acceptRemoteSeq(peer(11))).toBe(true);
    expect(dialog.acceptRemoteSeq(peer(11))).toBe(false);
    expect(dialog.acceptRemoteSeq(peer(9))).toBe(false);
  });

  it('as UAC reverses the route set, takes the remote tag and target from the 2xx, and ACKs with the INVITE CSeq', () => {
    const ok: SipResponse = {
      kind: 'response',
      status: 200,
      reason: 'OK',
      headers: [
        { name: 'Record-Route', value: '<sip:p1.example;lr>, <sip:p2.example;lr>' },
        { name: 'From', value: '<sip:caller@192.0.2.9>;tag=ftag' },
        { name: 'To', value: '<sip:15550001000@192.0.2.1>;tag=callee' },
        { name: 'Call-ID', value: 'dialog-1' },
        { name: 'CSeq', value: '10 INVITE' },
        { name: 'Contact', value: '<sip:callee@192.0.2.1:5070>' },
        { name: 'Content-Length', value: '0' },
      ],
      body: Buffer.alloc(0),
    };
    const dialog = Dialog.forUac(
      INVITE,
      ok,
      { transport: 'udp', address: '192.0.2.1', port: 5060 },
      '<sip:confab@192.0.2.9>',
    );
    expect(dialog.routeSet).toEqual(['<sip:p2.example;lr>', '<sip:p1.example;lr>']);
    expect(dialog.remoteTag).toBe('callee');
    const ack = dialog.createRequest('ACK', { cseq: 10 });
    expect(serializeUri(ack.uri)).toBe('sip:callee@192.0.2.1:5070');
    expect(serializeMessage(ack).toString()).toContain('CSeq: 10 ACK');
    expect(serializeMessage(dialog.createRequest('BYE')).toString()).toContain('CSeq: 11 BYE');
  });
});
