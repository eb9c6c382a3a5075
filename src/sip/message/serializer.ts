import { sameHeaderName } from './headerNames.js';
import { type SipMessage } from './SipMessage.js';
import { serializeUri } from './SipUri.js';

/**
 * Serializes a message in canonical form: `SIP/2.0` in upper case, one `Name: value` line per header in
 * stored order, CRLF line ends, no folding, then the body. Content-Length always matches the body: an
 * existing line gets the right value in place, a missing one is appended after the other headers.
 */
export function serializeMessage(msg: SipMessage): Buffer {
  const startLine =
    msg.kind === 'request'
      ? `${msg.method} ${serializeUri(msg.uri)} SIP/2.0`
      : `SIP/2.0 ${msg.status} ${msg.reason}`;
  let head = `${startLine}\r\n`;
  let sawLength = false;
  for (const h of msg.headers) {
    if (sameHeaderName(h.name, 'Content-Length')) {
      if (sawLength) {
        continue;
      }
      sawLength = true;
      head += `${h.name}: ${msg.body.length}\r\n`;
      continue;
    }
    head += `${h.name}: ${h.value}\r\n`;
  }
  if (!sawLength) {
    head += `Content-Length: ${msg.body.length}\r\n`;
  }
  head += '\r\n';

  return msg.body.length === 0
    ? Buffer.from(head, 'utf8')
    : Buffer.concat([Buffer.from(head, 'utf8'), msg.body]);
}
