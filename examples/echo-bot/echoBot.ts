/**
 * A tiny WebSocket application for confab's audio WebSocket: it echoes every audio frame back into the
 * conversation and logs the events confab sends (the connected message and DTMF digits). Pressing `#`
 * on the phone clears whatever echo is still queued, to show barge-in.
 */
import { type AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

/** Options of {@link startEchoBot}. */
export interface EchoBotOptions {
  /** Port to listen on; 0 picks a free one. @defaultValue 8765 */
  port?: number;
  /** Address to listen on. @defaultValue '127.0.0.1' */
  host?: string;
  /** Where log lines go. @defaultValue console.log */
  log?: (line: string) => void;
}

/** A running echo bot. */
export interface EchoBot {
  /** The port it listens on. */
  port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Turns a ws message into one Buffer. */
function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) {
    return data;
  }
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** Handles one call's socket. */
function serve(socket: WebSocket, log: (line: string) => void): void {
  let frames = 0;
  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      // Echo the caller's audio straight back; confab re-frames and plays it into the conversation.
      socket.send(toBuffer(data));
      frames += 1;
      return;
    }
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(toBuffer(data).toString('utf8')) as Record<string, unknown>;
    } catch {
      log('ignored a text message that is not JSON');
      return;
    }
    if (event.event === 'websocket:connected') {
      log(`connected: ${JSON.stringify(event)}`);
    } else if (event.event === 'websocket:dtmf') {
      log(`dtmf: digit ${String(event.digit)} for ${String(event.duration)} ms`);
      if (event.digit === '#') {
        socket.send(JSON.stringify({ action: 'clear' }));
      }
    } else {
      log(`event: ${JSON.stringify(event)}`);
    }
  });
  socket.on('close', (code: number) => {
    log(`closed (${code}) after echoing ${frames} frames`);
  });
  socket.on('error', (error: Error) => {
    log(`socket error: ${error.message}`);
  });
}

/** Starts the echo bot; resolves once it listens. */
export async function startEchoBot(options: EchoBotOptions = {}): Promise<EchoBot> {
  const log = options.log ?? ((line: string) => console.log(line));
  const server = new WebSocketServer({
    port: options.port ?? 8765,
    host: options.host ?? '127.0.0.1',
    maxPayload: 64 * 1024,
  });
  server.on('connection', (socket) => {
    serve(socket, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) {
          client.terminate();
        }
        server.close(() => {
          resolve();
        });
      }),
  };
}
