import { SipParseError } from '../errors.js';

/**
 * URIs as SIP carries them (RFC 3261 §19.1, RFC 3966 for tel:). A SIP or SIPS URI is split into its
 * parts; a tel: URI into number and parameters; any other scheme is kept opaque so that a UAS can answer
 * 416 instead of failing to parse.
 *
 * ```
 * SIP-URI   =  "sip:" [ userinfo ] hostport uri-parameters [ headers ]
 * userinfo  =  ( user / telephone-subscriber ) [ ":" password ] "@"
 * hostport  =  host [ ":" port ]
 * uri-parameters = *( ";" uri-parameter )        headers = "?" header *( "&" header )
 * ```
 *
 * Escapes (`%HH`) are kept as received in every part, so that a URI serializes back to the same text;
 * compare with {@link unescapeUriPart} when the decoded value matters (RFC 3261 §19.1.4).
 */

/** A `sip:` or `sips:` URI. */
export interface SipUri {
  /** Discriminant. */
  kind: 'sip';
  /** 'sip' or 'sips' (lower case). */
  scheme: 'sip' | 'sips';
  /** User part as received (escaped), or null. */
  user: string | null;
  /** Password as received, or null. */
  password: string | null;
  /** Host name, IPv4 address or bracketed IPv6 reference, case kept. */
  host: string;
  /** Port, or null when absent. */
  port: number | null;
  /** URI parameters; names in lower case, values as received, null for a flag. */
  params: Record<string, string | null>;
  /** URI headers (`?name=value&...`), values as received (escaped). */
  headers: Record<string, string>;
}

/** A `tel:` URI (RFC 3966). */
export interface TelUri {
  /** Discriminant. */
  kind: 'tel';
  /** Always 'tel'. */
  scheme: 'tel';
  /** The telephone number as received (global `+...` or local digits). */
  number: string;
  /** Parameters (`;phone-context=...`), names in lower case. */
  params: Record<string, string | null>;
}

/** A URI with a scheme confab does not interpret (`soap.beep:`, `http:`, `isbn:`...). */
export interface OpaqueUri {
  /** Discriminant. */
  kind: 'opaque';
  /** The scheme in lower case. */
  scheme: string;
  /** Everything after the colon. */
  opaque: string;
}

/** Any URI that can appear in a request line or a name-addr. */
export type Uri = SipUri | TelUri | OpaqueUri;

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const UNRESERVED = "A-Za-z0-9\\-_.!~*'()";
const USER = new RegExp(`^(?:[${UNRESERVED}&=+$,;?/#]|%[0-9A-Fa-f]{2})+$`);
const PASSWORD = new RegExp(`^(?:[${UNRESERVED}&=+$,]|%[0-9A-Fa-f]{2})*$`);
const PARAM = new RegExp(`^(?:[${UNRESERVED}\\[\\]/:&+$]|%[0-9A-Fa-f]{2})+$`);
const HNV = new RegExp(`^(?:[${UNRESERVED}\\[\\]/?:+$]|%[0-9A-Fa-f]{2})*$`);
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;
const IPV6REF = /^\[[0-9A-Fa-f:.]+\]$/;
const TEL_NUMBER = /^[0-9A-Fa-f*#+().\-pw]+$/;
// Delimiters never allowed unescaped in any URI (controls, space and DEL are checked by code point).
const FORBIDDEN_DELIMS = '<>"{}|\\^`';

function hasForbiddenChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || FORBIDDEN_DELIMS.includes(text.charAt(i))) {
      return true;
    }
  }

  return false;
}

function bad(detail: string): never {
  throw new SipParseError('bad-header-value', detail);
}

/** A host as URIs and Via headers write it, an IPv6 reference (`[::1]`) without its brackets. */
export function bareHost(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

/** Parses a URI; throws {@link SipParseError} on malformed input. */
export function parseUri(text: string): Uri {
  const colon = text.indexOf(':');
  const scheme = colon > 0 ? text.slice(0, colon) : '';
  if (!SCHEME.test(scheme)) {
    bad(`URI without a valid scheme: '${text.slice(0, 40)}'`);
  }
  if (hasForbiddenChar(text)) {
    bad(`URI contains a character that must be escaped: '${text.slice(0, 40)}'`);
  }
  const lower = scheme.toLowerCase();
  const rest = text.slice(colon + 1);
  if (lower === 'sip' || lower === 'sips') {
    return parseSipUri(lower, rest);
  }
  if (lower === 'tel') {
    return parseTelUri(rest);
  }
  if (rest === '') {
    bad(`empty ${lower}: URI`);
  }

  return { kind: 'opaque', scheme: lower, opaque: rest };
}

function parseSipUri(scheme: 'sip' | 'sips', rest: string): SipUri {
  let user: string | null = null;
  let password: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const pc = userinfo.indexOf(':');
    user = pc >= 0 ? userinfo.slice(0, pc) : userinfo;
    password = pc >= 0 ? userinfo.slice(pc + 1) : null;
    if (!USER.test(user) || (password !== null && !PASSWORD.test(password))) {
      bad(`bad user part in SIP URI: '${userinfo.slice(0, 40)}'`);
    }
  }
  const q = rest.indexOf('?');
  const headerText = q >= 0 ? rest.slice(q + 1) : null;
  const beforeHeaders = q >= 0 ? rest.slice(0, q) : rest;
  const parts = beforeHeaders.split(';');
  const { host, port } = parseHostPort(parts[0] ?? '');
  const params: Record<string, string | null> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    const name = eq >= 0 ? p.slice(0, eq) : p;
    const value = eq >= 0 ? p.slice(eq + 1) : null;
    if (!PARAM.test(name) || (value !== null && !PARAM.test(value))) {
      bad(`bad SIP URI parameter: '${p.slice(0, 40)}'`);
    }
    params[name.toLowerCase()] = value;
  }
  const headers: Record<string, string> = {};
  if (headerText !== null) {
    for (const h of headerText.split('&')) {
      const eq = h.indexOf('=');
      const name = eq >= 0 ? h.slice(0, eq) : '';
      const value = h.slice(eq + 1);
      if (name === '' || !HNV.test(name) || !HNV.test(value)) {
        bad(`bad SIP URI header: '${h.slice(0, 40)}'`);
      }
      headers[name] = value;
    }
  }

  return { kind: 'sip', scheme, user, password, host, port, params, headers };
}

