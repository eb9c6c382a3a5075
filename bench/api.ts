// Benchmark of the Conversation API over HTTP (`npm run bench:api`), with autocannon.
//
// A confab API process runs as a child (this file with `--role server`): fastify with the Conversation API,
// the realtime ticket route and the App channel, the event producer and the recording worker in-process
// (as `confab start` runs them), over the local Redis under a fresh key prefix. This process drives it:
//   1. setup: users, conversations and JOINED members over the API itself;
//   2. POST /v1/conversations/{id}/events (client tokens, `message` events) at a fixed 2,000 req/s, then
//      as fast as it goes (sustained req/s);
//   3. GET /v1/conversations/{id}/events?page_size=10 at a fixed 2,000 req/s, then as fast as it goes.
// The open-loop phases (judged against the targets) measure each latency from the request's scheduled time;
// the autocannon phases from request sent to response read. Each kind is warmed up for 3 s first.
// Usage: npm run bench:api [-- --redis redis://127.0.0.1:6379] [--seconds 15] [--connections 50] [--cpu-prof DIR]
//        [--worker-process] (run the recording worker in its own process, as `confab worker` would)
//        [--rate 2000] (the fixed rate of the paced phases; the targets are stated for 2,000)
//        [--generator wrk] (the open-loop phases driven by wrk and bench/wrk/openLoop.lua rather than by this
//        process; needs `wrk`, Debian's package of that name) [--wrk-connections 64]
//        [--cpu-requests N] (instead of the latency phases: N POSTs then N GETs, closed loop, `--in-flight`
//        at a time, and the CPU microseconds each costs the API process, the worker and redis-server)
// Every latency phase also reports the CPU per request of the API process and of the load generator.
import { fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { tokenGenerate } from '@vonage/jwt';
import { conversationApi, createHttpServer, realtimeTicketsApi } from '../src/api/index.js';
import { DEFAULT_CLIENT_ACL, RateLimiter, TokenVerifier } from '../src/auth/index.js';
import { createAppChannel } from '../src/channels/index.js';
import type { Application } from '../src/domain/index.js';
import { createEventProducer, createRealtimeFeed, startEventWorker } from '../src/events/index.js';
import { createMetricsRegistry, silentLogger } from '../src/log/index.js';
import { createServices, type Repositories } from '../src/services/index.js';
import { createRepositories, createRedis, KeyScheme, RedisTicketRepository } from '../src/store/index.js';
import {
  countedPhase,
  cpuOf,
  pacedPhase,
  redisCpuMicros,
  redisPid,
  requestFor,
  withCpu,
  wrkPhase,
  type PhaseOptions,
  type PhaseResult,
} from './apiLoad.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);

  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
};
const redisUrl = option('redis', 'redis://127.0.0.1:6379');
const SECONDS = Number(option('seconds', '15'));
const CONNECTIONS = Number(option('connections', '50'));
// autocannon paces a fixed rate per connection with one request in flight each, so a fixed-rate phase
// needs enough connections that each one's share (rate / connections) fits within the latency.
const RATE_CONNECTIONS = Number(option('rate-connections', '200'));
const CONVERSATIONS = 100;
const TARGET_RATE = Number(option('rate', '2000'));

/** What the driving process hands its children (over IPC) so that they share one Redis prefix and app. */
interface ChildConfig {
  prefix: string;
  application: Application;
  /** Run the recording worker inside the API process (as `confab start` does). */
  inProcessWorker: boolean;
}

async function childConfig(): Promise<ChildConfig> {
  const config = await new Promise<ChildConfig>((resolve) =>
    process.once('message', (message) => resolve(message as ChildConfig)),
  );
  // After the config, every message asks for the process's CPU time so far (user + system, in µs).
  process.on('message', () => {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpuMicros: user + system });
  });

  return config;
}

