import { createSocket, type RemoteInfo, type Socket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { SipTransportError } from '../errors.js';

/**
 * The destination lookup of the SIP socket. dgram resolves the address of every `send`, and `dns.lookup`
 * answers even an IP literal on the next tick; the transport layer only ever sends to IP literals, so they
 * are answered at once (a name would still go through `dns.lookup`).
 */
const literalLookup: NonNullable<SocketOptions['lookup']> = (hostname, options, callback) => {
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);

    return;
  }
  dnsLookup(hostname, options, callback);
};

/** @internal One bound UDP socket; the transport layer owns it. */
export class UdpListener {
  readonly #socket: Socket;
  #port: number | undefined;
  #closed = false;
  /** Receives every datagram. */
  onDatagram: (data: Buffer, remote: RemoteInfo) => void = () => undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (data, remote) => {
      this.onDatagram(data, remote);
    });
    // Errors after binding (ICMP port unreachable on some platforms) do not stop the listener.
    socket.on('error', () => undefined);
  }

  /** Binds `host:port`; rejects with a {@link SipTransportError} naming both on failure. */
  static bind(host: string, port: number): Promise<UdpListener> {
    return new Promise((resolve, reject) => {
      // Large kernel buffers absorb bursts and short event-loop pauses (GC) instead of dropping datagrams,
      // which would cost a 500 ms retransmission each; Linux caps the size at net.core.rmem_max/wmem_max.
      const socket = createSocket({
        type: isIPv6(host) ? 'udp6' : 'udp4',
        recvBufferSize: 4 * 1024 * 1024,
        sendBufferSize: 4 * 1024 * 1024,
        lookup: literalLookup,
      });
      const onError = (err: NodeJS.ErrnoException): void => {
        socket.close();
        reject(
          new SipTransportError(`cannot bind UDP ${host}:${port}: ${err.message}`, {
            transport: 'udp',
            host,
            port,
            code: err.code,
            cause: err,
          }),
        );
      };
      socket.once('error', onError);
      socket.bind(port, host, () => {
        socket.off('error', onError);
        resolve(new UdpListener(socket));
      });
    });
  }

  /** The bound port (read once: `address()` is a system call). */
  get port(): number {
    this.#port ??= this.#socket.address().port;

    return this.#port;
  }

  /** Sends one datagram. */
  send(data: Buffer, address: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new SipTransportError('UDP listener closed', { transport: 'udp', host: address, port }));

        return;
      }
      this.#socket.send(data, port, address, (err) => {
        if (err === null) {
          resolve();
        } else {
          reject(
            new SipTransportError(`UDP send failed: ${err.message}`, {
              transport: 'udp',
              host: address,
              port,
              code: (err as NodeJS.ErrnoException).code,
              cause: err,
            }),
          );
        }
      });
    });
  }

  /** Closes the socket; idempotent. */
  close(): Promise<void> {
    if (this.#closed) {
      return Promise.resolve();
    }
    this.#closed = true;

    return new Promise((resolve) => {
      this.#socket.close(() => {
        resolve();
      });
    });
  }
}
