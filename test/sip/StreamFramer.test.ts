import { describe, expect, it } from 'vitest';
import { StreamFramer, parseMessage, type FramerOutput } from '../../src/sip/index.js';

const msg = (body: string, cl: string | null = String(Buffer.byteLength(body))): Buffer =>
  Buffer.from(
    [
      'MESSAGE sip:a@b.example SIP/2.0',
      'Via: SIP/2.0/TCP h.example;branch=z9hG4bK1',
      'CSeq: 1 MESSAGE',
      ...(cl === null ? [] : [`Content-Length: ${cl}`]),
      '',
      body,
    ].join('\r\n'),
  );

const messages = (out: FramerOutput[]): string[] =>
  out.flatMap((o) => (o.type === 'message' ? [parseMessage(o.data).body.toString()] : []));

describe('StreamFramer', () => {
  it('frames messages delivered one byte at a time, skipping CRLF keepalives between them', () => {
    const framer = new StreamFramer(65535);
    const stream = Buffer.concat([
      Buffer.from('\r\n\r\n'),
      msg('héllo'),
      Buffer.from('\r\n'),
      msg(''),
      msg('x\r\n\r\ny'),
    ]);
    const out: FramerOutput[] = [];
    for (const byte of stream) {
      out.push(...framer.push(Buffer.from([byte])));
    }
    expect(messages(out)).toEqual(['héllo', '', 'x\r\n\r\ny']);
    expect(framer.pending).toBe(0);
  });

  it('frames several messages arriving in one chunk and reports a double-CRLF ping', () => {
    const out = new StreamFramer(65535).push(Buffer.concat([Buffer.from('\r\n\r\n'), msg('a'), msg('bb')]));
    expect(out[0]).toEqual({ type: 'keepalive' });
    expect(messages(out)).toEqual(['a', 'bb']);
  });

  it('waits for the rest of a body (clerr over TCP waits, then the transport closes on idle)', () => {
    const framer = new StreamFramer(65535);
    expect(framer.push(msg('abc', '9999'))).toEqual([]);
    expect(framer.pending).toBeGreaterThan(0);
  });

  it.each([
    ['missing', null],
    ['negative', '-999'],
    ['malformed', '12abc'],
  ])('fails for a %s Content-Length and then stays failed', (_label, cl) => {
    const framer = new StreamFramer(65535);
    const out = framer.push(msg('abc', cl));
    expect(out).toHaveLength(1);
    expect(out[0]?.type === 'error' && out[0].error.reason).toBe('bad-content-length');
    expect(framer.push(msg('abc'))).toEqual([]);
  });

  it('fails for repeated Content-Length and for messages over the size limit', () => {
    const dup = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab');
    expect(new StreamFramer(65535).push(dup)[0]).toMatchObject({ type: 'error' });
    const big = new StreamFramer(100).push(msg('x'.repeat(200)));
    expect(big[0]?.type === 'error' && big[0].error.reason).toBe('too-large');
    const endless = new StreamFramer(100).push(Buffer.alloc(150, 0x41));
    expect(endless[0]?.type === 'error' && endless[0].error.reason).toBe('too-large');
  });
});