/** Child role: a recording worker alone (as `confab worker` runs it). */
async function runWorker(): Promise<void> {
  const config = await childConfig();
  const keys = new KeyScheme(config.prefix);
  const worker = await startEventWorker({
    redisUrl,
    keys,
    applications: [config.application],
    deliverWebhooks: false,
  });
  process.send?.({ ready: true });
  process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
}

/** Child role: one confab API process. Answers `{url}` over IPC once listening, then serves. */
async function runServer(): Promise<void> {
  const config = await childConfig();
  const { prefix, application } = config;
  const keys = new KeyScheme(prefix);
  const redis = createRedis({ url: redisUrl, name: 'confab-bench-api' });
  await redis.connect();
  const worker = config.inProcessWorker
    ? await startEventWorker({ redisUrl, keys, applications: [application], deliverWebhooks: false })
    : null;
  const producer = await createEventProducer({ redisUrl, keys });
  const repositories: Repositories = createRepositories(redis, keys);
  const services = createServices({ repositories, eventPort: producer });
  const verifier = new TokenVerifier([application]);
  await verifier.ready();
  const tickets = new RedisTicketRepository(redis, keys);
  const feed = createRealtimeFeed({ redisUrl, keys });
  // Rate limits are per token; the bench's few tokens would otherwise be throttled.
  const rateLimit = { perSecond: 1_000_000, burst: 1_000_000 };
  const rateLimiter = new RateLimiter({ ratePerSecond: rateLimit.perSecond, burst: rateLimit.burst });
  const http = {
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'http://127.0.0.1',
    bodyLimitBytes: 1_048_576,
    rateLimit,
  };
  const channel = createAppChannel({ verifier, services, repositories, feed, tickets, rateLimiter });
  const app = await createHttpServer({
    http,
    logger: silentLogger(),
    metrics: createMetricsRegistry(),
    readiness: [],
    plugins: [
      conversationApi({ http, services, verifier, rateLimiter }),
      realtimeTicketsApi({ verifier, tickets, publicUrl: http.publicUrl, rateLimiter }),
      channel.plugin,
    ],
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ url });
  process.once('SIGTERM', () => {
    void (async () => {
      await app.close();
      await feed.close();
      await producer.close();
      await worker?.close();
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (batch.length > 0) {
          await redis.unlink(...batch);
        }
      } while (cursor !== '0');
      redis.disconnect();
      process.exit(0);
    })();
  });
}

interface Ready {
  url: string;
  applicationId: string;
  privateKeyPem: string;
}

