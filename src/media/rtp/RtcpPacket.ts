import { MediaPacketError } from '../errors.js';
import {
  RtcpPacketType,
  type RtcpGoodbye,
  type RtcpPacket,
  type RtcpReportBlock,
  type RtcpSourceDescription,
  type SdesChunk,
} from './RtcpTypes.js';

// Packet layouts are drawn in RtcpTypes.ts next to each interface.

const HEADER_SIZE = 4;
const REPORT_BLOCK_SIZE = 24;
const SENDER_INFO_SIZE = 24;

/** Throws the parse error for a truncated structure. */
function truncated(what: string, offset: number): never {
  throw new MediaPacketError('ERR_RTCP_TRUNCATED', `RTCP ${what} is truncated`, offset);
}

/** Reads `count` report blocks from `body` starting at `at`. */
function readReportBlocks(body: Buffer, at: number, count: number, base: number): RtcpReportBlock[] {
  if (body.length < at + count * REPORT_BLOCK_SIZE) {
    truncated('report block list', base + at);
  }
  const reports: RtcpReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = at + i * REPORT_BLOCK_SIZE;
    reports.push({
      ssrc: body.readUInt32BE(o),
      fractionLost: body.readUInt8(o + 4),
      cumulativeLost: body.readIntBE(o + 5, 3),
      highestSequence: body.readUInt32BE(o + 8),
      jitter: body.readUInt32BE(o + 12),
      lastSenderReport: body.readUInt32BE(o + 16),
      delaySinceLastSenderReport: body.readUInt32BE(o + 20),
    });
  }

  return reports;
}

/** Parses the chunks of an SDES body. */
function readSdesChunks(body: Buffer, count: number, base: number): SdesChunk[] {
  const chunks: SdesChunk[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (body.length < at + 4) {
      truncated('SDES chunk', base + at);
    }
    const chunk: SdesChunk = { ssrc: body.readUInt32BE(at), items: [] };
    at += 4;
    for (;;) {
      if (at >= body.length) {
        truncated('SDES item list', base + at);
      }
      const type = body.readUInt8(at);
      if (type === 0) {
        // The list ends with a null octet; zero octets then pad the chunk to the next 32-bit boundary.
        at = (Math.floor(at / 4) + 1) * 4;
        break;
      }
      if (at + 2 > body.length) {
        truncated('SDES item header', base + at);
      }
      const length = body.readUInt8(at + 1);
      if (at + 2 + length > body.length) {
        truncated('SDES item text', base + at);
      }
      chunk.items.push({ type, text: body.toString('utf8', at + 2, at + 2 + length) });
      at += 2 + length;
    }
    chunks.push(chunk);
  }

  return chunks;
}

/** Parses a BYE body. */
function readGoodbye(body: Buffer, count: number, paddingSize: number, base: number): RtcpGoodbye {
  if (body.length < count * 4) {
    truncated('BYE source list', base);
  }
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++) {
    ssrcs.push(body.readUInt32BE(i * 4));
  }
  let reason: string | undefined;
  const at = count * 4;
  if (body.length > at) {
    const length = body.readUInt8(at);
    if (at + 1 + length > body.length) {
      truncated('BYE reason', base + at);
    }
    reason = body.toString('utf8', at + 1, at + 1 + length);
  }

  return { type: 'bye', ssrcs, reason, paddingSize };
}

/**
 * Parses a compound RTCP datagram into its packets. Throws {@link MediaPacketError} (never anything else)
 * on a bad version, a length running past the datagram, bad padding or a truncated structure.
 */
