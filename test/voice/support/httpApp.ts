import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket as NetSocket } from 'node:net';

/** One request the app received. */
export interface Received {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: IncomingMessage['headers'];
  readonly raw: string;
  readonly body: Record<string, unknown> | null;
  readonly at: number;
}

/** A route's answer: a JSON value, or a function that takes over the response. */
export type Route = unknown;

/** A local application on loopback that serves NCCOs and records every webhook. */
export interface TestApp {
  readonly url: string;
  readonly received: Received[];
  /** Sets what a path answers (JSON, or a handler). Unknown paths answer 204. */
  route(path: string, answer: Route): void;
  /** Requests to one path. */
  at(path: string): Received[];
  /** Waits until `predicate` holds over the received requests (bounded). */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a {@link TestApp} on 127.0.0.1. */
export async function startTestApp(): Promise<TestApp> {
  const routes = new Map<string, Route>();
  const received: Received[] = [];
  const sockets = new Set<NetSocket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown> | null = null;
      try {
        body = raw === '' ? null : (JSON.parse(raw) as Record<string, unknown>);
      } catch {
        body = null;
      }
      const entry: Received = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        raw,
        body,
        at: Date.now(),
      };
      received.push(entry);
      const route = routes.get(url.pathname);
      if (typeof route === 'function') {
        (route as (r: Received, s: ServerResponse) => void)(entry, res);
      } else if (route === undefined) {
        res.writeHead(204).end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(route));
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    received,
    route: (path, answer) => routes.set(path, answer),
    at: (path) => received.filter((r) => r.path === path),
    waitFor: async (predicate, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) {
          throw new Error(
            `timed out; received: ${JSON.stringify(received.map((r) => [r.path, r.body ?? r.query]))}`,
          );
        }
        await new Promise((wake) => setTimeout(wake, 25));
      }
    },
    close: async () => {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
