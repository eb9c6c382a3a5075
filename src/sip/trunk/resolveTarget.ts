import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { bareHost } from '../message/SipUri.js';

/** Where the requests of an outbound call go. */
export interface ResolvedTarget {
  readonly transport: 'udp' | 'tcp';
  /** An IP address. */
  readonly address: string;
  readonly port: number;
}

/** The DNS queries {@link resolveTarget} makes. */
export interface SipDnsResolver {
  /** The SRV records of `name` (rejects with code ENODATA or ENOTFOUND when there are none). */
  resolveSrv(name: string): Promise<{ name: string; port: number; priority: number; weight: number }[]>;
  /** One address of a host name. */
  lookup(name: string): Promise<string>;
}

/** The system's DNS: SRV from the configured name servers, addresses as the system resolves them (hosts file too). */
export function systemDnsResolver(): SipDnsResolver {
  // Bounded, so that a dead name server fails a dial in seconds rather than tens of them.
  const resolver = new Resolver({ timeout: 1500, tries: 2 });

  return {
    resolveSrv: (name) => resolver.resolveSrv(name),
    lookup: async (name) => (await lookup(name)).address,
  };
}

/** An outbound target whose host has no usable address. */
export class TargetResolutionError extends Error {
  /** @param host - the name that did not resolve; @param detail - what the lookups said */
  constructor(
    readonly host: string,
    detail: string,
  ) {
    super(`cannot resolve ${host}: ${detail}`);
    this.name = 'TargetResolutionError';
  }
}

/** The default SIP port (RFC 3261 §19.1.2; no TLS here). */
const SIP_PORT = 5060;

/**
 * Finds where requests for `host` go, per RFC 3263 §4.2 with the transport already chosen by the trunk
 * (no NAPTR step):
 * - an IP literal is used as it is, on `port` or 5060;
 * - a name with an explicit port is looked up as an address;
 * - a name without a port is looked up as SRV records `_sip._udp.<name>` or `_sip._tcp.<name>`: the lowest
 *   priority wins, and within it a target is drawn by weight (RFC 2782), then looked up as an address.
 *   Without SRV records the name itself is looked up, on 5060.
 *
 * Throws {@link TargetResolutionError} when nothing resolves. `random` draws among weights (tests fix it).
 */
export async function resolveTarget(
  host: string,
  port: number | null,
  transport: 'udp' | 'tcp',
  resolver: SipDnsResolver = systemDnsResolver(),
  random: () => number = Math.random,
): Promise<ResolvedTarget> {
  const bare = bareHost(host);
  if (isIP(bare) !== 0) {
    return { transport, address: bare, port: port ?? SIP_PORT };
  }
  if (port !== null) {
    return { transport, address: await addressOf(bare, resolver), port };
  }
  let records: Awaited<ReturnType<SipDnsResolver['resolveSrv']>> = [];
  let srvFailure = '';
  try {
    records = await resolver.resolveSrv(`_sip._${transport}.${bare}`);
  } catch (error) {
    // No records means "use the name itself"; a failed query (no name server answering) falls back the
    // same way, as the host may still be known to the system (a hosts file entry).
    srvFailure = isNoData(error) ? '' : `; the SRV query failed (${codeOf(error)})`;
  }
  // A single record with target "." says the service is not offered at this domain (RFC 2782).
  if (records.length === 1 && (records[0]!.name === '' || records[0]!.name === '.')) {
    throw new TargetResolutionError(bare, `no SIP over ${transport} at this domain (SRV target ".")`);
  }
  if (records.length === 0) {
    return { transport, address: await addressOf(bare, resolver, srvFailure), port: SIP_PORT };
  }
  const chosen = pickSrv(records, random);

  return { transport, address: await addressOf(chosen.name, resolver), port: chosen.port };
}

/** The lowest-priority SRV records, one drawn with probability proportional to its weight (RFC 2782). */
function pickSrv<T extends { priority: number; weight: number }>(
  records: readonly T[],
  random: () => number,
): T {
  const lowest = Math.min(...records.map((r) => r.priority));
  const candidates = records.filter((r) => r.priority === lowest);
  const total = candidates.reduce((sum, r) => sum + r.weight, 0);
  if (total === 0) {
    return candidates[Math.floor(random() * candidates.length)] ?? candidates[0]!;
  }
  let draw = random() * total;
  for (const record of candidates) {
    draw -= record.weight;
    if (draw < 0) {
      return record;
    }
  }

  return candidates[candidates.length - 1]!;
}

/** An address of `name`. */
async function addressOf(name: string, resolver: SipDnsResolver, context = ''): Promise<string> {
  try {
    return await resolver.lookup(name);
  } catch (error) {
    throw new TargetResolutionError(name, `no address (${codeOf(error)})${context}`);
  }
}

/** True for the answers that mean "no such records" rather than a failed lookup. */
function isNoData(error: unknown): boolean {
  const code = codeOf(error);

  return code === 'ENODATA' || code === 'ENOTFOUND' || code === 'NXDOMAIN';
}

function codeOf(error: unknown): string {
  return (error as { code?: string }).code ?? (error as Error).message;
}
