import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { MediaStateError } from '../errors.js';

/** Options of {@link PortAllocator}. */
export interface PortAllocatorOptions {
  /** Lowest port handed out (rounded up to even). */
  minPort: number;
  /** Highest port handed out (the last pair's RTCP port must not exceed it). */
  maxPort: number;
  /**
   * Local address to bind.
   * @defaultValue '0.0.0.0'
   */
  bindAddress?: string;
  /**
   * Released pairs kept bound for reuse, sparing a call two socket binds and two closes (the phone channel
   * keeps 1024). 0 closes every released pair at once.
   * @defaultValue 0
   */
  maxPooled?: number;
  /**
   * How long a released pair rests before it is handed out again, so that late packets of the old call
   * are read and dropped rather than reaching the new one. A pair resting less is only handed out when
   * the range has nothing else.
   * @defaultValue 2000
   */
  reuseAfterMs?: number;
}

/** A released pair resting in the pool, still bound. */
interface PooledPair {
  readonly rtpPort: number;
  readonly rtp: Socket;
  readonly rtcp: Socket;
  readonly releasedAt: number;
}

/** A bound RTP/RTCP socket pair: RTP on an even port, RTCP on the next (odd) one. */
export interface RtpSocketPair {
  /** Local address the sockets are bound to. */
  readonly address: string;
  /** Even RTP port. */
  readonly rtpPort: number;
  /** Odd RTCP port (rtpPort + 1). */
  readonly rtcpPort: number;
  /** The RTP socket. */
  readonly rtp: Socket;
  /** The RTCP socket. */
  readonly rtcp: Socket;
  /** Closes both sockets and returns the ports to the allocator; idempotent. */
  release(): Promise<void>;
}

/**
 * The address lookup of media sockets. dgram resolves the destination of every `send`, and the default
 * (`dns.lookup`) answers even an IP literal on the next tick: a closure and a deferred send per RTP packet.
 * Media peers are IP literals from SDP or latching, so they are answered at once and the packet leaves
 * inside the clock tick; a host name still goes through `dns.lookup`.
 */
const literalLookup: NonNullable<SocketOptions['lookup']> = (hostname, options, callback) => {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
    return;
  }
  dnsLookup(hostname, options, callback);
};

/** Binds a UDP socket, resolving once bound and rejecting with the bind error (EADDRINUSE...). */
function bindSocket(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({
      type: isIPv6(address) ? 'udp6' : 'udp4',
      reuseAddr: false,
      lookup: literalLookup,
    });
    const onError = (error: Error): void => {
      socket.close();
      reject(error);
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** Closes a socket, resolving when it is closed (or was already). */
function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => {
        resolve();
      });
    } catch {
      resolve();
    }
  });
}

/** Ignores a socket error while its pair rests in the pool (no session is there to log it). */
function ignoreError(): void {
  // Nothing to do: the pair is not in use.
}

/**
 * Hands out RTP/RTCP port pairs from a configured range and binds them. Pairs are tried round-robin
 * from where the last search stopped (so a just-released pair is not reused at once, which would let
 * late packets of the old call reach the new one); a pair whose ports are taken by another process is
 * skipped. Throws {@link MediaStateError} `ERR_MEDIA_PORTS_EXHAUSTED` after a full sweep finds nothing.
 *
 * Released pairs stay bound in a pool (up to `maxPooled`, oldest first) with every listener removed, so
 * what still arrives for the old call is read and dropped; a pair that has rested `reuseAfterMs` is handed
 * out before any new bind. {@link PortAllocator.close} closes the pool.
 */
export class PortAllocator {
  readonly #minPort: number;
  readonly #maxPort: number;
  readonly #address: string;
  readonly #maxPooled: number;
  readonly #reuseAfterMs: number;
  // Ports bound here: handed out or resting in the pool.
  readonly #inUse = new Set<number>();
  readonly #pool: PooledPair[] = [];
  #cursor: number;
  #closed = false;

  /** @param options - the port range and bind address; throws for an empty or invalid range */
  constructor(options: PortAllocatorOptions) {
    this.#minPort = options.minPort + (options.minPort % 2);
    this.#maxPort = options.maxPort;
    this.#address = options.bindAddress ?? '0.0.0.0';
    this.#maxPooled = Math.max(0, options.maxPooled ?? 0);
    this.#reuseAfterMs = Math.max(0, options.reuseAfterMs ?? 2000);
    if (this.#minPort < 1024 || this.#maxPort > 65535 || this.#minPort + 1 > this.#maxPort) {
      throw new MediaStateError(
        'ERR_MEDIA_INVALID_OPTION',
        `RTP port range ${options.minPort}-${options.maxPort} holds no even/odd pair`,
      );
    }
    this.#cursor = this.#minPort;
  }