export function parseRtcp(datagram: Buffer): RtcpPacket[] {
  const packets: RtcpPacket[] = [];
  let offset = 0;
  if (datagram.length < HEADER_SIZE) {
    truncated('header', 0);
  }
  while (offset < datagram.length) {
    if (datagram.length - offset < HEADER_SIZE) {
      truncated('header', offset);
    }
    const first = datagram.readUInt8(offset);
    if (first >> 6 !== 2) {
      throw new MediaPacketError('ERR_RTCP_VERSION', `RTCP version ${first >> 6} is not 2`, offset);
    }
    const count = first & 0x1f;
    const packetType = datagram.readUInt8(offset + 1);
    const size = (datagram.readUInt16BE(offset + 2) + 1) * 4;
    if (offset + size > datagram.length) {
      throw new MediaPacketError('ERR_RTCP_LENGTH', `RTCP length ${size} runs past the datagram`, offset);
    }
    let paddingSize = 0;
    if ((first & 0x20) !== 0) {
      paddingSize = datagram.readUInt8(offset + size - 1);
      if (paddingSize === 0 || paddingSize > size - HEADER_SIZE) {
        throw new MediaPacketError(
          'ERR_RTCP_PADDING',
          `invalid padding count ${paddingSize}`,
          offset + size - 1,
        );
      }
    }
    const body = datagram.subarray(offset + HEADER_SIZE, offset + size - paddingSize);
    const base = offset + HEADER_SIZE;
    switch (packetType) {
      case RtcpPacketType.SR: {
        if (body.length < SENDER_INFO_SIZE) {
          truncated('sender info', base);
        }
        const reports = readReportBlocks(body, SENDER_INFO_SIZE, count, base);
        packets.push({
          type: 'sr',
          ssrc: body.readUInt32BE(0),
          ntpSeconds: body.readUInt32BE(4),
          ntpFraction: body.readUInt32BE(8),
          rtpTimestamp: body.readUInt32BE(12),
          packetCount: body.readUInt32BE(16),
          octetCount: body.readUInt32BE(20),
          reports,
          profileExtension: body.subarray(SENDER_INFO_SIZE + count * REPORT_BLOCK_SIZE),
          paddingSize,
        });
        break;
      }
      case RtcpPacketType.RR: {
        if (body.length < 4) {
          truncated('receiver report', base);
        }
        const reports = readReportBlocks(body, 4, count, base);
        packets.push({
          type: 'rr',
          ssrc: body.readUInt32BE(0),
          reports,
          profileExtension: body.subarray(4 + count * REPORT_BLOCK_SIZE),
          paddingSize,
        });
        break;
      }
      case RtcpPacketType.SDES:
        packets.push({ type: 'sdes', chunks: readSdesChunks(body, count, base), paddingSize });
        break;
      case RtcpPacketType.BYE:
        packets.push(readGoodbye(body, count, paddingSize, base));
        break;
      default:
        packets.push({ type: 'other', packetType, count, body, paddingSize });
    }
    offset += size;
  }

  return packets;
}

/** Checks an integer field's range while building. */
function check(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MediaPacketError('ERR_RTCP_FIELD_RANGE', `${field} ${value} is outside ${min}..${max}`);
  }
}

/** Checks that every named field is an unsigned 32-bit integer. */
function checkU32(fields: Record<string, number>): void {
  for (const [field, value] of Object.entries(fields)) {
    check(field, value, 0, 0xffffffff);
  }
}

/** Encodes report blocks into `out` at `at`. */
function writeReportBlocks(reports: readonly RtcpReportBlock[], out: Buffer, at: number): void {
  for (const [i, r] of reports.entries()) {
    const o = at + i * REPORT_BLOCK_SIZE;
    check('fraction lost', r.fractionLost, 0, 0xff);
    check('cumulative lost', r.cumulativeLost, -0x800000, 0x7fffff);
    checkU32({
      'report SSRC': r.ssrc,
      'highest sequence': r.highestSequence,
      jitter: r.jitter,
      LSR: r.lastSenderReport,
      DLSR: r.delaySinceLastSenderReport,
    });
    out.writeUInt32BE(r.ssrc, o);
    out.writeUInt8(r.fractionLost, o + 4);
    out.writeIntBE(r.cumulativeLost, o + 5, 3);
    out.writeUInt32BE(r.highestSequence, o + 8);
    out.writeUInt32BE(r.jitter, o + 12);
    out.writeUInt32BE(r.lastSenderReport, o + 16);
    out.writeUInt32BE(r.delaySinceLastSenderReport, o + 20);
  }
}

/** Encodes an SDES body (chunks, each null-terminated and padded to 32 bits). */
function sdesBody(packet: RtcpSourceDescription): Buffer {
  const parts: Buffer[] = [];
  for (const chunk of packet.chunks) {
    const items = chunk.items.map((item) => {
      const text = Buffer.from(item.text, 'utf8');
      check('SDES item type', item.type, 1, 0xff);
      check('SDES item length', text.length, 0, 0xff);

      return Buffer.concat([Buffer.from([item.type, text.length]), text]);
    });
    const itemsLength = items.reduce((n, b) => n + b.length, 0);
    // At least one null octet ends the item list; more round the chunk up to a multiple of four.
    const chunkLength = Math.floor((4 + itemsLength) / 4) * 4 + 4;
    const out = Buffer.alloc(chunkLength);
    checkU32({ 'SDES SSRC': chunk.ssrc });
    out.writeUInt32BE(chunk.ssrc, 0);
    Buffer.concat(items).copy(out, 4);
    parts.push(out);
  }

  return Buffer.concat(parts);
}

