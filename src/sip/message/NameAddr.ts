import { SipParseError } from '../errors.js';
import { Scanner, indexOfUnquoted, isToken, serializeParams } from './Scanner.js';
import { parseUri, serializeUri, type Uri } from './SipUri.js';

/**
 * An address as From, To, Contact, Route and Record-Route carry it (RFC 3261 §20.10, §25.1):
 *
 * ```
 * name-addr      =  [ display-name ] LAQUOT addr-spec RAQUOT
 * addr-spec      =  SIP-URI / SIPS-URI / absoluteURI
 * display-name   =  *(token LWS)/ quoted-string
 * from-spec      =  ( name-addr / addr-spec ) *( SEMI from-param )
 * ```
 *
 * Without angle brackets every `;` after the URI starts a header parameter, and the URI may contain no
 * comma, semicolon or question mark (RFC 3261 §20): such values are rejected.
 */
export interface NameAddr {
  /** Display name, unquoted and unescaped; null when absent. */
  displayName: string | null;
  /** The address. */
  uri: Uri;
  /** Header parameters (`tag`, `expires`, `q`, `lr` for Route is a URI parameter instead). */
  params: Record<string, string | null>;
}

/** Parses one name-addr or addr-spec with its parameters. */
export function parseNameAddr(value: string): NameAddr {
  const s = new Scanner(value);
  s.skipLws();
  let displayName: string | null = null;
  let uriText: string;
  const lt = indexOfUnquoted(value, '<');
  if (s.peek() === '"' || lt >= 0) {
    if (s.peek() === '"') {
      displayName = unquote(s.quotedString());
      s.skipLws();
    } else {
      const words = value.slice(s.pos, lt).trim();
      const parts = words === '' ? [] : words.split(/[ \t]+/);
      if (!parts.every(isToken)) {
        throw new SipParseError('bad-header-value', `display name '${words.slice(0, 40)}' must be quoted`);
      }
      displayName = parts.length === 0 ? null : parts.join(' ');
      s.seek(lt);
    }
    if (s.peek() !== '<') {
      s.fail("expected '<' after the display name");
    }
    const gt = value.indexOf('>', s.pos);
    if (gt < 0) {
      s.fail("missing '>'");
    }
    uriText = value.slice(s.pos + 1, gt);
    s.seek(gt + 1);
  } else {
    const start = s.pos;
    const m = /^[^;\s]*/.exec(s.rest());
    uriText = m?.[0] ?? '';
    s.seek(start + uriText.length);
    if (/[,?]/.test(uriText)) {
      throw new SipParseError(
        'bad-header-value',
        `a URI with ',' or '?' must be enclosed in <> [at:${start}]`,
      );
    }
  }
  const uri = parseUri(uriText);
  const params = s.params();
  s.end('the address');

  return { displayName, uri, params };
}

/** Serializes in canonical form: `"Display" <uri>;params`, always with angle brackets. */
export function serializeNameAddr(addr: NameAddr): string {
  const name = addr.displayName === null ? '' : `${quote(addr.displayName)} `;

  return `${name}<${serializeUri(addr.uri)}>${serializeParams(addr.params)}`;
}

/** Removes the quotes of a quoted-string and resolves its quoted-pairs. */
export function unquote(quoted: string): string {
  const inner = quoted.slice(1, -1);

  return inner.replace(/\\(.)/gs, '$1');
}

/** Produces a quoted-string, escaping `"` and `\`. */
export function quote(text: string): string {
  return `"${text.replace(/(["\\])/g, '\\$1')}"`;
}
