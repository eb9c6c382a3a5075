/*
 * ITU-T G.711 companding: 16-bit linear PCM <-> 8-bit µ-law (PCMU, RTP PT 0) and A-law (PCMA, PT 8).
 *
 * Both laws approximate a logarithm with 8 segments of 16 linear steps; a code byte is
 * sign (1 bit) | segment (3 bits) | step (4 bits), transmitted inverted for µ-law and with the even bits
 * inverted (XOR 0x55) for A-law. µ-law adds a bias of 33 (in 14-bit units) before finding the segment so
 * segment boundaries fall on powers of two; A-law works on 13-bit magnitudes with segments 0 and 1 sharing
 * the same step size.
 *
 * All four directions are table lookups: decoding uses a 256-entry Int16Array, encoding a 65536-entry
 * Uint8Array indexed by the sample's 16-bit two's-complement pattern, so a 20 ms frame costs 160 reads.
 */

/** µ-law bias in 16-bit units (33 in 14-bit units, shifted left by 2). */
const ULAW_BIAS = 0x84;
/** Largest magnitude that still fits the top µ-law segment once the bias is added. */
const ULAW_CLIP = 32635;

/** Encodes one linear sample to µ-law by computation (used only to fill the table). */
function computeUlaw(sample: number): number {
  let magnitude = sample;
  let sign = 0;
  if (magnitude < 0) {
    sign = 0x80;
    magnitude = -magnitude;
  }
  magnitude = Math.min(magnitude, ULAW_CLIP) + ULAW_BIAS;
  // The segment is the position of the highest set bit among bits 7..14.
  let segment = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && segment > 0; mask >>= 1) {
    segment -= 1;
  }
  const step = (magnitude >> (segment + 3)) & 0x0f;

  return ~(sign | (segment << 4) | step) & 0xff;
}

/** Decodes one µ-law byte by computation (used only to fill the table). */
function computeUlawDecode(code: number): number {
  const inverted = ~code & 0xff;
  const segment = (inverted >> 4) & 0x07;
  const magnitude = ((((inverted & 0x0f) << 3) + ULAW_BIAS) << segment) - ULAW_BIAS;

  return (inverted & 0x80) !== 0 ? -magnitude : magnitude;
}

/** Encodes one linear sample to A-law by computation (used only to fill the table). */
function computeAlaw(sample: number): number {
  // A-law works on 13-bit values; negative values are folded onto magnitudes one below.
  let value = sample >> 3;
  let mask = 0xd5;
  if (value < 0) {
    mask = 0x55;
    value = -value - 1;
  }
  let segment = 0;
  while (segment < 8 && value > (0x20 << segment) - 1) {
    segment += 1;
  }
  if (segment >= 8) {
    return 0x7f ^ mask;
  }
  const step = segment < 2 ? (value >> 1) & 0x0f : (value >> segment) & 0x0f;

  return ((segment << 4) | step) ^ mask;
}

/** Decodes one A-law byte by computation (used only to fill the table). */
function computeAlawDecode(code: number): number {
  const value = code ^ 0x55;
  const segment = (value & 0x70) >> 4;
  let magnitude = (value & 0x0f) << 4;
  if (segment === 0) {
    magnitude += 8;
  } else {
    magnitude = (magnitude + 0x108) << (segment - 1);
  }

  return (value & 0x80) !== 0 ? magnitude : -magnitude;
}

/** Builds a 65536-entry encode table indexed by `sample & 0xffff`. */
function encodeTable(encode: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(0x10000);
  for (let pattern = 0; pattern < 0x10000; pattern++) {
    table[pattern] = encode((pattern << 16) >> 16);
  }

  return table;
}

/** Builds a 256-entry decode table. */
function decodeTable(decode: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    table[code] = decode(code);
  }

  return table;
}

/** µ-law code → linear sample. */
export const ULAW_DECODE_TABLE: Readonly<Int16Array> = decodeTable(computeUlawDecode);
/** Linear sample (as `sample & 0xffff`) → µ-law code. */
export const ULAW_ENCODE_TABLE: Readonly<Uint8Array> = encodeTable(computeUlaw);
/** A-law code → linear sample. */
export const ALAW_DECODE_TABLE: Readonly<Int16Array> = decodeTable(computeAlawDecode);
/** Linear sample (as `sample & 0xffff`) → A-law code. */
export const ALAW_ENCODE_TABLE: Readonly<Uint8Array> = encodeTable(computeAlaw);

/** Runs an encode table over a frame. */
function encodeWith(table: Readonly<Uint8Array>, pcm: Int16Array, out?: Buffer): Buffer {
  const target = out ?? Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) {
    target[i] = table[(pcm[i] ?? 0) & 0xffff] ?? 0;
  }

  return pcm.length === target.length ? target : target.subarray(0, pcm.length);
}

/** Runs a decode table over a frame. */
function decodeWith(table: Readonly<Int16Array>, codes: Uint8Array, out?: Int16Array): Int16Array {
  const target = out ?? new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    target[i] = table[codes[i] ?? 0] ?? 0;
  }

  return codes.length === target.length ? target : target.subarray(0, codes.length);
}

/**
 * Encodes linear PCM to µ-law, one byte per sample. Writes into `out` when given (it must hold
 * `pcm.length` bytes) to avoid an allocation per frame.
 */
export function encodeUlaw(pcm: Int16Array, out?: Buffer): Buffer {
  return encodeWith(ULAW_ENCODE_TABLE, pcm, out);
}

/** Decodes µ-law bytes to linear PCM, into `out` when given. */
export function decodeUlaw(codes: Uint8Array, out?: Int16Array): Int16Array {
  return decodeWith(ULAW_DECODE_TABLE, codes, out);
}

/** Encodes linear PCM to A-law, one byte per sample, into `out` when given. */
export function encodeAlaw(pcm: Int16Array, out?: Buffer): Buffer {
  return encodeWith(ALAW_ENCODE_TABLE, pcm, out);
}

/** Decodes A-law bytes to linear PCM, into `out` when given. */
export function decodeAlaw(codes: Uint8Array, out?: Int16Array): Int16Array {
  return decodeWith(ALAW_DECODE_TABLE, codes, out);
}

/** The µ-law code of silence (linear 0). */
export const ULAW_SILENCE = 0xff;
/** The A-law code closest to silence (linear +8). */
export const ALAW_SILENCE = 0xd5;
