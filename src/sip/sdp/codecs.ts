/**
 * The audio codecs confab can carry, by SDP encoding name. PCMU and PCMA have static payload types
 * (RFC 3551); opus is dynamic (111 in our offers) and always `opus/48000/2` in SDP (RFC 7587 §7), even
 * though confab sends mono. telephone-event (RFC 4733) runs at the audio codec's clock rate: it takes
 * whatever dynamic type the peer offered, or 101 (8 kHz) and 110 (48 kHz) in our offers.
 *
 * Opus depends on a native module that may be missing: the SIP service drops it from a trunk's preference
 * when the media hub could not load it, so it is then neither offered nor accepted.
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
  /** Channel count written after the clock rate in `a=rtpmap` (opus: always 2). */
  readonly channels?: number;
}

/** Audio codecs confab can encode and decode. */
export const AUDIO_CODECS: readonly CodecSpec[] = [
  { name: 'PCMU', payloadType: 0, clockRate: 8000, isStatic: true },
  { name: 'PCMA', payloadType: 8, clockRate: 8000, isStatic: true },
  {
    name: 'opus',
    payloadType: 111,
    clockRate: 48000,
    isStatic: false,
    channels: 2,
    fmtp: 'minptime=10;useinbandfec=1',
  },
];

/** RFC 4733 events, offered and accepted next to the audio codec. */
export const TELEPHONE_EVENT: CodecSpec = {
  name: 'telephone-event',
  payloadType: 101,
  clockRate: 8000,
  isStatic: false,
  fmtp: '0-16',
};

/** Payload types of telephone-event in our offers, per clock rate. */
export const TELEPHONE_EVENT_PAYLOAD_TYPES: Readonly<Record<number, number>> = { 8000: 101, 48000: 110 };

/** telephone-event at `clockRate` (that of the audio codec it goes with), with our payload type for it. */
export function telephoneEventAt(clockRate: number): CodecSpec {
  return {
    ...TELEPHONE_EVENT,
    clockRate,
    payloadType: TELEPHONE_EVENT_PAYLOAD_TYPES[clockRate] ?? TELEPHONE_EVENT.payloadType,
  };
}

/** The default preference when a trunk names none. */
export const DEFAULT_CODEC_PREFERENCE: readonly string[] = ['PCMU', 'PCMA'];

/** The codec spec of `name`, or undefined when confab cannot carry it. */
export function codecByName(name: string): CodecSpec | undefined {
  return AUDIO_CODECS.find((c) => c.name.toLowerCase() === name.toLowerCase());
}
