import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
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

/** Binds a UDP socket, resolving once bound and rejecting with the bind error (EADDRINUSE...). */
function bindSocket(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false });
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

/**
 * Hands out RTP/RTCP port pairs from a configured range and binds them. Pairs are tried round-robin
 * from where the last search stopped (so a just-released pair is not reused at once, which would let
 * late packets of the old call reach the new one); a pair whose ports are taken by another process is
 * skipped. Throws {@link MediaStateError} `ERR_MEDIA_PORTS_EXHAUSTED` after a full sweep finds nothing.
 */
export class PortAllocator {
  readonly #minPort: number;
  readonly #maxPort: number;
  readonly #address: string;
  readonly #inUse = new Set<number>();
  #cursor: number;

  /** @param options - the port range and bind address; throws for an empty or invalid range */
  constructor(options: PortAllocatorOptions) {
    this.#minPort = options.minPort + (options.minPort % 2);
    this.#maxPort = options.maxPort;
    this.#address = options.bindAddress ?? '0.0.0.0';
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
    return this.#inUse.size;
  }

  /** Binds the next free pair. */
  async allocate(): Promise<RtpSocketPair> {
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
    throw new MediaStateError(
      'ERR_MEDIA_PORTS_EXHAUSTED',
      `no free RTP port pair in ${this.#minPort}-${this.#maxPort} (${this.#inUse.size} in use here)`,
    );
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
        released ??= Promise.all([closeSocket(rtp), closeSocket(rtcp)]).then(() => {
          this.#inUse.delete(rtpPort);
        });

        return released;
      },
    };
  }
}
