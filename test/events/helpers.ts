import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { RECORD_QUEUE } from '../../src/events/index.js';
import type { Application, ConversationEvent } from '../../src/domain/index.js';
import type { KeyScheme, RedisClient } from '../../src/store/index.js';

/** An application for tests; its webhook goes to `url` (none when null). */
export function testApplication(url: string | null = null): Application {
  return {
    id: randomUUID(),
    name: `app-${randomUUID().slice(0, 6)}`,
    publicKeyPem: '',
    signatureSecret: `secret-${randomUUID()}`,
    rtcEventUrl: url,
    rtcEventMethod: 'POST',
  };
}

/** Polls `check` every 20 ms until it is true; throws after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((wake) => setTimeout(wake, 20));
  }
}

/** All recorded events of a conversation, by id. */
export async function readConversation(
  redis: RedisClient,
  keys: KeyScheme,
  app: string,
  conversationId: string,
): Promise<ConversationEvent[]> {
  const all = await redis.hgetall(keys.conversationEvents(app, conversationId));

  return Object.values(all)
    .map((json) => JSON.parse(json) as ConversationEvent)
    .sort((a, b) => a.id - b.id);
}

/** Asserts-by-throwing that a conversation holds exactly `n` events with ids 1..n and `body.n` 0..n-1 in order. */
export async function expectExactlyOnceInOrder(
  redis: RedisClient,
  keys: KeyScheme,
  app: string,
  conversationId: string,
  n: number,
): Promise<void> {
  const events = await readConversation(redis, keys, app, conversationId);
  const seq = Number(await redis.get(keys.conversationSeq(app, conversationId)));
  const problems: string[] = [];
  if (events.length !== n || seq !== n) {
    problems.push(`expected ${n} events, found ${events.length} (seq ${seq})`);
  }
  events.forEach((event, index) => {
    if (event.id !== index + 1) {
      problems.push(`position ${index} has id ${event.id}`);
    }
    if (event.body.n !== index) {
      problems.push(`id ${event.id} carries n=${String(event.body.n)}`);
    }
  });
  if (problems.length > 0) {
    throw new Error(`conversation ${conversationId}: ${problems.slice(0, 5).join('; ')}`);
  }
}

/** One request a receiver got. */
export interface Received {
  readonly body: string;
  readonly authorization: string | undefined;
  readonly json: Record<string, unknown>;
}

/** An HTTP receiver on 127.0.0.1; `handle` decides the answer (return a status, or null to never answer). */
export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  close(): Promise<void>;
}

/** Starts a webhook receiver (port 0 = any free port). */
export async function startReceiver(
  handle: (request: Received) => number | null = () => 200,
  port = 0,
): Promise<Receiver> {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry: Received = {
        body,
        authorization: request.headers.authorization,
        json: JSON.parse(body) as Record<string, unknown>,
      };
      const status = handle(entry);
      if (status === null) {
        hanging.push(response);

        return;
      }
      received.push(entry);
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${bound}/events`,
    port: bound,
    received,
    close: async () => {
      hanging.forEach((response) => response.destroy());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port that nothing listens on (at the moment it is returned). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));

  return port;
}

/** Settings a worker fixture process is started with. */
export interface WorkerFixtureConfig {
  redisUrl: string;
  prefix: string;
  applications: Application[];
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  webhooks?: { attempts?: number; backoffMs?: number; timeoutMs?: number; concurrency?: number };
  deliverWebhooks?: boolean;
  /** Fault injection: wait this long between recording a job and completing it. */
  afterRecordDelayMs?: number;
}

/** A worker running in its own process (`node --import tsx fixtures/worker.ts`). */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful close), then wait for the exit. */
  stop(): Promise<void>;
}

const FIXTURE = fileURLToPath(new URL('./fixtures/worker.ts', import.meta.url));

/** Spawns a worker process and waits until it reports ready. */
export async function spawnWorker(config: WorkerFixtureConfig): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${output}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited early (${String(code)}): ${output}`));
    });
  });

  return {
    child,
    exited,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Waits until the recording queue holds no job that could still run (so that late redeliveries are counted). */
export async function waitForDrain(redis: RedisClient, keys: KeyScheme, timeoutMs = 15_000): Promise<void> {
  const queue = new Queue(RECORD_QUEUE, { connection: redis, prefix: keys.queuePrefix() });
  await waitFor(
    async () => {
      const counts = await queue.getJobCounts('active', 'wait', 'delayed');

      return (counts.active ?? 0) + (counts.wait ?? 0) + (counts.delayed ?? 0) === 0;
    },
    timeoutMs,
    'the recording queue to drain',
  );
}
