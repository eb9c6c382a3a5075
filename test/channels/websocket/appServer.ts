/** A real WebSocket application server on 127.0.0.1 for the WebSocket leg tests. */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

/** One message the application received. */
export type AppMessage =
  { kind: 'text'; text: string; json: Record<string, unknown> } | { kind: 'binary'; data: Buffer };

/** One accepted connection. */
export interface AppConnection {
  /** The server side of the WebSocket. */
  ws: WebSocket;
  /** The raw TCP socket, so a test can stop reading (`pause()`). */
  socket: Socket;
  /** Everything received, in order. */
  messages: AppMessage[];
  /** Close code once closed. */
  closeCode: number | undefined;
}

/** A listening application. */
export interface AppServer {
  /** ws://127.0.0.1:port/path */
  url: string;
  /** Connections accepted so far. */
  connections: AppConnection[];
  /** Stops listening and kills every connection. */
  close(): Promise<void>;
}

/** Converts raw ws data to a Buffer. */
function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) {
    return data;
  }
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Starts an application server on an ephemeral port; `onConnection` may script its behaviour. */
export async function startAppServer(onConnection?: (connection: AppConnection) => void): Promise<AppServer> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  const connections: AppConnection[] = [];
  http.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: AppConnection = { ws, socket: socket as Socket, messages: [], closeCode: undefined };
      connections.push(connection);
      ws.on('message', (data: RawData, isBinary: boolean) => {
        const buffer = toBuffer(data);
        if (isBinary) {
          connection.messages.push({ kind: 'binary', data: buffer });
        } else {
          const text = buffer.toString('utf8');
          connection.messages.push({ kind: 'text', text, json: JSON.parse(text) as Record<string, unknown> });
        }
      });
      ws.on('close', (code) => {
        connection.closeCode = code;
      });
      ws.on('error', () => undefined);
      onConnection?.(connection);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;

  return {
    url: `ws://127.0.0.1:${port}/call`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of connections) {
          connection.ws.terminate();
        }
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** Polls `predicate` until it holds; throws after `timeoutMs` (a deadline for the test, not a speed check). */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((wake) => setTimeout(wake, 2));
  }
}

/** Text messages of a connection, parsed. */
export const texts = (connection: AppConnection): Record<string, unknown>[] =>
  connection.messages.flatMap((m) => (m.kind === 'text' ? [m.json] : []));

/** Binary messages of a connection. */
export const binaries = (connection: AppConnection): Buffer[] =>
  connection.messages.flatMap((m) => (m.kind === 'binary' ? [m.data] : []));

/** Decodes little-endian L16 bytes. */
export function pcmOf(bytes: Buffer): Int16Array {
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) {
    out[i] = bytes.readInt16LE(2 * i);
  }
  return out;
}

/** Encodes samples as little-endian L16 bytes. */
export function bytesOf(pcm: Int16Array): Buffer {
  const out = Buffer.alloc(pcm.length * 2);
  pcm.forEach((v, i) => out.writeInt16LE(v, 2 * i));
  return out;
}
