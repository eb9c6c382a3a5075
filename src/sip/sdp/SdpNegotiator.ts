import { parse, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { DEFAULT_CODEC_PREFERENCE, codecByName, telephoneEventAt, type CodecSpec } from './codecs.js';
import { SdpError } from './SdpError.js';

/*
 * SDP offer/answer (RFC 3264) for one audio stream. The grammar (RFC 8866) in the form we check:
 *
 *   v=0
 *   o=<username> <sess-id> <sess-version> IN IP4 <address>
 *   s=<session name>
 *   c=IN IP4 <address>                 (session level, or in every m= block)
 *   t=0 0
 *   m=audio <port> RTP/AVP <fmt> ...
 *   a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]
 *   a=fmtp:<pt> <parameters>
 *   a=sendrecv | sendonly | recvonly | inactive
 *
 * An answer keeps every m= line of the offer in its order (§6); the streams confab does not take are
 * answered with port 0. The first audio stream with a common codec is the one used.
 */

/** Largest SDP body looked at. */
export const MAX_SDP_BYTES = 8192;
/** Most m= lines in one body. */
export const MAX_MEDIA_LINES = 16;

/** Media direction attribute. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** The outcome of a negotiation: what to send, where, and what was agreed. */
export interface NegotiatedMedia {
  /** The audio codec, with the payload type the peer uses for it. */
  readonly codec: CodecSpec;
  /**
   * The peer's telephone-event payload type at the codec's clock rate, or null when it did not offer
   * RFC 4733 at that rate.
   */
  readonly telephoneEventPayloadType: number | null;
  /** Where the peer receives RTP (address 0.0.0.0 for an RFC 2543 hold). */
  readonly remote: { readonly address: string; readonly port: number };
  /** The peer's direction as written in its SDP. */
  readonly direction: MediaDirection;
  /** True when the peer put the call on hold (sendonly, inactive, or a 0.0.0.0 connection address). */
  readonly onHold: boolean;
}

/** Where and how confab receives media, for building offers and answers. */
export interface LocalMedia {
  /** Address written into `o=` and `c=`. */
  readonly address: string;
  /** Our RTP port. */
  readonly port: number;
  /** Session id for `o=`; keep it for the life of the call. */
  readonly sessionId: number;
  /** Session version; increase it on every new offer or answer that changes (RFC 3264 §8). */
  readonly version: number;
  /** Codec names in preference order. @defaultValue {@link DEFAULT_CODEC_PREFERENCE} */
  readonly preference?: readonly string[];
  /** Our direction. @defaultValue 'sendrecv' */
  readonly direction?: MediaDirection;
}

/** Parses and checks an SDP body; throws {@link SdpError} (400) on syntax problems. */
export function parseSdp(body: Buffer): SessionDescription {
  if (body.length > MAX_SDP_BYTES) {
    throw new SdpError('too-large', `${body.length} bytes`);
  }
  const text = body.toString('latin1');
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== 'v=0') {
    throw new SdpError('syntax', 'the first line must be v=0');
  }
  const bad = lines.find((l) => !/^[a-z]=[\x20-\x7e\x80-\xff]*$/.test(l));
  if (bad !== undefined) {
    throw new SdpError('syntax', `not a <type>=<value> line: ${JSON.stringify(bad.slice(0, 40))}`);
  }
  for (const required of ['o=', 's=', 't=']) {
    if (!lines.some((l) => l.startsWith(required))) {
      throw new SdpError('syntax', `no ${required} line`);
    }
  }
  const sdp = parse(text);
  const media = sdp.media;
  if (media.length > MAX_MEDIA_LINES) {
    throw new SdpError('too-large', `${media.length} m= lines`);
  }
  for (const m of media) {
    if (!Number.isInteger(m.port) || m.port < 0 || m.port > 65535) {
      throw new SdpError('syntax', `bad m= port ${String(m.port)}`);
    }
    if (typeof m.protocol !== 'string' || m.protocol === '' || m.payloads === undefined) {
      throw new SdpError('syntax', 'm= line without protocol or formats');
    }
    const connection = m.connection ?? sdp.connection;
    if (
      m.port !== 0 &&
      m.type === 'audio' &&
      (connection === undefined ||
        (connection.version !== 4 && connection.version !== 6) ||
        connection.ip === '')
    ) {
      throw new SdpError('syntax', 'audio stream without a usable c= line');
    }
  }

  return sdp;
}

