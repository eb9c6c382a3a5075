import { BlockList, isIP } from 'node:net';
import { type TrunkConfig } from '../../config/index.js';
import { type SipRequest } from '../message/SipMessage.js';
import { bareHost, parseUri } from '../message/SipUri.js';
import { type Source } from '../transport/TransportTypes.js';
import { CallLimiter } from './CallLimiter.js';
import { isScanner } from './scanners.js';

/** Why inbound traffic was dropped without a reply. */
export type SilentDropReason = 'unknown-source' | 'scanner';

/** One trunk as the stack uses it: its configuration, source list and call limiter. */
export interface Trunk {
  /** The trunk's configuration. */
  readonly config: TrunkConfig;
  /** Codec names in preference order for calls on this trunk. */
  readonly codecs: readonly string[];
  /** Concurrent-call and rate limits. */
  readonly limiter: CallLimiter;
  /** True when `address` is inside the trunk's `inbound.allow` list. */
  allows(address: string): boolean;
}

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', bits] = cidr.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const prefix = bits === undefined ? (family === 'ipv6' ? 128 : 32) : Number(bits);
    list.addSubnet(address, prefix, family);
  }

  return list;
}

/**
 * Inbound admission in front of the transaction layer (security reference §3): traffic from a source no
 * trunk admits, and requests from known scanners, are dropped silently and counted, before any
 * transaction, dialog or RTP port exists. A trunk admits by source CIDR, by digest (a trunk with digest
 * and no `allow` list admits every source to be challenged), or both (the source must match, then the
 * digest is asked for). Outbound trunk hosts and peers of live outbound calls are admitted so that their
 * responses and in-dialog requests get through.
 */
export class TrunkGuard {
  readonly #trunks: Trunk[];
  readonly #peers = new Map<string, number>();
  readonly #openToAll: boolean;
  readonly #dropped: Record<SilentDropReason, number> = { 'unknown-source': 0, scanner: 0 };

  /**
   * @param trunks - the configured trunks
   * @param codecs - codec preference per trunk name, over each trunk's own `codecs`
   */
  constructor(trunks: readonly TrunkConfig[], codecs: Readonly<Record<string, readonly string[]>> = {}) {
    this.#trunks = trunks.map((config) => {
      const list = blockListOf(config.inbound.allow);

      return {
        config,
        codecs: codecs[config.name] ?? config.codecs ?? ['PCMU', 'PCMA'],
        limiter: new CallLimiter(config.limits),
        allows: (address: string) => list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4'),
      };
    });
    this.#openToAll = this.#trunks.some(
      (t) => t.config.inbound.allow.length === 0 && t.config.inbound.digest !== null,
    );
    for (const t of this.#trunks) {
      const host = outboundHost(t.config);
      if (host !== null) {
        this.#peers.set(host, 1);
      }
    }
  }

  /** Messages dropped silently, by reason. */
  get dropped(): Readonly<Record<SilentDropReason, number>> {
    return this.#dropped;
  }

  /** The configured trunks. */
  get trunks(): readonly Trunk[] {
    return this.#trunks;
  }

  /** The trunk named `name`. */
  byName(name: string): Trunk | undefined {
    return this.#trunks.find((t) => t.config.name === name);
  }

  /** Transport-level check (before parsing): may `source` be listened to at all? */
  readonly admitSource = (source: Source): boolean => {
    if (
      this.#openToAll ||
      this.#peers.has(source.address) ||
      this.#trunks.some((t) => t.allows(source.address))
    ) {
      return true;
    }
    this.#dropped['unknown-source']++;

    return false;
  };

  /** Transaction-level check (parsed, before matching): drops scanner traffic. */
  readonly filterRequest = (request: SipRequest): boolean => {
    if (isScanner(request)) {
      this.#dropped.scanner++;

      return false;
    }

    return true;
  };

  /** The trunk an inbound dialog-creating request from `source` belongs to, or undefined. */
  trunkFor(source: Source): Trunk | undefined {
    return (
      this.#trunks.find((t) => t.config.inbound.allow.length > 0 && t.allows(source.address)) ??
      this.#trunks.find((t) => t.config.inbound.allow.length === 0 && t.config.inbound.digest !== null)
    );
  }

  /** Admits `address` while an outbound call to it is up; call the returned function when it ends. */
  addPeer(address: string): () => void {
    this.#peers.set(address, (this.#peers.get(address) ?? 0) + 1);
    let done = false;

    return () => {
      if (done) {
        return;
      }
      done = true;
      const n = (this.#peers.get(address) ?? 1) - 1;
      if (n <= 0) {
        this.#peers.delete(address);
      } else {
        this.#peers.set(address, n);
      }
    };
  }
}

function outboundHost(config: TrunkConfig): string | null {
  if (config.outbound === null) {
    return null;
  }
  try {
    const uri = parseUri(config.outbound.uri);

    return uri.kind === 'sip' ? bareHost(uri.host) : null;
  } catch {
    return null;
  }
}