  /** Number of pairs in the range. */
  get capacity(): number {
    return Math.floor((this.#maxPort - this.#minPort + 1) / 2);
  }

  /** Number of pairs currently handed out. */
  get inUse(): number {
    return this.#inUse.size - this.#pool.length;
  }

  /** Number of released pairs resting bound in the pool. */
  get pooled(): number {
    return this.#pool.length;
  }

  /** A rested pair from the pool, else the next free pair bound, else a pair still resting. */
  async allocate(): Promise<RtpSocketPair> {
    const oldest = this.#pool[0];
    if (oldest !== undefined && Date.now() - oldest.releasedAt >= this.#reuseAfterMs) {
      return this.#unpool();
    }
    for (let attempt = 0; attempt < this.capacity; attempt++) {
      const rtpPort = this.#cursor;
      this.#cursor = rtpPort + 2 + 1 > this.#maxPort ? this.#minPort : rtpPort + 2;
      if (this.#inUse.has(rtpPort)) {
        continue;
      }
      const pair = await this.#tryBind(rtpPort);
      if (pair !== undefined) {
        return pair;
      }
    }
    if (this.#pool.length > 0) {
      return this.#unpool();
    }
    throw new MediaStateError(
      'ERR_MEDIA_PORTS_EXHAUSTED',
      `no free RTP port pair in ${this.#minPort}-${this.#maxPort} (${this.#inUse.size} in use here)`,
    );
  }

  /** Closes the pairs resting in the pool; pairs released afterwards are closed at once. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const resting = this.#pool.splice(0);
    await Promise.all(
      resting.map(async (pooled) => {
        await Promise.all([closeSocket(pooled.rtp), closeSocket(pooled.rtcp)]);
        this.#inUse.delete(pooled.rtpPort);
      }),
    );
  }

  /** Hands out the oldest pair of the pool. */
  #unpool(): RtpSocketPair {
    const pooled = this.#pool.shift()!;
    for (const socket of [pooled.rtp, pooled.rtcp]) {
      socket.off('error', ignoreError);
      socket.ref();
    }

    return this.#pair(pooled.rtpPort, pooled.rtp, pooled.rtcp);
  }

  /** Binds both ports of a pair, or returns undefined if either is taken. */
  async #tryBind(rtpPort: number): Promise<RtpSocketPair | undefined> {
    // Reserve first so a concurrent allocate() does not race for the same pair.
    this.#inUse.add(rtpPort);
    let rtp: Socket | undefined;
    try {
      rtp = await bindSocket(this.#address, rtpPort);
      const rtcp = await bindSocket(this.#address, rtpPort + 1);

      return this.#pair(rtpPort, rtp, rtcp);
    } catch {
      if (rtp !== undefined) {
        await closeSocket(rtp);
      }
      this.#inUse.delete(rtpPort);

      return undefined;
    }
  }

  /** Wraps two bound sockets as a pair whose release frees the port. */
  #pair(rtpPort: number, rtp: Socket, rtcp: Socket): RtpSocketPair {
    let released: Promise<void> | undefined;

    return {
      address: this.#address,
      rtpPort,
      rtcpPort: rtpPort + 1,
      rtp,
      rtcp,
      release: () => {
        released ??= this.#release(rtpPort, rtp, rtcp);

        return released;
      },
    };
  }

  /** Puts a released pair in the pool, or closes it when the pool is full or closed. */
  async #release(rtpPort: number, rtp: Socket, rtcp: Socket): Promise<void> {
    if (!this.#closed && this.#pool.length < this.#maxPooled) {
      for (const socket of [rtp, rtcp]) {
        // The session's listeners go; datagrams still arriving are read and dropped. A resting socket
        // does not keep the process alive.
        socket.removeAllListeners();
        socket.on('error', ignoreError);
        socket.unref();
      }
      this.#pool.push({ rtpPort, rtp, rtcp, releasedAt: Date.now() });

      return;
    }
    await Promise.all([closeSocket(rtp), closeSocket(rtcp)]);
    this.#inUse.delete(rtpPort);
  }
}
