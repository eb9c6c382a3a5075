import { SipParseError } from '../errors.js';

/**
 * A cursor over one unfolded header value, with the RFC 3261 §25.1 lexical helpers the header parsers
 * share: linear white space, tokens, quoted strings and generic parameters.
 *
 * ```
 * token          =  1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )
 * quoted-string  =  SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
 * generic-param  =  token [ EQUAL gen-value ]
 * gen-value      =  token / host / quoted-string
 * ```
 */
export class Scanner {
  readonly #text: string;
  #pos = 0;

  /** Starts at the beginning of `text`. */
  constructor(text: string) {
    this.#text = text;
  }

  /** Current offset. */
  get pos(): number {
    return this.#pos;
  }

  /** True when every character has been consumed. */
  get done(): boolean {
    return this.#pos >= this.#text.length;
  }

  /** Moves the cursor to `pos` (clamped to the text). */
  seek(pos: number): void {
    this.#pos = Math.max(0, Math.min(pos, this.#text.length));
  }

  /** The next character, or '' at the end. */
  peek(): string {
    return this.#text.charAt(this.#pos);
  }

  /** The unread rest of the text. */
  rest(): string {
    return this.#text.slice(this.#pos);
  }

  /** Skips spaces and tabs (folding was already replaced by a space). */
  skipLws(): void {
    while (this.#pos < this.#text.length && isWsp(this.#text.charCodeAt(this.#pos))) {
      this.#pos++;
    }
  }

  /** Consumes `ch` (after optional white space) when it is next; reports whether it did. */
  eat(ch: string): boolean {
    const save = this.#pos;
    this.skipLws();
    if (this.#text.charAt(this.#pos) === ch) {
      this.#pos++;

      return true;
    }
    this.#pos = save;

    return false;
  }

  /** Consumes `ch` (after optional white space) or fails. */
  expect(ch: string, what: string): void {
    if (!this.eat(ch)) {
      this.fail(`expected '${ch}' ${what}`);
    }
  }

  /** Reads a token (possibly empty) made of `extra` characters besides the token set. */
  token(extra = ''): string {
    const start = this.#pos;
    while (this.#pos < this.#text.length) {
      const c = this.#text.charAt(this.#pos);
      if (!isTokenChar(c) && !extra.includes(c)) {
        break;
      }
      this.#pos++;
    }

    return this.#text.slice(start, this.#pos);
  }

  /** Reads a non-empty token or fails. */
  requireToken(what: string, extra = ''): string {
    this.skipLws();
    const t = this.token(extra);
    if (t === '') {
      this.fail(`expected ${what}`);
    }

    return t;
  }

  /** Reads a quoted string starting at the current `"`, returning it with its quotes and escapes intact. */
  quotedString(): string {
    const start = this.#pos;
    if (this.#text.charAt(this.#pos) !== '"') {
      this.fail('expected a quoted string');
    }
    this.#pos++;
    while (this.#pos < this.#text.length) {
      const c = this.#text.charAt(this.#pos);
      if (c === '\\') {
        // A quoted-pair may escape any character except CR and LF.
        this.#pos += 2;
        continue;
      }
      this.#pos++;
      if (c === '"') {
        return this.#text.slice(start, this.#pos);
      }
    }

    return this.fail('unterminated quoted string');
  }

  /** Reads `*( SEMI generic-param )`, stopping at the first character that is not `;`. */
  params(): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    while (this.eat(';')) {
      const name = this.requireToken('a parameter name').toLowerCase();
      let value: string | null = null;
      if (this.eat('=')) {
        this.skipLws();
        value = this.peek() === '"' ? this.quotedString() : this.token(':[]');
        if (value === '') {
          this.fail(`empty value for parameter '${name}'`);
        }
      }
      out[name] = value;
    }

    return out;
  }

  /** Fails unless only white space is left. */
  end(what: string): void {
    this.skipLws();
    if (!this.done) {
      this.fail(`unexpected '${this.rest().slice(0, 20)}' after ${what}`);
    }
  }

  /** Throws a header-value parse error naming the position. */
  fail(detail: string): never {
    throw new SipParseError('bad-header-value', `${detail} at offset ${this.#pos}`);
  }
}

/** True for SP and HTAB. */
export function isWsp(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

const TOKEN_PUNCT = "-.!%*_+`'~";

/** True when `c` may appear in an RFC 3261 token. */
export function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);

  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    (c.length === 1 && TOKEN_PUNCT.includes(c))
  );
}

/** True when `s` is a non-empty token. */
export function isToken(s: string): boolean {
  if (s === '') {
    return false;
  }
  for (const c of s) {
    if (!isTokenChar(c)) {
      return false;
    }
  }

  return true;
}

/**
 * Walks `text` calling `visit` for every character outside quoted strings (quoted-pairs inside them are
 * skipped whole); stops early when `visit` returns true. Returns the index it stopped at, or -1.
 */
export function scanUnquoted(text: string, visit: (c: string, i: number) => boolean): number {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (quoted) {
      if (c === '\\') {
        i++;
      } else if (c === '"') {
        quoted = false;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (visit(c, i)) {
      return i;
    }
  }

  return -1;
}

/** The index of the first `ch` outside quoted strings, or -1. */
export function indexOfUnquoted(text: string, ch: string): number {
  return scanUnquoted(text, (c) => c === ch);
}

/**
 * Splits a list header value on commas that are outside quoted strings and angle brackets
 * (`Route: <sip:a;lr>, <sip:b>`). Each element is trimmed; empty elements are kept so callers can reject them.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  scanUnquoted(value, (c, i) => {
    if (c === '<') {
      depth++;
    } else if (c === '>') {
      depth = Math.max(0, depth - 1);
    } else if (c === ',' && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }

    return false;
  });
  out.push(value.slice(start).trim());

  return out;
}

/** Serializes generic parameters as `;name=value;flag`. */
export function serializeParams(params: Record<string, string | null>): string {
  let out = '';
  for (const [name, value] of Object.entries(params)) {
    out += value === null ? `;${name}` : `;${name}=${value}`;
  }

  return out;
}
