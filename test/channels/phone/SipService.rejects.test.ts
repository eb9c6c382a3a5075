import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createResponse,
  DigestServer,
  getHeader,
  parseMessage,
  serializeMessage as serialize,
  type SipRequest,
} from '../../../src/sip/index.js';
import { createMetricsRegistry } from '../../../src/log/index.js';
import { NUMBER, startPhoneRig, trunk, type PhoneRig } from './phoneRig.js';

let rig: PhoneRig | null = null;
const sockets: ReturnType<typeof createSocket>[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) {
    s.close();
  }
  await rig?.close();
  rig = null;
});

async function udp(): Promise<{
  port: number;
  send: (text: string | Buffer, port: number) => void;
  next: (ms?: number) => Promise<Buffer | null>;
}> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const queue: Buffer[] = [];
  socket.on('message', (m) => queue.push(m));

  return {
    port: socket.address().port,
    send: (text, port) => socket.send(Buffer.from(text), port, '127.0.0.1'),
    next: async (ms = 1000) => {
      const end = Date.now() + ms;
      while (queue.length === 0 && Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }

      return queue.shift() ?? null;
    },
  };
}

function invite(user: string, fromPort: number, toPort: number, sdp: string): string {
  const body = Buffer.from(sdp);

  return [
    `INVITE sip:${user}@127.0.0.1:${toPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${fromPort};branch=z9hG4bK${Math.random().toString(36).slice(2)}`,
    'Max-Forwards: 70',
    'From: <sip:+44-20-7946-0000@127.0.0.1>;tag=abc',
    `To: <sip:${user}@127.0.0.1>`,
    `Call-ID: ${Math.random().toString(36).slice(2)}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:caller@127.0.0.1:${fromPort}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${body.length}`,
    '',
    sdp,
  ].join('\r\n');
}

const SDP = (codecs: string): string =>
  [
    'v=0',
    'o=a 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio 7000 RTP/AVP ${codecs}`,
    '',
  ].join('\r\n');

async function finalStatus(
  peer: Awaited<ReturnType<typeof udp>>,
): Promise<{ status: number; warning?: string }> {
  for (;;) {
    const data = await peer.next();
    if (data === null) {
      return { status: 0 };
    }
    const message = parseMessage(data);
    if (message.kind === 'response' && message.status >= 200) {
      return { status: message.status, warning: getHeader(message, 'Warning') };
    }
  }
}

describe('phone channel refusals', () => {
  it('answers 404 for unknown numbers, 488 without a common codec, 400 with a Warning for bad SDP, allocating no port', async () => {
    const metrics = createMetricsRegistry();
    rig = await startPhoneRig([trunk()], { metrics });
    const peer = await udp();
    peer.send(invite('15559999999', peer.port, rig.port, SDP('0')), rig.port);
    expect((await finalStatus(peer)).status).toBe(404);
    peer.send(invite(NUMBER, peer.port, rig.port, SDP('18')), rig.port);
    expect((await finalStatus(peer)).status).toBe(488);
    peer.send(invite(NUMBER, peer.port, rig.port, 'v=0\r\nthis is not sdp\r\n'), rig.port);
    const bad = await finalStatus(peer);
    expect(bad.status).toBe(400);
    expect(bad.warning).toMatch(/^399 confab "sdp syntax/);
    expect(await rig.allLegs()).toHaveLength(0);
    expect(rig.service.calls.size).toBe(0);
    const text = await metrics.metrics();
    expect(text).toContain('confab_sip_responses_total{code="404"} 1');
    expect(text).toContain('confab_sip_responses_total{code="488"} 1');
    expect(text).toContain('confab_sip_active_calls 0');
    expect(text).toMatch(/confab_sip_open_transactions\{kind="server"\} \d/);
  });

  it('answers a SIP URI that is no number as a sip leg when a SIP application is configured', async () => {
    rig = await startPhoneRig([trunk()], { sipApplication: 'app' });
    const peer = await udp();
    peer.send(invite('alice', peer.port, rig.port, SDP('8 0')), rig.port);
    expect((await finalStatus(peer)).status).toBe(200);
    const r = rig;
    await r.until(async () => (await r.allLegs())[0]?.status === 'answered');
    const leg = (await r.allLegs())[0]!;
    expect(leg).toMatchObject({
      type: 'sip',
      to: { type: 'sip' },
      from: { type: 'phone', number: '442079460000' },
    });
    expect(r.service.callOfLeg(leg.id)?.media?.codec.name).toBe('PCMU');
  });

  it('answers an outbound trunk challenge with its credentials and normalises the caller to E.164', async () => {
    const trunkPeer = await udp();
    const auth = { username: 'acct', password: 'pw' };
    rig = await startPhoneRig([
      trunk({ outbound: { uri: `sip:127.0.0.1:${trunkPeer.port}`, transport: 'udp', from: null, auth } }),
    ]);
    const leg = await rig.service.dial({
      applicationId: rig.applicationId,
      to: { type: 'phone', number: '15550002222' },
      from: '+1 555 000 1000',
    });
    expect(leg.from).toEqual({ type: 'phone', number: '15550001000' });
    const digest = new DigestServer();
    const first = parseMessage((await trunkPeer.next())!) as SipRequest;
    expect(first.method).toBe('INVITE');
    const challenge = createResponse(first, 407, {
      toTag: 't1',
      headers: [{ name: 'Proxy-Authenticate', value: digest.challenge('carrier') }],
    });
    trunkPeer.send(serialize(challenge), rig.service.ports.udp!);
    let second: SipRequest | null = null;
    while (second === null) {
      const m = parseMessage((await trunkPeer.next())!);
      if (m.kind === 'request' && m.method === 'INVITE') {
        second = m;
      }
    }
    const proxyAuth = getHeader(second, 'Proxy-Authorization');
    expect(proxyAuth).toContain('username="acct"');
    const verdict = digest.verify(
      { ...second, headers: [...second.headers, { name: 'Authorization', value: proxyAuth! }] },
      { ...auth, realm: 'carrier' },
    );
    expect(verdict.ok).toBe(true);
    trunkPeer.send(serialize(createResponse(second, 486, { toTag: 't2' })), rig.service.ports.udp!);
    const r = rig;
    await r.until(async () => (await r.legs.get(r.applicationId, leg.id))?.status === 'busy');
  });
});