/** Parses `payloads` of an m= line into numbers, refusing junk. */
function payloadTypes(m: MediaDescription): number[] {
  const list = String(m.payloads ?? '')
    .trim()
    .split(/\s+/);

  return list
    .filter((p) => /^[0-9]{1,3}$/.test(p))
    .map(Number)
    .filter((n) => n <= 127);
}

/** The peer's payload type for `codec` in `m`, or undefined. */
function findPayloadType(m: MediaDescription, codec: CodecSpec): number | undefined {
  const offered = payloadTypes(m);
  const mapped = m.rtp.find(
    (r) =>
      r.codec.toLowerCase() === codec.name.toLowerCase() &&
      r.rate === codec.clockRate &&
      offered.includes(r.payload),
  );
  if (mapped !== undefined) {
    return mapped.payload;
  }
  // A static payload type may come without an rtpmap line, unless the line maps it to something else.
  if (
    codec.isStatic &&
    offered.includes(codec.payloadType) &&
    !m.rtp.some((r) => r.payload === codec.payloadType)
  ) {
    return codec.payloadType;
  }

  return undefined;
}

/** Picks the codec, telephone-event and remote address of one audio m= block; null when no codec matches. */
function negotiateStream(
  sdp: SessionDescription,
  m: MediaDescription,
  preference: readonly string[],
): NegotiatedMedia | null {
  if (m.type !== 'audio' || m.port === 0 || !/^RTP\/AVP$/i.test(m.protocol)) {
    return null;
  }
  for (const name of preference) {
    const spec = codecByName(name);
    const pt = spec === undefined ? undefined : findPayloadType(m, spec);
    if (spec === undefined || pt === undefined) {
      continue;
    }
    // RFC 4733 §2.1: the events share the audio's RTP clock, so only telephone-event at its rate will do.
    const te = findPayloadType(m, telephoneEventAt(spec.clockRate)) ?? null;
    const direction: MediaDirection = m.direction ?? sdp.direction ?? 'sendrecv';
    const address = (m.connection ?? sdp.connection)?.ip ?? '0.0.0.0';

    return {
      codec: { ...spec, payloadType: pt },
      telephoneEventPayloadType: te,
      remote: { address, port: m.port },
      direction,
      onHold: direction === 'sendonly' || direction === 'inactive' || address === '0.0.0.0',
    };
  }

  return null;
}

const ANSWER_DIRECTION: Record<MediaDirection, MediaDirection> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

/** One audio m= block of ours, with `codecs` and then the telephone-event formats `events`. */
function localAudio(
  local: LocalMedia,
  codecs: readonly CodecSpec[],
  events: readonly CodecSpec[],
  direction: MediaDirection,
): MediaDescription {
  const all = [...codecs, ...events];

  return {
    type: 'audio',
    port: local.port,
    protocol: 'RTP/AVP',
    payloads: all.map((c) => c.payloadType).join(' '),
    rtp: all.map((c) => ({
      payload: c.payloadType,
      codec: c.name,
      rate: c.clockRate,
      ...(c.channels === undefined ? {} : { encoding: c.channels }),
    })),
    fmtp: all
      .filter((c) => c.fmtp !== undefined)
      .map((c) => ({ payload: c.payloadType, config: c.fmtp ?? '' })),
    ptime: 20,
    direction,
  };
}

/** The session-level lines of our SDP. */
function session(local: LocalMedia, media: MediaDescription[]): SessionDescription {
  const ipVer = local.address.includes(':') ? 6 : 4;

  return {
    version: 0,
    origin: {
      username: 'confab',
      sessionId: local.sessionId,
      sessionVersion: local.version,
      netType: 'IN',
      ipVer,
      address: local.address,
    },
    name: 'confab',
    connection: { version: ipVer, ip: local.address },
    timing: { start: 0, stop: 0 },
    media,
  };
}

/**
 * Writes the SDP that {@link session} builds, line for line as sdp-transform's `write` would: `v o s c t`,
 * then per stream `m`, `a=rtpmap`, `a=fmtp`, `a=ptime` and the direction. sdp-transform's writer tries its
 * whole grammar on every line, which cost more than the rest of a call's SDP work; the shapes confab writes
 * are few and fixed (the tests hold this writer to sdp-transform's output).
 */
