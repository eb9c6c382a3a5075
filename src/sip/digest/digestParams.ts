/**
 * The parameter list of a Digest challenge or credentials (RFC 2617 §3.2.1 and §3.2.2, RFC 3261 §25.1):
 *
 *   challenge   = "Digest" LWS digest-cln *(COMMA digest-cln)
 *   digest-cln  = realm / domain / nonce / opaque / stale / algorithm / qop-options / auth-param
 *   credentials = "Digest" LWS dig-resp *(COMMA dig-resp)
 *   dig-resp    = username / realm / nonce / digest-uri / dresponse / algorithm / cnonce / opaque
 *                 / message-qop / nonce-count / auth-param
 *
 * Each parameter is `name=token` or `name="quoted string"`; names are compared in lower case.
 */

/** Parses `Digest a=b, c="d"` into lower-case names and unquoted values; null when it is not Digest. */
export function parseDigestParams(value: string): Map<string, string> | null {
  const m = /^\s*Digest\s+/i.exec(value);
  if (m === null) {
    return null;
  }
  const params = new Map<string, string>();
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]*))\s*(?:,|$)/y;
  re.lastIndex = m[0].length;
  while (re.lastIndex < value.length) {
    const p = re.exec(value);
    if (p === null) {
      return null;
    }
    const name = (p[1] ?? '').toLowerCase();
    params.set(name, p[2] === undefined ? (p[3] ?? '') : p[2].replace(/\\(.)/g, '$1'));
  }

  return params;
}

/** Writes parameters as `Digest a="b", c=d`; names in `unquoted` are written as tokens. */
export function serializeDigestParams(params: [string, string][], unquoted: ReadonlySet<string>): string {
  return `Digest ${params.map(([k, v]) => (unquoted.has(k) ? `${k}=${v}` : `${k}="${v.replace(/["\\]/g, '\\$&')}"`)).join(', ')}`;
}