/** Parses `host [":" port]` where host may be a bracketed IPv6 reference. */
export function parseHostPort(text: string): { host: string; port: number | null } {
  let host = text;
  let portText: string | null = null;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    host = text.slice(0, close + 1);
    const after = text.slice(close + 1);
    if (close < 0 || !IPV6REF.test(host) || (after !== '' && !after.startsWith(':'))) {
      bad(`bad IPv6 reference: '${text.slice(0, 60)}'`);
    }
    portText = after === '' ? null : after.slice(1);
  } else {
    const c = text.indexOf(':');
    if (c >= 0) {
      host = text.slice(0, c);
      portText = text.slice(c + 1);
    }
    if (!HOSTNAME.test(host)) {
      bad(`bad host: '${text.slice(0, 60)}'`);
    }
  }
  let port: number | null = null;
  if (portText !== null) {
    if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
      bad(`bad port: '${portText.slice(0, 20)}'`);
    }
    port = Number(portText);
  }

  return { host, port };
}

function parseTelUri(rest: string): TelUri {
  const parts = rest.split(';');
  const number = parts[0] ?? '';
  if (!TEL_NUMBER.test(number)) {
    bad(`bad tel: number '${number.slice(0, 40)}'`);
  }
  const params: Record<string, string | null> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    const name = eq >= 0 ? p.slice(0, eq) : p;
    if (name === '' || !PARAM.test(name)) {
      bad(`bad tel: parameter '${p.slice(0, 40)}'`);
    }
    params[name.toLowerCase()] = eq >= 0 ? p.slice(eq + 1) : null;
  }

  return { kind: 'tel', scheme: 'tel', number, params };
}

/** Serializes a URI in canonical form (scheme and parameter names in lower case, everything else as stored). */
export function serializeUri(uri: Uri): string {
  switch (uri.kind) {
    case 'opaque':
      return `${uri.scheme}:${uri.opaque}`;
    case 'tel':
      return `tel:${uri.number}${uriParams(uri.params)}`;
    case 'sip': {
      let out = `${uri.scheme}:`;
      if (uri.user !== null) {
        out += uri.password === null ? `${uri.user}@` : `${uri.user}:${uri.password}@`;
      }
      out += uri.port === null ? uri.host : `${uri.host}:${uri.port}`;
      out += uriParams(uri.params);
      const headers = Object.entries(uri.headers);
      if (headers.length > 0) {
        out += `?${headers.map(([n, v]) => `${n}=${v}`).join('&')}`;
      }

      return out;
    }
  }
}

function uriParams(params: Record<string, string | null>): string {
  let out = '';
  for (const [name, value] of Object.entries(params)) {
    out += value === null ? `;${name}` : `;${name}=${value}`;
  }

  return out;
}

/**
 * Decodes `%HH` escapes of one URI part into a string (UTF-8); `%00` becomes U+0000 rather than ending
 * the string, and malformed sequences are left as they are.
 */
export function unescapeUriPart(part: string): string {
  if (!part.includes('%')) {
    return part;
  }
  const bytes: number[] = [];
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    const hex = part.slice(i + 1, i + 3);
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(part.charAt(i), 'utf8'));
    }
  }

  return Buffer.from(bytes).toString('utf8');
}

/** Builds a plain `sip:` URI from parts; a convenience for request builders and tests. */
export function sipUri(host: string, options: Partial<Omit<SipUri, 'kind' | 'host'>> = {}): SipUri {
  return {
    kind: 'sip',
    scheme: options.scheme ?? 'sip',
    user: options.user ?? null,
    password: options.password ?? null,
    host,
    port: options.port ?? null,
    params: options.params ?? {},
    headers: options.headers ?? {},
  };
}
