/**
 * Client-token ACLs, in the grammar of Vonage's `acl` claim:
 *
 * ```json
 * {"paths": {"/*\/users/**": {}, "/*\/conversations/**": {"methods": ["GET"]}}}
 * ```
 *
 * Matching rules (confab's reading of a grammar Vonage only describes loosely):
 * - A glob and a request path are both split on `/`. A glob segment `*` matches exactly one non-empty
 *   segment; this is how the leading `/*\/` matches the API version (`v1`). A glob segment `**` matches any
 *   number of segments, zero included, so `/*\/users/**` allows `/v1/users` and `/v1/users/USR-1/sessions`.
 *   Any other glob segment matches literally and case-sensitively; a `*` mixed with other characters in one
 *   segment (`USR-*`) is not a wildcard.
 * - The request path is compared without its query string or fragment, and trailing slashes are ignored.
 *   A path that is not absolute, or that has empty, `.` or `..` segments (plain or `%2e`-encoded), is never
 *   allowed, so a router that normalises paths differently from this matcher cannot be used to slip past it.
 * - A rule `{}` allows every method. A rule with `methods` allows only those, compared case-insensitively;
 *   `methods: []` allows nothing. `HEAD` is not implied by `GET`.
 * - `filters` are accepted and kept but ignored: Vonage does not publish their semantics. This is wider than
 *   what a filtering token's issuer may intend, so row-level limits (a user sees only conversations it is a
 *   member of) must be enforced by services through membership checks, never left to the ACL.
 * - An ACL with no paths allows nothing. A client token without an `acl` claim gets such an empty ACL.
 */

/** The HTTP methods an ACL rule may list. Other strings are kept, but never match a real route. */
export type AclMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What an ACL path glob allows. */
export interface AclRule {
  /** The methods allowed under the glob; when absent, every method is allowed. */
  readonly methods?: readonly string[];
  /** Vonage's per-path filters. Parsed but ignored by {@link aclAllows} (see the module comment). */
  readonly filters?: Readonly<Record<string, unknown>>;
}

/** A client token's access-control list: path globs mapped to rules. */
export interface Acl {
  /** Path glob to rule, such as `"/*\/conversations/**": {}`. */
  readonly paths: Readonly<Record<string, AclRule>>;
}

/** An ACL that allows nothing: what a client token without an `acl` claim gets. */
export const EMPTY_ACL: Acl = Object.freeze({ paths: Object.freeze({}) });

/**
 * The ACL Vonage's documentation gives client (user) tokens: every method under the real-time, user,
 * conversation, session, device, push, knocking and leg resources of any API version.
 */
export const DEFAULT_CLIENT_ACL: Acl = Object.freeze({
  paths: Object.freeze({
    '/*/rtc/**': Object.freeze({}),
    '/*/users/**': Object.freeze({}),
    '/*/conversations/**': Object.freeze({}),
    '/*/sessions/**': Object.freeze({}),
    '/*/devices/**': Object.freeze({}),
    '/*/push/**': Object.freeze({}),
    '/*/knocking/**': Object.freeze({}),
    '/*/legs/**': Object.freeze({}),
  }),
});

