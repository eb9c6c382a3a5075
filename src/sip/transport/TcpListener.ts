import { connect, createServer, type Server, type Socket } from 'node:net';
import { SipTransportError, type SipParseError } from '../errors.js';
import { StreamFramer } from '../message/StreamFramer.js';

/** @internal One TCP connection with its framer. */
export interface TcpConnection {
  /** Identifier, `tcp:<remote address>:<remote port>`. */
  readonly id: string;
  /** Remote address (IPv4-mapped IPv6 addresses shown as IPv4). */
  readonly address: string;
  /** Remote port. */
  readonly port: number;
  /** The socket. */
  readonly socket: Socket;
}

/** @internal Callbacks the transport layer installs. */
export interface TcpHandlers {
  message: (data: Buffer, connection: TcpConnection) => void;
  framingError: (error: SipParseError, connection: TcpConnection) => void;
  keepalive: (connection: TcpConnection) => void;
}

/** Removes the IPv4-mapped prefix so that the same peer always has the same key. */
export function plainAddress(address: string | undefined): string {
  const a = address ?? '';

  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/**
 * @internal A TCP server plus the connections it accepted or opened. Connections are reused by remote
 * address (RFC 3261 §18: a response goes back on the connection its request came on, and a request to a
 * peer goes over an open connection to it); idle ones are closed.
 */
export class TcpListener {
  readonly #server: Server;
  readonly #host: string;
  readonly #maxSize: number;
  readonly #idleMs: number;
  readonly #connections = new Map<string, TcpConnection>();
  readonly #connecting = new Map<string, Promise<TcpConnection>>();
  #closed = false;
  /** Handlers for traffic; replaced by the transport layer. */
  handlers: TcpHandlers = {
    message: () => undefined,
    framingError: () => undefined,
    keepalive: () => undefined,
  };

  private constructor(server: Server, host: string, maxSize: number, idleMs: number) {
    this.#server = server;
    this.#host = host;
    this.#maxSize = maxSize;
    this.#idleMs = idleMs;
    server.on('connection', (socket) => {
      this.#adopt(socket);
    });
  }

  /** Listens on `host:port`; rejects with a {@link SipTransportError} naming both on failure. */
  static listen(host: string, port: number, maxSize: number, idleMs: number): Promise<TcpListener> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      const onError = (err: NodeJS.ErrnoException): void => {
        server.close();
        reject(
          new SipTransportError(`cannot listen on TCP ${host}:${port}: ${err.message}`, {
            transport: 'tcp',
            host,
            port,
            code: err.code,
            cause: err,
          }),
        );
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve(new TcpListener(server, host, maxSize, idleMs));
      });
    });
  }

  /** The listening port. */
  get port(): number {
    const a = this.#server.address();

    return typeof a === 'object' && a !== null ? a.port : 0;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Writes on the connection `id` when it is still open; reports whether it was. */
  sendOn(id: string, data: Buffer): boolean {
    const c = this.#connections.get(id);
    if (c === undefined || c.socket.destroyed || !c.socket.writable) {
      return false;
    }
    c.socket.write(data);

    return true;
  }

  /** Writes to `address:port`, over an open connection to it when there is one, else over a new one. */
  async send(data: Buffer, address: string, port: number): Promise<void> {
    const connection = await this.#connectionTo(address, port);
    if (!this.sendOn(connection.id, data)) {
      throw new SipTransportError('TCP connection closed before sending', {
        transport: 'tcp',
        host: address,
        port,
      });
    }
  }

  /** Closes the server and every connection; idempotent. */
  close(): Promise<void> {
    if (this.#closed) {
      return Promise.resolve();
    }
    this.#closed = true;
    for (const c of this.#connections.values()) {
      c.socket.destroy();
    }
    this.#connections.clear();

    return new Promise((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
  }

  #connectionTo(address: string, port: number): Promise<TcpConnection> {
    const id = `tcp:${address}:${port}`;
    const open = this.#connections.get(id);
    if (open !== undefined && !open.socket.destroyed) {
      return Promise.resolve(open);
    }
    const pending = this.#connecting.get(id);
    if (pending !== undefined) {
      return pending;
    }
    const attempt = new Promise<TcpConnection>((resolve, reject) => {
      if (this.#closed) {
        reject(new SipTransportError('TCP listener closed', { transport: 'tcp', host: address, port }));

        return;
      }
      const socket = connect({
        host: address,
        port,
        localAddress: this.#host === '0.0.0.0' || this.#host === '::' ? undefined : this.#host,
      });
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(this.#adopt(socket));
      });
      const onError = (err: NodeJS.ErrnoException): void => {
        socket.destroy();
        reject(
          new SipTransportError(`cannot connect: ${err.message}`, {
            transport: 'tcp',
            host: address,
            port,
            code: err.code,
            cause: err,
          }),
        );
      };
      socket.once('error', onError);
    }).finally(() => {
      this.#connecting.delete(id);
    });
    this.#connecting.set(id, attempt);

    return attempt;
  }

  #adopt(socket: Socket): TcpConnection {
    const address = plainAddress(socket.remoteAddress);
    const port = socket.remotePort ?? 0;
    const connection: TcpConnection = { id: `tcp:${address}:${port}`, address, port, socket };
    if (this.#closed) {
      socket.destroy();

      return connection;
    }
    this.#connections.get(connection.id)?.socket.destroy();
    this.#connections.set(connection.id, connection);
    const framer = new StreamFramer(this.#maxSize);
    socket.setNoDelay(true);
    socket.setTimeout(this.#idleMs, () => {
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      for (const out of framer.push(chunk)) {
        if (out.type === 'message') {
          this.handlers.message(out.data, connection);
        } else if (out.type === 'keepalive') {
          this.handlers.keepalive(connection);
        } else {
          this.handlers.framingError(out.error, connection);
          // The stream cannot be resynchronised after a framing error (RFC 4475 §3.1.2.3): close it.
          socket.destroy();

          return;
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.#connections.get(connection.id) === connection) {
        this.#connections.delete(connection.id);
      }
    });

    return connection;
  }
}
