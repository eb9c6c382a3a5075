import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the caller does in a generated sipp UAC scenario. */
export interface UacScenario {
  /** Extra INVITE header lines (`X-Customer: gold`). */
  readonly headers?: readonly string[];
  /** The port written in the SDP (default: sipp's own media port). */
  readonly mediaPort?: number;
  /** Steps once the call is up: pauses (ms) and pcap files sipp plays as RTP. */
  readonly steps?: readonly ({ readonly pauseMs: number } | { readonly pcap: string })[];
  /** How the call ends: confab hangs up (BYE), or confab refuses the INVITE with this status. */
  readonly end: 'bye' | { readonly refused: number };
  /** Codecs offered. @defaultValue PCMU and telephone-event */
  readonly codecs?: 'pcmu' | 'pcma';
}

const HEAD = (headers: readonly string[], sdp: string): string => `
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:15551234567@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
${headers.map((h) => `${h}\n`).join('')}Content-Type: application/sdp
Content-Length: [len]

${sdp}`;

const ACK = `
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:15551234567@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:sipp@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Length: 0

`;

const OK_BYE = `
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

`;

/** Writes a sipp UAC scenario file and returns its path. */
export function uacScenario(scenario: UacScenario): string {
  const port = scenario.mediaPort === undefined ? '[media_port]' : String(scenario.mediaPort);
  const codecs =
    scenario.codecs === 'pcma'
      ? `m=audio ${port} RTP/AVP 8 101\na=rtpmap:8 PCMA/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-16`
      : `m=audio ${port} RTP/AVP 0 101\na=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-16`;
  const sdp = `v=0
o=sipp 53655765 2353687637 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
${codecs}
a=sendrecv
`;
  const parts: string[] = [
    `<send retrans="500"><![CDATA[${HEAD(scenario.headers ?? [], sdp)}]]></send>`,
    '<recv response="100" optional="true"/>',
    '<recv response="180" optional="true"/>',
  ];
  if (scenario.end === 'bye') {
    parts.push('<recv response="200" rrs="true"/>', `<send><![CDATA[${ACK}]]></send>`);
    for (const step of scenario.steps ?? []) {
      parts.push(
        'pauseMs' in step
          ? `<pause milliseconds="${step.pauseMs}"/>`
          : `<nop><action><exec play_pcap_audio="${step.pcap}"/></action></nop>`,
      );
    }
    parts.push('<recv request="BYE"/>', `<send><![CDATA[${OK_BYE}]]></send>`);
  } else {
    // The ACK of a failure answer belongs to the INVITE transaction: its branch is the INVITE's (4 messages back).
    parts.push(
      `<recv response="${scenario.end.refused}"/>`,
      `<send><![CDATA[${ACK.replace('branch=[branch]', 'branch=[branch-4]')}]]></send>`,
    );
  }
  const xml = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="confab voice test">
${parts.join('\n')}
</scenario>
`;
  const dir = mkdtempSync(join(tmpdir(), 'confab-voice-sc-'));
  const path = join(dir, 'uac.xml');
  writeFileSync(path, xml);

  return path;
}

/** The sipp pcap of one RFC 4733 digit. */
export function dtmfPcap(digit: string): string {
  const name = digit === '#' ? 'pound' : digit === '*' ? 'star' : digit;

  return `/usr/share/sip-tester/dtmf_2833_${name}.pcap`;
}