// A request path deeper than this is refused outright; it bounds the matcher's work.
const MAX_PATH_SEGMENTS = 64;
// `.` and `..`, also percent-encoded (`%2e`), which some routers decode before normalising.
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/** Thrown by {@link parseAcl} when an `acl` claim does not have the expected shape. */
export class AclFormatError extends Error {
  override readonly name = 'AclFormatError';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks an untrusted `acl` claim and returns it as an {@link Acl}. Unknown rule members are dropped.
 * Fails closed: anything that is not `{paths: {glob: {methods?: string[], filters?: object}}}` throws
 * {@link AclFormatError}.
 */
export function parseAcl(value: unknown): Acl {
  if (!isPlainObject(value)) {
    throw new AclFormatError('acl must be an object');
  }
  const paths = value.paths;
  if (paths === undefined) {
    return EMPTY_ACL;
  }
  if (!isPlainObject(paths)) {
    throw new AclFormatError('acl.paths must be an object');
  }
  // A prototype-less record, so that a glob named `__proto__` or `constructor` is an ordinary key.
  const out = Object.create(null) as Record<string, AclRule>;
  for (const [glob, raw] of Object.entries(paths)) {
    if (!glob.startsWith('/')) {
      throw new AclFormatError(`acl glob ${JSON.stringify(glob)} must start with /`);
    }
    if (!isPlainObject(raw)) {
      throw new AclFormatError(`acl rule for ${JSON.stringify(glob)} must be an object`);
    }
    const rule: { methods?: readonly string[]; filters?: Readonly<Record<string, unknown>> } = {};
    if (raw.methods !== undefined) {
      const methods: unknown = raw.methods;
      if (!Array.isArray(methods) || !methods.every((m): m is string => typeof m === 'string')) {
        throw new AclFormatError(`acl methods for ${JSON.stringify(glob)} must be an array of strings`);
      }
      rule.methods = Object.freeze(methods.map((m) => m.toUpperCase()));
    }
    if (raw.filters !== undefined) {
      if (!isPlainObject(raw.filters)) {
        throw new AclFormatError(`acl filters for ${JSON.stringify(glob)} must be an object`);
      }
      rule.filters = raw.filters;
    }
    out[glob] = Object.freeze(rule);
  }

  return Object.freeze({ paths: Object.freeze(out) });
}

/**
 * Splits a request path into segments for matching, or returns null when the path must never be allowed
 * (not absolute, empty/dot segments, or too deep). The query string and fragment are cut off and trailing
 * slashes ignored.
 */
function requestSegments(path: string): string[] | null {
  let end = path.length;
  const query = path.indexOf('?');
  if (query !== -1) {
    end = query;
  }
  const hash = path.indexOf('#');
  if (hash !== -1 && hash < end) {
    end = hash;
  }
  let bare = path.slice(0, end);
  if (!bare.startsWith('/')) {
    return null;
  }
  while (bare.length > 1 && bare.endsWith('/')) {
    bare = bare.slice(0, -1);
  }
  if (bare === '/') {
    return [];
  }
  const segments = bare.slice(1).split('/');
  if (segments.length > MAX_PATH_SEGMENTS) {
    return null;
  }
  for (const segment of segments) {
    if (segment === '' || DOT_SEGMENT.test(segment)) {
      return null;
    }
  }

  return segments;
}

/** Splits a glob the same way; trailing slashes are ignored here too. */
function globSegments(glob: string): string[] {
  let bare = glob;
  while (bare.length > 1 && bare.endsWith('/')) {
    bare = bare.slice(0, -1);
  }

  return bare === '/' ? [] : bare.slice(1).split('/');
}

/**
 * Matches path segments against glob segments. Dynamic programming over (glob index, path index), so
 * several `**` in one glob cost O(glob × path) rather than exponential backtracking.
 */
function segmentsMatch(glob: readonly string[], path: readonly string[]): boolean {
  // reachable[j] tells whether the first i glob segments can consume exactly the first j path segments.
  let reachable: boolean[] = new Array<boolean>(path.length + 1).fill(false);
  reachable[0] = true;
  for (const g of glob) {
    const next: boolean[] = new Array<boolean>(path.length + 1).fill(false);
    for (let j = 0; j <= path.length; j++) {
      if (g === '**') {
        // Zero segments, or one more segment after a reachable prefix.
        next[j] = reachable[j] === true || (j > 0 && next[j - 1] === true);
      } else if (j > 0 && reachable[j - 1] === true) {
        next[j] = g === '*' || g === path[j - 1];
      }
    }
    reachable = next;
  }

  return reachable[path.length] === true;
}

/**
 * Tells whether `acl` allows `method` on `path` (see the module comment for the grammar). `path` may carry
 * a query string, which is ignored.
 */
export function aclAllows(acl: Acl, method: string, path: string): boolean {
  const segments = requestSegments(path);
  if (segments === null) {
    return false;
  }
  const wanted = method.toUpperCase();
  for (const [glob, rule] of Object.entries(acl.paths)) {
    if (rule.methods !== undefined && !rule.methods.some((m) => m.toUpperCase() === wanted)) {
      continue;
    }
    if (segmentsMatch(globSegments(glob), segments)) {
      return true;
    }
  }

  return false;
}
