import { SipParseError } from '../errors.js';

/**
 * Cuts a byte stream (TCP) into SIP messages (RFC 3261 §18.3): CR/LF octets between messages are skipped
 * (a double CRLF is an RFC 5626 keepalive ping), the header section ends at the first CRLF CRLF, and the
 * body is exactly Content-Length bytes. A missing, negative, malformed or repeated Content-Length, or a
 * message larger than the limit, is fatal: the stream can no longer be framed and must be closed.
 */
export type FramerOutput =
  { type: 'message'; data: Buffer } | { type: 'keepalive' } | { type: 'error'; error: SipParseError };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const LENGTH_LINE = /^(?:content-length|l)[ \t]*:(.*)$/i;

/** Accumulates stream bytes and returns complete messages. */
export class StreamFramer {
  readonly #maxSize: number;
  #buffer: Buffer = Buffer.alloc(0);
  #failed = false;

  /** @param maxSize - Largest message (headers plus body) in bytes. */
  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** Adds bytes and returns everything that became complete; after an error nothing more is returned. */
  push(chunk: Buffer): FramerOutput[] {
    if (this.#failed) {
      return [];
    }
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const out: FramerOutput[] = [];
    for (;;) {
      let skip = 0;
      while (skip < this.#buffer.length && (this.#buffer[skip] === 0x0d || this.#buffer[skip] === 0x0a)) {
        skip++;
      }
      if (skip >= 4) {
        out.push({ type: 'keepalive' });
      }
      this.#buffer = this.#buffer.subarray(skip);
      if (this.#buffer.length === 0) {
        return out;
      }
      const headerEnd = this.#buffer.indexOf(CRLFCRLF);
      if (headerEnd < 0) {
        if (this.#buffer.length > this.#maxSize) {
          return this.#fail(out, 'too-large', `no end of headers within ${this.#maxSize} bytes`);
        }

        return out;
      }
      const length = contentLength(this.#buffer.subarray(0, headerEnd));
      if (typeof length === 'string') {
        return this.#fail(out, 'bad-content-length', length);
      }
      const total = headerEnd + 4 + length;
      if (total > this.#maxSize) {
        return this.#fail(out, 'too-large', `message of ${total} bytes exceeds ${this.#maxSize}`);
      }
      if (this.#buffer.length < total) {
        return out;
      }
      out.push({ type: 'message', data: Buffer.from(this.#buffer.subarray(0, total)) });
      this.#buffer = this.#buffer.subarray(total);
    }
  }

  #fail(out: FramerOutput[], reason: 'too-large' | 'bad-content-length', detail: string): FramerOutput[] {
    this.#failed = true;
    this.#buffer = Buffer.alloc(0);
    out.push({ type: 'error', error: new SipParseError(reason, detail) });

    return out;
  }
}

/** The Content-Length of a header section, or a string saying why it cannot be known. */
function contentLength(head: Buffer): number | string {
  // Header names are ASCII, so latin1 is a faithful view for finding them.
  const lines = head.toString('latin1').split('\r\n').slice(1);
  let found: string | null = null;
  let current = '';
  const values: string[] = [];
  for (const line of [...lines, '']) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      current += ` ${line.trim()}`;
      continue;
    }
    const m = LENGTH_LINE.exec(current);
    if (m !== null) {
      values.push((m[1] ?? '').trim());
    }
    current = line;
  }
  if (values.length > 1) {
    return 'more than one Content-Length';
  }
  found = values[0] ?? null;
  if (found === null) {
    return 'Content-Length is required on a stream transport';
  }
  if (!/^[0-9]{1,10}$/.test(found)) {
    return `bad Content-Length '${found.slice(0, 20)}'`;
  }

  return Number(found);
}