/** Forks this file in `role`, hands it the config, and resolves with its first message. */
async function startChild(
  role: string,
  config: ChildConfig,
): Promise<{ child: ChildProcess; message: unknown }> {
  const child = fork(fileURLToPath(import.meta.url), ['--role', role, '--redis', redisUrl], {
    // `--cpu-prof DIR` writes a V8 CPU profile of each child process into DIR on exit.
    execArgv: [
      '--import',
      'tsx',
      ...(option('cpu-prof', '') === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', option('cpu-prof', '')]),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send(config);
  const message = await new Promise<unknown>((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the ${role} exited with ${code}`)));
  });

  return { child, message };
}

async function stopChild(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
}

/** One autocannon phase; `rate` undefined means as fast as the server answers. */
async function phase(name: string, options: PhaseOptions & { rate?: number }): Promise<PhaseResult> {
  let next = 0;
  const result = await autocannon({
    url: options.url,
    connections: options.rate === undefined ? CONNECTIONS : RATE_CONNECTIONS,
    duration: options.seconds ?? SECONDS,
    ...(options.rate === undefined ? {} : { overallRate: options.rate }),
    requests: [
      {
        method: options.method,
        setupRequest: (request) => {
          const i = next++;
          return {
            ...request,
            ...requestFor(options, i),
            ...(options.body === undefined ? {} : { body: options.body }),
          };
        },
      },
    ],
  });

  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

/**
 * `--cpu-requests N`: N POST events then N event-list GETs (closed loop, `--in-flight` at a time, 32 by
 * default), reporting the CPU microseconds per request of the API process, of the recording worker when it
 * runs in its own process, and of redis-server (which other work on the machine may also be using).
 */
async function cpuPhases(
  count: number,
  children: { server: ChildProcess; worker: ChildProcess | null },
  post: PhaseOptions,
  list: PhaseOptions,
): Promise<void> {
  const inFlight = Number(option('in-flight', '32'));
  const pid = redisPid(redisUrl);
  // Warm-up (not recorded): JIT, connection pools, token cache.
  await countedPhase({ ...post, count: Math.min(count, 2000), inFlight });
  await countedPhase({ ...list, count: Math.min(count, 2000), inFlight });
  console.log(
    `\nCPU per request, ${count} requests per phase, ${inFlight} in flight, load average ${loadavg()[0]!.toFixed(2)}\n`,
  );
  console.log(
    '| phase | API process µs/req | worker process µs/req | redis-server µs/req | req/s | non-2xx |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const [name, shape] of [
    ['POST events', post],
    ['GET events list', list],
  ] as const) {
    const before = [
      await cpuOf(children.server),
      children.worker === null ? 0 : await cpuOf(children.worker),
      redisCpuMicros(pid),
    ];
    const result = await countedPhase({ ...shape, count, inFlight });
    const after = [
      await cpuOf(children.server),
      children.worker === null ? 0 : await cpuOf(children.worker),
      redisCpuMicros(pid),
    ];
    const per = (i: number): string => ((after[i]! - before[i]!) / count).toFixed(0);
    console.log(
      `| ${name} | ${per(0)} | ${children.worker === null ? 'in the API process' : per(1)} | ${per(2)} | ${Math.round(count / result.seconds)} | ${result.non2xx + result.errors} |`,
    );
  }
}

async function main(): Promise<void> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const application: Application = {
    id: randomUUID(),
    name: 'bench',
    publicKeyPem: publicKey,
    signatureSecret: 'bench',
    rtcEventUrl: null,
    rtcEventMethod: 'POST',
  };
  const separateWorker = args.includes('--worker-process');
  const config: ChildConfig = {
    prefix: `bench-api-${randomUUID().slice(0, 8)}`,
    application,
    inProcessWorker: !separateWorker,
  };
  const worker = separateWorker ? (await startChild('worker', config)).child : null;
  const { child, message } = await startChild('server', config);
  const ready: Ready = {
    url: (message as { url: string }).url,
    applicationId: application.id,
    privateKeyPem: privateKey,
  };
  try {
    const admin = tokenGenerate(ready.applicationId, ready.privateKeyPem, { ttl: 3600 });
    const call = async (method: string, path: string, body: unknown): Promise<{ id: string }> => {
      const response = await fetch(`${ready.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
      }

      return (await response.json()) as { id: string };
    };
    // One user per conversation, JOINED, with a client token of its own (as many tokens as conversations).
    const paths: string[] = [];
    const tokens: string[] = [];
    for (let i = 0; i < CONVERSATIONS; i++) {
      const user = await call('POST', '/v1/users', { name: `bench-user-${i}` });
      const conversation = await call('POST', '/v1/conversations', { name: `bench-conv-${i}` });
      await call('POST', `/v1/conversations/${conversation.id}/members`, {
        state: 'joined',
        user: { id: user.id },
        channel: { type: 'app' },
      });
      paths.push(`/v1/conversations/${conversation.id}/events`);
      tokens.push(
        tokenGenerate(ready.applicationId, ready.privateKeyPem, {
          subject: `bench-user-${i}`,
          acl: DEFAULT_CLIENT_ACL as never,
          ttl: 3600,
        }),
      );
    }
    const body = JSON.stringify({
      type: 'message',
      body: { message_type: 'text', text: 'hello from autocannon' },
    });
    const listPaths = paths.map((path) => `${path}?page_size=10`);
    const post = { url: ready.url, method: 'POST' as const, paths, tokens, body };
    const list = { url: ready.url, method: 'GET' as const, paths: listPaths, tokens };
    const cpuRequests = Number(option('cpu-requests', '0'));
    if (cpuRequests > 0) {
      await cpuPhases(cpuRequests, { server: child, worker }, post, list);

      return;
    }
    const load = loadavg()[0]!.toFixed(2);
    // Warm-up (not recorded): JIT, connection pools, token key imports.
    await phase('warm-up POST', { url: ready.url, method: 'POST', paths, tokens, body, seconds: 3 });
    await phase('warm-up GET', {
      url: ready.url,
      method: 'GET',
      paths: paths.map((path) => `${path}?page_size=10`),
      tokens,
      seconds: 3,
    });
    // `--generator wrk` drives the open-loop phases with wrk instead of this process.
    const generator = option('generator', 'node');
    const steady = `steady ${TARGET_RATE} req/s (open loop, ${generator})`;
    const bursts = `autocannon ${TARGET_RATE} req/s (bursts each second)`;
    // The two open-loop phases come first: the targets are judged on them.
    const threads = Number(option('wrk-connections', '64'));
    const steadyPhase = (name: string, shape: PhaseOptions): Promise<PhaseResult> => {
      const paced = { ...shape, rate: TARGET_RATE, seconds: SECONDS };

      return generator === 'wrk' ? wrkPhase(name, { ...paced, threads }) : pacedPhase(name, paced);
    };
    const results = [
      await withCpu(child, () => steadyPhase(`POST events, ${steady}`, post)),
      await withCpu(child, () => steadyPhase(`GET events list, ${steady}`, list)),
      await withCpu(child, () => phase(`POST events, ${bursts}`, { ...post, rate: TARGET_RATE })),
      await withCpu(child, () => phase('POST events, unthrottled', post)),
      await withCpu(child, () => phase(`GET events list, ${bursts}`, { ...list, rate: TARGET_RATE })),
      await withCpu(child, () => phase('GET events list, unthrottled', list)),
    ];

    console.log(
      `\nconfab API bench: ${SECONDS} s per phase, ${CONNECTIONS} connections unthrottled, ${RATE_CONNECTIONS} at a fixed rate, ${CONVERSATIONS} conversations, recording worker ${separateWorker ? 'in its own process' : 'in the API process'}, load average ${load} at start\n`,
    );
    console.log(
      '| phase | req/s (mean) | p50 ms | p99 ms | requests | errors | non-2xx | API CPU µs/req | bench CPU µs/req |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of results) {
      console.log(
        `| ${r.name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.total} | ${r.errors} | ${r.non2xx} | ${r.apiCpu ?? ''} | ${r.driverCpu ?? ''} |`,
      );
    }
    const [postAt, listAt] = results;
    console.log(
      `\nTarget POST ${TARGET_RATE}/s with p99 <= 25 ms: ${postAt!.rps >= TARGET_RATE * 0.98 && postAt!.p99 <= 25 && postAt!.non2xx === 0 ? 'met' : 'NOT met'}`,
    );
    console.log(
      `Target GET list p99 <= 10 ms at ${TARGET_RATE}/s: ${listAt!.rps >= TARGET_RATE * 0.98 && listAt!.p99 <= 10 && listAt!.non2xx === 0 ? 'met' : 'NOT met'}`,
    );
    console.log(`load average at end: ${loadavg()[0]!.toFixed(2)}`);
  } finally {
    // The worker first: the server deletes every key of the bench's prefix as it stops.
    if (worker !== null) {
      await stopChild(worker);
    }
    await stopChild(child);
  }
}

const role = option('role', 'main');
if (role === 'server') {
  await runServer();
} else if (role === 'worker') {
  await runWorker();
} else {
  await main();
}
