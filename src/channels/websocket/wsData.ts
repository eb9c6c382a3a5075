/*
 * What the `ws` library hands to a leg, turned into what the leg needs: message bytes as one Buffer, and
 * the close code that a protocol error made `ws` send.
 */
import { type RawData } from 'ws';

/** Normalises what `ws` hands to a message listener (Buffer, fragments or ArrayBuffer) into one Buffer. */
export function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) {
    return data;
  }
  if (Array.isArray(data)) {
    return Buffer.concat(data);
  }

  return Buffer.from(data);
}

/**
 * The close code `ws` sends when the peer breaks the protocol, from the error code it reports: 1009 for a
 * message over `maxPayload`, 1008 for a message split into too many fragments or chunks, 1007 for invalid
 * UTF-8, 1002 for other framing errors; undefined for errors
 * that are not protocol violations (a refused connection, a reset).
 */
export function protocolCloseCode(code: unknown): number | undefined {
  if (typeof code !== 'string' || !code.startsWith('WS_ERR_')) {
    return undefined;
  }
  switch (code) {
    case 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH':
      return 1009;
    case 'WS_ERR_TOO_MANY_BUFFERED_PARTS':
      return 1008;
    case 'WS_ERR_INVALID_UTF8':
      return 1007;
    default:
      return 1002;
  }
}
