import { MediaPacketError } from '../errors.js';

/*
 * RFC 4733 section 2.3 telephone-event payload (4 bytes):
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     event     |E|R| volume    |          duration             |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * event: 0-9, 10 = '*', 11 = '#', 12-15 = A-D, 16 = flash (RFC 4734). E marks the end of the event; R is
 * reserved (sent as zero, ignored on receipt). volume is the power level in −dBm0 (0..63). duration is
 * counted in RTP timestamp units from the event's start, which is the packet's RTP timestamp.
 */

/** Size of one telephone-event payload block. */
export const TELEPHONE_EVENT_SIZE = 4;

/** One decoded telephone-event payload. */
export interface TelephoneEvent {
  /** Event code, 0..255 (DTMF uses 0..16). */
  event: number;
  /** End bit: this packet reports the final duration of the event. */
  end: boolean;
  /** Power level in −dBm0, 0..63 (larger is quieter). */
  volume: number;
  /** Duration so far, in RTP timestamp units (0..65535). */
  duration: number;
}

const DTMF_CHARACTERS = '0123456789*#ABCD';
/** Event code of a hook flash (RFC 4734). */
export const FLASH_EVENT = 16;

/** The DTMF character of an event code ('0'-'9', '*', '#', 'A'-'D', '!' for flash), or undefined. */
export function dtmfCharacter(event: number): string | undefined {
  if (event === FLASH_EVENT) {
    return '!';
  }

  return event >= 0 && event < DTMF_CHARACTERS.length ? DTMF_CHARACTERS[event] : undefined;
}

/**
 * The event code of a DTMF character (case-insensitive letters, '!' for flash). Throws
 * {@link MediaPacketError} `ERR_DTMF_EVENT` for any other character.
 */
export function dtmfEventCode(character: string): number {
  if (character === '!') {
    return FLASH_EVENT;
  }
  const index = character.length === 1 ? DTMF_CHARACTERS.indexOf(character.toUpperCase()) : -1;
  if (index < 0) {
    throw new MediaPacketError('ERR_DTMF_EVENT', `'${character}' is not a DTMF digit`);
  }

  return index;
}

/**
 * Decodes the first telephone-event block of an RTP payload. Throws {@link MediaPacketError}
 * `ERR_DTMF_PAYLOAD` when the payload is shorter than 4 bytes.
 */
export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent {
  if (payload.length < TELEPHONE_EVENT_SIZE) {
    throw new MediaPacketError('ERR_DTMF_PAYLOAD', `telephone-event payload of ${payload.length} bytes`, 0);
  }
  const flags = payload[1] ?? 0;

  return {
    event: payload[0] ?? 0,
    end: (flags & 0x80) !== 0,
    volume: flags & 0x3f,
    duration: ((payload[2] ?? 0) << 8) | (payload[3] ?? 0),
  };
}

/** Encodes a telephone-event block (R bit zero). Throws {@link MediaPacketError} on out-of-range fields. */
export function serializeTelephoneEvent(event: TelephoneEvent, out?: Buffer): Buffer {
  const fields: [string, number, number][] = [
    ['event', event.event, 0xff],
    ['volume', event.volume, 0x3f],
    ['duration', event.duration, 0xffff],
  ];
  for (const [name, value, max] of fields) {
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new MediaPacketError('ERR_DTMF_PAYLOAD', `telephone-event ${name} ${value} is outside 0..${max}`);
    }
  }
  const target = out ?? Buffer.allocUnsafe(TELEPHONE_EVENT_SIZE);
  target[0] = event.event;
  target[1] = (event.end ? 0x80 : 0) | event.volume;
  target.writeUInt16BE(event.duration, 2);

  return target.subarray(0, TELEPHONE_EVENT_SIZE);
}