/** Encodes a BYE body (sources, then the optional length-prefixed reason padded to 32 bits). */
function goodbyeBody(packet: RtcpGoodbye): Buffer {
  const reason = packet.reason === undefined ? undefined : Buffer.from(packet.reason, 'utf8');
  const reasonLength = reason === undefined ? 0 : Math.ceil((1 + reason.length) / 4) * 4;
  const out = Buffer.alloc(packet.ssrcs.length * 4 + reasonLength);
  for (const [i, ssrc] of packet.ssrcs.entries()) {
    checkU32({ 'BYE SSRC': ssrc });
    out.writeUInt32BE(ssrc, i * 4);
  }
  if (reason !== undefined) {
    check('BYE reason length', reason.length, 0, 0xff);
    out.writeUInt8(reason.length, packet.ssrcs.length * 4);
    reason.copy(out, packet.ssrcs.length * 4 + 1);
  }

  return out;
}

/** Encodes one packet: returns its count field, packet type and body. */
function encodeBody(packet: RtcpPacket): { count: number; packetType: number; body: Buffer } {
  switch (packet.type) {
    case 'sr': {
      checkU32({
        SSRC: packet.ssrc,
        'NTP seconds': packet.ntpSeconds,
        'NTP fraction': packet.ntpFraction,
        'RTP timestamp': packet.rtpTimestamp,
        'packet count': packet.packetCount,
        'octet count': packet.octetCount,
      });
      const body = Buffer.alloc(SENDER_INFO_SIZE + packet.reports.length * REPORT_BLOCK_SIZE);
      body.writeUInt32BE(packet.ssrc, 0);
      body.writeUInt32BE(packet.ntpSeconds, 4);
      body.writeUInt32BE(packet.ntpFraction, 8);
      body.writeUInt32BE(packet.rtpTimestamp, 12);
      body.writeUInt32BE(packet.packetCount, 16);
      body.writeUInt32BE(packet.octetCount, 20);
      writeReportBlocks(packet.reports, body, SENDER_INFO_SIZE);

      return {
        count: packet.reports.length,
        packetType: RtcpPacketType.SR,
        body: Buffer.concat([body, packet.profileExtension]),
      };
    }
    case 'rr': {
      checkU32({ SSRC: packet.ssrc });
      const body = Buffer.alloc(4 + packet.reports.length * REPORT_BLOCK_SIZE);
      body.writeUInt32BE(packet.ssrc, 0);
      writeReportBlocks(packet.reports, body, 4);

      return {
        count: packet.reports.length,
        packetType: RtcpPacketType.RR,
        body: Buffer.concat([body, packet.profileExtension]),
      };
    }
    case 'sdes':
      return { count: packet.chunks.length, packetType: RtcpPacketType.SDES, body: sdesBody(packet) };
    case 'bye':
      return { count: packet.ssrcs.length, packetType: RtcpPacketType.BYE, body: goodbyeBody(packet) };
    case 'other':
      return { count: packet.count, packetType: packet.packetType, body: packet.body };
  }
}

/**
 * Serialises packets into one compound RTCP datagram. Throws {@link MediaPacketError} when a field is out
 * of range or a packet would not end on a 32-bit boundary.
 */
export function serializeRtcp(packets: readonly RtcpPacket[]): Buffer {
  const parts: Buffer[] = [];
  for (const packet of packets) {
    const { count, packetType, body } = encodeBody(packet);
    check('RTCP count', count, 0, 31);
    check('RTCP packet type', packetType, 0, 0xff);
    check('RTCP padding', packet.paddingSize, 0, 0xff);
    const size = HEADER_SIZE + body.length + packet.paddingSize;
    if (size % 4 !== 0) {
      throw new MediaPacketError('ERR_RTCP_LENGTH', `RTCP packet of ${size} bytes is not a multiple of 4`);
    }
    check('RTCP length', size / 4 - 1, 0, 0xffff);
    const header = Buffer.alloc(HEADER_SIZE);
    header.writeUInt8(0x80 | (packet.paddingSize > 0 ? 0x20 : 0) | count, 0);
    header.writeUInt8(packetType, 1);
    header.writeUInt16BE(size / 4 - 1, 2);
    parts.push(header, body);
    if (packet.paddingSize > 0) {
      const padding = Buffer.alloc(packet.paddingSize);
      padding.writeUInt8(packet.paddingSize, packet.paddingSize - 1);
      parts.push(padding);
    }
  }

  return Buffer.concat(parts);
}
