import { createSocket } from 'node:dgram';
import { Resolver } from 'node:dns/promises';
import type { SipDnsResolver } from '../../src/sip/index.js';

/** The records a {@link DnsServer} answers with, by lower-case name. */
export interface DnsZone {
  readonly srv?: Record<
    string,
    readonly { priority: number; weight: number; port: number; target: string }[]
  >;
  readonly a?: Record<string, readonly string[]>;
}

/** A small authoritative DNS server over UDP on 127.0.0.1, for SRV and A queries. */
export interface DnsServer {
  readonly port: number;
  /** Every question it was asked, as `TYPE name`. */
  readonly asked: string[];
  /** A resolver that asks only this server (SRV, and A for addresses). */
  resolver(): SipDnsResolver;
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_SRV = 33;

/** Encodes a domain name as DNS labels. */
function encodeName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l !== '');
  const parts = labels.map((label) =>
    Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'ascii')]),
  );

  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** Reads the question name starting at offset 12; returns it and the offset after it. */
function readName(packet: Buffer, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let offset = start;
  while (packet[offset] !== 0) {
    const length = packet[offset]!;
    labels.push(packet.toString('ascii', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }

  return { name: labels.join('.').toLowerCase(), end: offset + 1 };
}

function answer(type: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // class IN
  head.writeUInt32BE(60, 6); // TTL
  head.writeUInt16BE(rdata.length, 10);

  return Buffer.concat([head, rdata]);
}

/** Starts a {@link DnsServer} answering from `zone`; unknown names get NXDOMAIN, known names without the type no data. */
export async function startDnsServer(zone: DnsZone): Promise<DnsServer> {
  const socket = createSocket('udp4');
  const asked: string[] = [];
  socket.on('message', (query, from) => {
    const { name, end } = readName(query, 12);
    const type = query.readUInt16BE(end);
    asked.push(`${type === TYPE_SRV ? 'SRV' : type === TYPE_A ? 'A' : String(type)} ${name}`);
    const answers: Buffer[] = [];
    if (type === TYPE_SRV) {
      for (const record of zone.srv?.[name] ?? []) {
        const fixed = Buffer.alloc(6);
        fixed.writeUInt16BE(record.priority, 0);
        fixed.writeUInt16BE(record.weight, 2);
        fixed.writeUInt16BE(record.port, 4);
        answers.push(answer(TYPE_SRV, Buffer.concat([fixed, encodeName(record.target)])));
      }
    } else if (type === TYPE_A) {
      for (const address of zone.a?.[name] ?? []) {
        answers.push(answer(TYPE_A, Buffer.from(address.split('.').map(Number))));
      }
    }
    const known = name in (zone.srv ?? {}) || name in (zone.a ?? {});
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // the id
    header.writeUInt16BE(known ? 0x8580 : 0x8583, 2); // response, authoritative, RD, RA; NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, query.subarray(12, end + 4), ...answers]), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;

  return {
    port,
    asked,
    resolver: () => {
      const resolver = new Resolver({ timeout: 1000, tries: 1 });
      resolver.setServers([`127.0.0.1:${port}`]);

      return {
        resolveSrv: (name) => resolver.resolveSrv(name),
        lookup: async (name) => {
          const [address] = await resolver.resolve4(name);
          if (address === undefined) {
            throw Object.assign(new Error(`no A record for ${name}`), { code: 'ENODATA' });
          }

          return address;
        },
      };
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