export function writeSdp(sdp: SessionDescription): string {
  const { origin, connection, timing } = sdp;
  const lines = [`v=${sdp.version}`];
  if (origin !== undefined) {
    const { username, sessionId, sessionVersion, netType, ipVer, address } = origin;
    lines.push(`o=${username} ${sessionId} ${sessionVersion} ${netType} IP${ipVer} ${address}`);
  }
  lines.push(`s=${sdp.name}`);
  if (connection !== undefined) {
    lines.push(`c=IN IP${connection.version} ${connection.ip}`);
  }
  if (timing !== undefined) {
    lines.push(`t=${timing.start} ${timing.stop}`);
  }
  for (const m of sdp.media) {
    lines.push(`m=${m.type} ${m.port} ${m.protocol} ${m.payloads ?? ''}`);
    for (const r of m.rtp) {
      // The same three forms as sdp-transform's rtpmap rule.
      const format = r.encoding ? `/${r.rate}/${r.encoding}` : r.rate ? `/${r.rate}` : '';
      lines.push(`a=rtpmap:${r.payload} ${r.codec}${format}`);
    }
    for (const f of m.fmtp) {
      lines.push(`a=fmtp:${f.payload} ${f.config}`);
    }
    if (m.ptime !== undefined) {
      lines.push(`a=ptime:${m.ptime}`);
    }
    if (m.direction !== undefined) {
      lines.push(`a=${m.direction}`);
    }
  }

  return `${lines.join('\r\n')}\r\n`;
}

/**
 * Answers an offer (RFC 3264 §6): the first audio stream with a codec from `local.preference` is taken
 * with that one codec (plus telephone-event when offered); every other m= line is refused with port 0.
 * Throws {@link SdpError}: 400 for bad syntax, 488 when no stream has a common codec.
 */
export function answerOffer(offer: Buffer, local: LocalMedia): { answer: string; media: NegotiatedMedia } {
  const sdp = parseSdp(offer);
  const preference = local.preference ?? DEFAULT_CODEC_PREFERENCE;
  let chosen: NegotiatedMedia | null = null;
  const media: MediaDescription[] = sdp.media.map((m) => {
    const negotiated = chosen === null ? negotiateStream(sdp, m, preference) : null;
    if (negotiated === null) {
      // A refused stream echoes its formats with port 0 (RFC 3264 §6).
      return { type: m.type, port: 0, protocol: m.protocol, payloads: m.payloads ?? '0', rtp: [], fmtp: [] };
    }
    chosen = negotiated;
    const direction = local.direction ?? ANSWER_DIRECTION[negotiated.direction];

    const te = negotiated.telephoneEventPayloadType;
    const events = te === null ? [] : [{ ...telephoneEventAt(negotiated.codec.clockRate), payloadType: te }];

    return localAudio(local, [negotiated.codec], events, direction);
  });
  const agreed = chosen as NegotiatedMedia | null;
  if (agreed === null) {
    throw new SdpError(
      sdp.media.length === 0 ? 'no-media' : 'no-common-codec',
      'no audio stream with a codec confab supports',
    );
  }

  return { answer: writeSdp(session(local, media)), media: agreed };
}

/**
 * Builds an offer with the preferred codecs (in order) and telephone-event at each of their clock rates
 * (101 at 8 kHz, 110 at 48 kHz).
 */
export function createOffer(local: LocalMedia): string {
  const known = (names: readonly string[]): CodecSpec[] =>
    names.map((n) => codecByName(n)).filter((c): c is CodecSpec => c !== undefined);
  const preferred = known(local.preference ?? DEFAULT_CODEC_PREFERENCE);
  const codecs = preferred.length > 0 ? preferred : known(DEFAULT_CODEC_PREFERENCE);
  const rates = [...new Set(codecs.map((c) => c.clockRate))];

  return writeSdp(
    session(local, [localAudio(local, codecs, rates.map(telephoneEventAt), local.direction ?? 'sendrecv')]),
  );
}

/** Reads the answer to our offer: throws {@link SdpError} when it is broken or agrees on nothing we offered. */
export function readAnswer(
  answer: Buffer,
  preference: readonly string[] = DEFAULT_CODEC_PREFERENCE,
): NegotiatedMedia {
  const sdp = parseSdp(answer);
  for (const m of sdp.media) {
    const negotiated = negotiateStream(sdp, m, preference);
    if (negotiated !== null) {
      return negotiated;
    }
  }
  throw new SdpError('no-common-codec', 'the answer accepted no codec confab offered');
}
