/**
 * A plain SIP-over-UDP caller with its own RTP socket, for checking what confab sends back to a phone
 * (sipp cannot record the RTP it receives). Just enough SIP: INVITE, ACK, BYE, and a 200 to confab's BYE.
 */
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { parseRtp, type RtpPacket } from '../../src/media/index.js';

/** A call placed by {@link udpCall}. */
export interface UdpCall {
  /** confab's RTP port from the SDP answer. */
  readonly remoteRtpPort: number;
  /** The SDP answer (the 200's body). */
  readonly answer: string;
  /** RTP packets received from confab (RTCP left out). */
  readonly received: RtpPacket[];
  /** Whether confab sent a BYE. */
  byeReceived(): boolean;
  /** Sends one RTP packet to confab. */
  sendRtp(packet: Buffer): void;
  /** Sends one DTMF digit in a SIP INFO (application/dtmf-relay); resolves with the answer's status. */
  info(digit: string, durationMs: number): Promise<number>;
  /** Hangs up (BYE) unless confab did, and closes the sockets. */
  hangup(): Promise<void>;
}

const CRLF = '\r\n';

/** Reads one header's value from a SIP message. */
function header(message: string, name: string): string | undefined {
  const line = message.split(CRLF).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));

  return line?.slice(line.indexOf(':') + 1).trim();
}

async function bound(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));

  return socket;
}

/**
 * Calls `number` at confab's SIP `port` offering PCMU and telephone-event (or, with `media`, the formats
 * and `a=` lines given, each of which may use `{port}` for the caller's RTP port); resolves once answered.
 */
export async function udpCall(
  port: number,
  number: string,
  timeoutMs = 10_000,
  options: { media?: readonly string[] } = {},
): Promise<UdpCall> {
  const sip = await bound();
  const rtp = await bound();
  const sipPort = sip.address().port;
  const rtpPort = rtp.address().port;
  const callId = `${randomUUID()}@127.0.0.1`;
  const fromTag = randomUUID().slice(0, 8);
  const uri = `sip:${number}@127.0.0.1:${port}`;
  const received: RtpPacket[] = [];
  let toHeader = `<${uri}>`;
  let bye = false;
  let cseq = 1;
  rtp.on('message', (datagram: Buffer) => {
    const second = datagram[1] ?? 0;
    if (second < 200 || second > 204) {
      received.push(parseRtp(Buffer.from(datagram)));
    }
  });
  const request = (method: string, cseq: number, body = ''): string =>
    [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${sipPort};branch=z9hG4bK-${randomUUID().slice(0, 12)};rport`,
      'Max-Forwards: 70',
      `From: <sip:caller@127.0.0.1:${sipPort}>;tag=${fromTag}`,
      `To: ${toHeader}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:caller@127.0.0.1:${sipPort}>`,
      ...(body === '' ? [] : ['Content-Type: application/sdp']),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join(CRLF);
  const send = (text: string): void => {
    sip.send(text, port, '127.0.0.1');
  };
  const waiters: ((message: string) => boolean)[] = [];
  sip.on('message', (data: Buffer) => {
    const message = data.toString('utf8');
    if (message.startsWith('BYE ')) {
      bye = true;
      const reply = [
        'SIP/2.0 200 OK',
        ...['Via', 'From', 'To', 'Call-ID', 'CSeq'].map((name) => `${name}: ${header(message, name) ?? ''}`),
        'Content-Length: 0',
        '',
        '',
      ].join(CRLF);
      send(reply);
      return;
    }
    const index = waiters.findIndex((w) => w(message));
    if (index >= 0) {
      waiters.splice(index, 1);
    }
  });
  const response = (method: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no final answer to ${method}`)), timeoutMs);
      waiters.push((message) => {
        const status = Number(/^SIP\/2\.0 (\d{3})/.exec(message)?.[1] ?? 0);
        if (status < 200 || !(header(message, 'CSeq') ?? '').endsWith(method)) {
          return false;
        }
        clearTimeout(timer);
        resolve(message);
        return true;
      });
    });
  const sdp = [
    'v=0',
    `o=caller 1 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    ...(options.media?.map((line) => line.replace('{port}', String(rtpPort))) ?? [
      `m=audio ${rtpPort} RTP/AVP 0 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:101 telephone-event/8000',
      'a=fmtp:101 0-16',
      'a=sendrecv',
    ]),
    '',
  ].join(CRLF);
  const answered = response('INVITE');
  send(request('INVITE', 1, sdp));
  const ok = await answered;
  if (!ok.startsWith('SIP/2.0 200')) {
    sip.close();
    rtp.close();
    throw new Error(`call refused: ${ok.split(CRLF)[0]}`);
  }
  toHeader = header(ok, 'To') ?? toHeader;
  send(request('ACK', 1));
  const remoteRtpPort = Number(/m=audio (\d+)/.exec(ok)?.[1] ?? 0);

  return {
    remoteRtpPort,
    answer: ok.slice(ok.indexOf(CRLF + CRLF) + 4),
    received,
    byeReceived: () => bye,
    sendRtp: (packet) => {
      rtp.send(packet, remoteRtpPort, '127.0.0.1');
    },
    info: async (digit, durationMs) => {
      cseq += 1;
      const answer = response('INFO');
      send(
        request('INFO', cseq, `Signal=${digit}\r\nDuration=${durationMs}\r\n`).replace(
          'Content-Type: application/sdp',
          'Content-Type: application/dtmf-relay',
        ),
      );

      return Number(/^SIP\/2\.0 (\d{3})/.exec(await answer)?.[1] ?? 0);
    },
    hangup: async () => {
      if (!bye) {
        cseq += 1;
        const done = response('BYE').catch(() => '');
        send(request('BYE', cseq));
        await done;
      }
      sip.close();
      rtp.close();
    },
  };
}
