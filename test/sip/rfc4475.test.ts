import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SipParseError,
  createErrorResponse,
  getHeader,
  parseMessage,
  serializeMessage,
  tryParseMessage,
} from '../../src/sip/index.js';
import { DIR, UAS_ANSWER, fixture as read, manifest, mutations, uasAnswer } from './rfc4475Expectations.js';

describe('RFC 4475 torture messages', () => {
  it('has the 49 fixture files intact (SHA256SUMS)', () => {
    const sums = readFileSync(join(DIR, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums).toHaveLength(49);
    for (const line of sums) {
      const [hash, file] = line.split(/\s+/);
      expect(createHash('sha256').update(read(file!)).digest('hex'), file).toBe(hash);
    }
    expect(manifest.cases).toHaveLength(49);
    expect(Object.keys(UAS_ANSWER).sort()).toEqual(
      manifest.cases.map((c) => c.file.replace('.dat', '')).sort(),
    );
  });

  for (const c of manifest.cases) {
    const name = c.file.replace('.dat', '');
    it(`${name} (§${c.section}): parser ${c.parser}, UAS ${JSON.stringify(UAS_ANSWER[name])}`, () => {
      const raw = read(c.file);
      const result = tryParseMessage(raw);
      if (c.parser === 'accept') {
        expect(result.ok, result.ok ? '' : result.error.message).toBe(true);
      } else if (c.parser === 'reject') {
        expect(result.ok).toBe(false);
      }
      if (!result.ok) {
        expect(result.error).toBeInstanceOf(SipParseError);
      }
      const { answer, headers } = uasAnswer(raw);
      const allowed = UAS_ANSWER[name]!;
      expect(allowed).toContain(answer);
      if (c.parser === 'accept-then-reject') {
        expect(answer).toBe(400);
      }
      if (typeof answer === 'number') {
        // The code must be one the manifest names for this message.
        expect(c.expect_uas).toContain(String(answer));
      }
      if (name === 'bext01') {
        expect(headers).toContainEqual({
          name: 'Unsupported',
          value: 'nothingSupportsThis, nothingSupportsThisEither',
        });
      }
      if (name === 'invut') {
        expect(headers.map((h) => h.name)).toContain('Accept');
      }
      if (answer === 400 && !result.ok) {
        // A broken request still yields a well-formed 400 whenever its Via was readable.
        const response = createErrorResponse(result.error, 'abc');
        if (response !== null) {
          const text = serializeMessage(response).toString('utf8');
          expect(text.startsWith('SIP/2.0 400 ')).toBe(true);
          expect(response.headers.filter((h) => h.name === 'Via')).not.toHaveLength(0);
        }
      }
    });
  }

  it('keeps %00 escapes and the full user part (escnull, esc01)', () => {
    const m = parseMessage(read('escnull.dat'));
    expect(getHeader(m, 'To')).toBe('sip:null-%00-null@example.com');
    const e = parseMessage(read('esc01.dat'));
    expect(e.kind === 'request' && e.uri.kind === 'sip' ? e.uri.user : null).toBe(
      'sips%3Auser%40example.com',
    );
  });

  it('ignores octets after Content-Length in a datagram (dblreq)', () => {
    const m = parseMessage(read('dblreq.dat'));
    expect(m.kind === 'request' ? m.method : '').toBe('REGISTER');
    expect(m.body).toHaveLength(0);
  });

  it('keeps a binary multipart body byte for byte (mpart01)', () => {
    const raw = read('mpart01.dat');
    const m = parseMessage(raw);
    expect(m.body).toEqual(raw.subarray(raw.length - m.body.length));
    expect(m.body.includes(0)).toBe(true);
  });

  it('survives 20000 seeded random mutations of the corpus with only SipParseError or a message', () => {
    let accepted = 0;
    for (const data of mutations(20_000)) {
      const r = tryParseMessage(data);
      if (r.ok) {
        accepted++;
        // Whatever is accepted must serialize and parse again.
        expect(tryParseMessage(serializeMessage(r.message)).ok).toBe(true);
      } else {
        expect(r.error).toBeInstanceOf(SipParseError);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it('never lets an exception other than SipParseError escape, for any prefix or byte flip of every message', () => {
    for (const c of manifest.cases) {
      const raw = read(c.file);
      for (let cut = 0; cut < raw.length; cut += 7) {
        const r = tryParseMessage(raw.subarray(0, cut));
        if (!r.ok) {
          expect(r.error).toBeInstanceOf(SipParseError);
        }
      }
      for (let i = 0; i < raw.length; i += 5) {
        const copy = Buffer.from(raw);
        copy[i] = (copy[i]! + 0x55) & 0xff;
        const r = tryParseMessage(copy);
        if (!r.ok) {
          expect(r.error).toBeInstanceOf(SipParseError);
        }
      }
    }
  });
});
