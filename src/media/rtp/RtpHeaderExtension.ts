import { MediaPacketError } from '../errors.js';
import { type RtpExtensionBlock } from './RtpPacket.js';

/*
 * RFC 8285 header extension elements, carried in the raw RTP extension block.
 *
 * One-byte form (profile 0xBEDE), section 4.2; each element is a 4-bit ID, a 4-bit length L and L+1 data bytes:
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |       0xBE    |    0xDE       |           length=3            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |  ID   | L=0   |     data      |  ID   |  L=1  |   data...
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Two-byte form (profile 0x100 followed by 4 application bits), section 4.3; an 8-bit ID, an 8-bit length
 * and that many data bytes:
 *
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |         0x100         |appbits|           length=3            |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |      ID       |     L=0       |     ID        |     L=1       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * In both forms a zero byte where an ID is expected is padding. In the one-byte form ID 15 ends parsing.
 */

/** Profile value of the one-byte header form. */
export const ONE_BYTE_PROFILE = 0xbede;
/** Profile value of the two-byte header form when its application bits are zero. */
export const TWO_BYTE_PROFILE = 0x1000;

/** One RFC 8285 extension element. */
export interface RtpHeaderExtensionElement {
  /** Local identifier negotiated via SDP `a=extmap` (1..14 one-byte, 1..255 two-byte). */
  id: number;
  /** Element data (a view into the packet when parsed). */
  data: Buffer;
}

/** Which RFC 8285 form an extension block uses, or undefined for another profile. */
export function extensionForm(block: RtpExtensionBlock): 'one-byte' | 'two-byte' | undefined {
  if (block.profile === ONE_BYTE_PROFILE) {
    return 'one-byte';
  }
  if ((block.profile & 0xfff0) === TWO_BYTE_PROFILE) {
    return 'two-byte';
  }

  return undefined;
}

/**
 * Splits an RFC 8285 extension block into its elements. Throws {@link MediaPacketError} for a block of
 * another profile or an element running past the block's end.
 */
export function parseHeaderExtensions(block: RtpExtensionBlock): RtpHeaderExtensionElement[] {
  const form = extensionForm(block);
  if (form === undefined) {
    throw new MediaPacketError(
      'ERR_RTP_EXTENSION',
      `profile 0x${block.profile.toString(16)} is not RFC 8285`,
    );
  }
  const data = block.data;
  const elements: RtpHeaderExtensionElement[] = [];
  let at = 0;
  while (at < data.length) {
    const first = data.readUInt8(at);
    if (first === 0) {
      at += 1;
      continue;
    }
    let id: number;
    let length: number;
    if (form === 'one-byte') {
      id = first >> 4;
      if (id === 15) {
        break;
      }
      length = (first & 0x0f) + 1;
      at += 1;
    } else {
      if (at + 1 >= data.length) {
        throw new MediaPacketError('ERR_RTP_EXTENSION', 'two-byte element header is truncated', at);
      }
      id = first;
      length = data.readUInt8(at + 1);
      at += 2;
    }
    if (at + length > data.length) {
      throw new MediaPacketError('ERR_RTP_EXTENSION', `extension element ${id} runs past the block`, at);
    }
    elements.push({ id, data: data.subarray(at, at + length) });
    at += length;
  }

  return elements;
}

/**
 * Packs elements into an extension block, choosing the one-byte form when every element fits it
 * (ID 1..14, 1..16 data bytes) and the two-byte form otherwise; zero padding rounds it to 32 bits.
 */
export function serializeHeaderExtensions(elements: readonly RtpHeaderExtensionElement[]): RtpExtensionBlock {
  const oneByte = elements.every((e) => e.id >= 1 && e.id <= 14 && e.data.length >= 1 && e.data.length <= 16);
  let size = 0;
  for (const element of elements) {
    if (element.id < 1 || element.id > 255 || element.data.length > 255) {
      throw new MediaPacketError('ERR_RTP_EXTENSION', `element ${element.id} cannot be encoded`);
    }
    size += (oneByte ? 1 : 2) + element.data.length;
  }
  const data = Buffer.alloc(Math.ceil(size / 4) * 4);
  let at = 0;
  for (const element of elements) {
    if (oneByte) {
      data.writeUInt8((element.id << 4) | (element.data.length - 1), at);
      at += 1;
    } else {
      data.writeUInt8(element.id, at);
      data.writeUInt8(element.data.length, at + 1);
      at += 2;
    }
    element.data.copy(data, at);
    at += element.data.length;
  }

  return { profile: oneByte ? ONE_BYTE_PROFILE : TWO_BYTE_PROFILE, data };
}
