/**
 * Header field names: compact forms (RFC 3261 §7.3.3 and later extensions), the canonical spelling used
 * when serializing, and which headers may be combined as comma-separated lists (RFC 3261 §7.3.1).
 */

const COMPACT: Record<string, string> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  n: 'Identity-Info',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

const KNOWN = [
  'Accept',
  'Accept-Contact',
  'Accept-Encoding',
  'Accept-Language',
  'Alert-Info',
  'Allow',
  'Allow-Events',
  'Authentication-Info',
  'Authorization',
  'Call-ID',
  'Call-Info',
  'Contact',
  'Content-Disposition',
  'Content-Encoding',
  'Content-Language',
  'Content-Length',
  'Content-Type',
  'CSeq',
  'Date',
  'Error-Info',
  'Event',
  'Expires',
  'From',
  'History-Info',
  'Identity',
  'Identity-Info',
  'In-Reply-To',
  'Max-Forwards',
  'Min-Expires',
  'Min-SE',
  'MIME-Version',
  'Organization',
  'P-Asserted-Identity',
  'P-Preferred-Identity',
  'Path',
  'Priority',
  'Privacy',
  'Proxy-Authenticate',
  'Proxy-Authorization',
  'Proxy-Require',
  'RAck',
  'Reason',
  'Record-Route',
  'Refer-To',
  'Referred-By',
  'Reject-Contact',
  'Replaces',
  'Reply-To',
  'Request-Disposition',
  'Require',
  'Retry-After',
  'Route',
  'RSeq',
  'Server',
  'Service-Route',
  'Session-Expires',
  'SIP-ETag',
  'SIP-If-Match',
  'Subject',
  'Subscription-State',
  'Supported',
  'Timestamp',
  'To',
  'Unsupported',
  'User-Agent',
  'Via',
  'Warning',
  'WWW-Authenticate',
];

const CANONICAL = new Map<string, string>(KNOWN.map((n) => [n.toLowerCase(), n]));

// Header names are canonicalised and compared on every header lookup, so the canonical spelling and its
// lower-cased form are remembered for each spelling seen. The caches are bounded: names come from the
// network, and past the bound they are computed each time.
const KEYS = new Map<string, string>();
const SPELLINGS = new Map<string, string>();
const MAX_KEYS = 1024;

/** The lower-cased canonical form of a header name: equal for two spellings of one header. */
function headerKey(name: string): string {
  let key = KEYS.get(name);
  if (key === undefined) {
    key = canonicalHeaderName(name).toLowerCase();
    if (KEYS.size < MAX_KEYS) {
      KEYS.set(name, key);
    }
  }

  return key;
}

/**
 * Headers whose grammar is `#element`, so several lines may be folded into one comma-separated value and a
 * value may be split on top-level commas. Authorization, WWW-Authenticate, Date and the like are absent on
 * purpose: their values contain commas that are not list separators.
 */
const LIST_HEADERS = new Set(
  [
    'Accept',
    'Accept-Contact',
    'Accept-Encoding',
    'Accept-Language',
    'Alert-Info',
    'Allow',
    'Allow-Events',
    'Call-Info',
    'Contact',
    'Content-Encoding',
    'Content-Language',
    'Error-Info',
    'History-Info',
    'In-Reply-To',
    'P-Asserted-Identity',
    'P-Preferred-Identity',
    'Path',
    'Proxy-Require',
    'Reason',
    'Record-Route',
    'Reject-Contact',
    'Request-Disposition',
    'Require',
    'Route',
    'Service-Route',
    'Supported',
    'Unsupported',
    'Via',
    'Warning',
  ].map((n) => n.toLowerCase()),
);

/** Headers that must appear at most once; a second occurrence makes the message invalid. */
export const SINGLE_HEADERS: readonly string[] = [
  'Call-ID',
  'CSeq',
  'From',
  'To',
  'Max-Forwards',
  'Content-Length',
  'Content-Type',
];

/**
 * The canonical name for a header as received: compact forms are expanded, well-known names get their
 * RFC spelling, unknown names are kept exactly as received.
 */
export function canonicalHeaderName(name: string): string {
  let canonical = SPELLINGS.get(name);
  if (canonical === undefined) {
    const lower = name.toLowerCase();
    canonical = (lower.length === 1 ? COMPACT[lower] : undefined) ?? CANONICAL.get(lower) ?? name;
    if (SPELLINGS.size < MAX_KEYS) {
      SPELLINGS.set(name, canonical);
    }
  }

  return canonical;
}

/** True when values of `name` form a comma-separated list. */
export function isListHeader(name: string): boolean {
  return LIST_HEADERS.has(headerKey(name));
}

/** Case-insensitive comparison of two header names, compact forms included. */
export function sameHeaderName(a: string, b: string): boolean {
  return a === b || headerKey(a) === headerKey(b);
}
