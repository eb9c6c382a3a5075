import { Scanner, serializeParams } from './Scanner.js';

/**
 * A media type as Content-Type and Accept carry it (RFC 3261 §20.15):
 * `media-type = m-type SLASH m-subtype *(SEMI m-parameter)`.
 */
export interface MediaType {
  /** Type in lower case (`application`). */
  type: string;
  /** Subtype in lower case (`sdp`). */
  subtype: string;
  /** Parameters, names in lower case. */
  params: Record<string, string | null>;
}

/** Parses one media type (`*` is accepted for Accept ranges). */
export function parseMediaType(value: string): MediaType {
  const s = new Scanner(value);
  const type = s.requireToken('a media type').toLowerCase();
  s.expect('/', 'in the media type');
  const subtype = s.requireToken('a media subtype').toLowerCase();
  const params = s.params();
  s.end('the media type');

  return { type, subtype, params };
}

/** Serializes as `type/subtype;params`. */
export function serializeMediaType(media: MediaType): string {
  return `${media.type}/${media.subtype}${serializeParams(media.params)}`;
}

/** True when `range` (possibly `*\/*` or `type/*`) covers `type/subtype`. */
export function mediaRangeMatches(range: MediaType, type: string, subtype: string): boolean {
  return (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype);
}
