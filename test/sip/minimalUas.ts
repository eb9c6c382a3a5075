import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import { createResponse, validateRequest, type TransportLayer } from '../../src/sip/index.js';
import { POLICY } from './rfc4475Expectations.js';

/**
 * The smallest UAS core that exercises a transport: every request but ACK is checked with
 * validateRequest() and answered with the rejection it gives, or 200.
 */
export function attachMinimalUas(layer: TransportLayer): void {
  layer.on('request', (request, source) => {
    if (request.method === 'ACK') {
      return;
    }
    const rejection = validateRequest(request, POLICY);
    const response = createResponse(request, rejection?.status ?? 200, {
      toTag: 'uas1',
      headers: rejection?.headers ?? [],
    });
    layer.sendResponse(response, source).catch(() => undefined);
  });
}

/** A UDP peer on 127.0.0.1 that sends datagrams and waits for answers. */
export class UdpPeer {
  readonly socket: Socket;
  readonly #queue: Buffer[] = [];
  #wake: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (data) => {
      this.#queue.push(data);
      this.#wake?.();
    });
  }

  /** Binds an ephemeral port. */
  static async open(): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));

    return new UdpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: Buffer | string, port: number): void {
    this.socket.send(typeof data === 'string' ? Buffer.from(data) : data, port, '127.0.0.1');
  }

  /** The next datagram, or null after `ms`. */
  async next(ms: number): Promise<Buffer | null> {
    const deadline = Date.now() + ms;
    while (this.#queue.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        return null;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
    }

    return this.#queue.shift() ?? null;
  }

  close(): void {
    this.socket.close();
  }
}

/** Opens a TCP connection to 127.0.0.1:port and collects what arrives. */
export async function tcpPeer(port: number): Promise<{
  socket: TcpSocket;
  received: () => Buffer;
  closed: () => boolean;
  waitFor: (test: (b: Buffer) => boolean, ms: number) => Promise<boolean>;
}> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let data = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (chunk: Buffer) => {
    data = Buffer.concat([data, chunk]);
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
  });
  const waitFor = async (test: (b: Buffer) => boolean, ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (test(data)) {
        return true;
      }
      await new Promise((r) => setTimeout(r, 5));
    }

    return test(data);
  };

  return { socket, received: () => data, closed: () => closed, waitFor };
}
