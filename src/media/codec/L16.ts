/*
 * L16: uncompressed 16-bit signed linear PCM. RTP carries it in network byte order (big-endian, RFC 3551
 * section 4.5.11); the WebSocket audio side of confab carries it little-endian (what browsers and most
 * AI speech services send). Buffers may sit at odd offsets inside Node's pool, so they are never viewed
 * through an Int16Array: on a little-endian host the bytes are copied as they are (one memcpy), elsewhere
 * they are assembled by hand.
 */

/** Whether this host stores an Int16Array as little-endian bytes. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads little-endian L16 bytes into samples, into `out` when given. An odd trailing byte is ignored. */
export function decodeL16LittleEndian(bytes: Uint8Array, out?: Int16Array): Int16Array {
  const count = bytes.length >> 1;
  const target = out ?? new Int16Array(count);
  if (LITTLE_ENDIAN) {
    // A shorter `out` takes what fits, as the loop below would.
    const length = 2 * Math.min(count, target.length);
    new Uint8Array(target.buffer, target.byteOffset, length).set(
      bytes.length === length ? bytes : bytes.subarray(0, length),
    );

    return target.length === count ? target : target.subarray(0, count);
  }
  for (let i = 0; i < count; i++) {
    target[i] = ((bytes[2 * i + 1] ?? 0) << 8) | (bytes[2 * i] ?? 0);
  }

  return target.length === count ? target : target.subarray(0, count);
}

/** Writes samples as little-endian L16 bytes, into `out` when given. */
export function encodeL16LittleEndian(pcm: Int16Array, out?: Buffer): Buffer {
  const target = out ?? Buffer.allocUnsafe(pcm.length * 2);
  if (LITTLE_ENDIAN) {
    // A shorter `out` takes what fits, as the loop below would.
    target.set(new Uint8Array(pcm.buffer, pcm.byteOffset, Math.min(pcm.length * 2, target.length)));

    return target.length === pcm.length * 2 ? target : target.subarray(0, pcm.length * 2);
  }
  for (let i = 0; i < pcm.length; i++) {
    const sample = pcm[i] ?? 0;
    target[2 * i] = sample & 0xff;
    target[2 * i + 1] = (sample >> 8) & 0xff;
  }

  return target.length === pcm.length * 2 ? target : target.subarray(0, pcm.length * 2);
}

/** Reads big-endian (network order) L16 bytes into samples, into `out` when given. */
export function decodeL16BigEndian(bytes: Uint8Array, out?: Int16Array): Int16Array {
  const count = bytes.length >> 1;
  const target = out ?? new Int16Array(count);
  for (let i = 0; i < count; i++) {
    target[i] = ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0);
  }

  return target.length === count ? target : target.subarray(0, count);
}

/** Writes samples as big-endian (network order) L16 bytes, into `out` when given. */
export function encodeL16BigEndian(pcm: Int16Array, out?: Buffer): Buffer {
  const target = out ?? Buffer.allocUnsafe(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) {
    const sample = pcm[i] ?? 0;
    target[2 * i] = (sample >> 8) & 0xff;
    target[2 * i + 1] = sample & 0xff;
  }

  return target.length === pcm.length * 2 ? target : target.subarray(0, pcm.length * 2);
}
