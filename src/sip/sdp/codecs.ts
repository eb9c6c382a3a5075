/**
 * The audio codecs confab can carry, by SDP encoding name. PCMU and PCMA have static payload types
 * (RFC 3551); telephone-event (RFC 4733) takes whatever dynamic type the peer offered, or 101 in our
 * offers.
 *
 * Opus hook: opus needs a native encoder that this project does not have yet. When one lands, add
 * `{ name: 'opus', payloadType: 111, clockRate: 48000, channels: 2, fmtp: 'minptime=10;useinbandfec=1' }`
 * here and list 'opus' in a trunk's codec preference; the negotiator needs no other change.
 */
export interface CodecSpec {
  /** Encoding name as written in `a=rtpmap` (compared case-insensitively). */
  readonly name: string;
  /** Payload type in our offers (static types are also matched without an rtpmap line). */
  readonly payloadType: number;
  /** RTP clock rate. */
  readonly clockRate: number;
  /** Whether the payload type is static (RFC 3551), so an offer may omit its rtpmap. */
  readonly isStatic: boolean;
  /** Format parameters in our offers. */
  readonly fmtp?: string;
}

/** Audio codecs confab can encode and decode. */
export const AUDIO_CODECS: readonly CodecSpec[] = [
  { name: 'PCMU', payloadType: 0, clockRate: 8000, isStatic: true },
  { name: 'PCMA', payloadType: 8, clockRate: 8000, isStatic: true },
];

/** RFC 4733 events, offered and accepted next to the audio codec. */
export const TELEPHONE_EVENT: CodecSpec = {
  name: 'telephone-event',
  payloadType: 101,
  clockRate: 8000,
  isStatic: false,
  fmtp: '0-16',
};

/** The default preference when a trunk names none. */
export const DEFAULT_CODEC_PREFERENCE: readonly string[] = ['PCMU', 'PCMA'];

/** The codec spec of `name`, or undefined when confab cannot carry it. */
export function codecByName(name: string): CodecSpec | undefined {
  return AUDIO_CODECS.find((c) => c.name.toLowerCase() === name.toLowerCase());
}
