// Benchmark of the event pipeline (`npm run bench:events`).
//
// The recording worker runs in its own process, as `confab worker` would, and the producer (the service
// port) in this one. Phases:
//   1. BullMQ baseline: a no-op job on the same Redis, the same worker concurrency, jobs added in bulk.
//   2. Open loop: events emitted at fixed rates across 200 conversations; achieved rate and emit-to-recorded
//      latency per rate.
//   3. Closed loop: as many events as the pipeline takes, with a bounded number outstanding.
// Usage: npm run bench:events [-- --redis redis://127.0.0.1:6379] [--in-process] [--seconds 10]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { createEventProducer, startEventWorker } from '../src/events/index.js';
import type { Application } from '../src/domain/index.js';
import { createRedis, KeyScheme } from '../src/store/index.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);

  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
};
const redisUrl = option('redis', 'redis://127.0.0.1:6379');
const role = option('role', 'main');
const prefix = option('prefix', `bench-${randomUUID().slice(0, 8)}`);
const keys = new KeyScheme(prefix);
const CONCURRENCY = Number(option('concurrency', '16'));
const SELF = fileURLToPath(import.meta.url);

const app: Application = {
  id: '6a3f1c2e-0000-4000-8000-00000000beef',
  name: 'bench',
  publicKeyPem: '',
  signatureSecret: 'bench',
  rtcEventUrl: null,
  rtcEventMethod: 'POST',
};

/** Child role: a recording worker. */
async function runRecordingWorker(): Promise<void> {
  const worker = await startEventWorker({
    redisUrl,
    keys,
    applications: [app],
    concurrency: CONCURRENCY,
    deliverWebhooks: false,
  });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
}

/** Child role: a BullMQ worker whose jobs do nothing; prints `done` after `--jobs` completions. */
async function runNoopWorker(): Promise<void> {
  const target = Number(option('jobs', '0'));
  const connection = createRedis({ url: redisUrl, role: 'blocking' });
  const latencies: number[] = [];
  const worker = new Worker('noop', () => Promise.resolve(), {
    connection,
    prefix: keys.queuePrefix(),
    concurrency: CONCURRENCY,
  });
  worker.on('completed', (job) => {
    // Enqueue to completion, on this machine's clock (millisecond resolution).
    latencies.push(Date.now() - job.timestamp);
    if (latencies.length === target) {
      latencies.sort((a, b) => a - b);
      process.stdout.write(`done ${percentile(latencies, 50)} ${percentile(latencies, 99)}\n`);
    }
  });
  await worker.waitUntilReady();
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void worker.close().then(() => process.exit(0)));
}

/** Spawns this file in a child role and resolves when it prints `ready`; `onLine` sees its later output. */
async function child(
  childRole: string,
  extra: string[],
  onLine: (line: string) => void = () => undefined,
): Promise<() => Promise<void>> {
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      SELF,
      '--role',
      childRole,
      '--redis',
      redisUrl,
      '--prefix',
      prefix,
      '--concurrency',
      String(CONCURRENCY),
      ...extra,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === 'ready') {
          resolve();
        } else if (line !== '') {
          onLine(line);
        }
      }
    });
    proc.once('exit', (code) => reject(new Error(`${childRole} exited (${String(code)})`)));
  });

  return async () => {
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * BullMQ alone: `jobs` no-op jobs, added in bulk as fast as possible (`rate` undefined) or one by one at
 * `rate` jobs/s. Returns jobs/s from the first add to the last completion, and the worker's
 * enqueue-to-completion p50/p99 in ms.
 */
async function noopBaseline(
  jobs: number,
  rate?: number,
): Promise<{ perSecond: number; p50: number; p99: number }> {
  let done: (line: string) => void = () => undefined;
  const finished = new Promise<string>((resolve) => (done = resolve));
  const stop = await child('noop', ['--jobs', String(jobs)], (line) => line.startsWith('done') && done(line));
  const connection = createRedis({ url: redisUrl, role: 'command' });
  const queue = new Queue('noop', { connection, prefix: keys.queuePrefix() });
  await queue.waitUntilReady();
  const started = performance.now();
  if (rate === undefined) {
    for (let i = 0; i < jobs; i += 100) {
      await queue.addBulk(
        Array.from({ length: Math.min(100, jobs - i) }, (_, k) => ({
          name: 'noop',
          data: { i: i + k },
          opts: { removeOnComplete: true },
        })),
      );
    }
  } else {
    let sent = 0;
    while (sent < jobs) {
      const due = Math.min(jobs, Math.floor(((performance.now() - started) / 1000) * rate));
      while (sent < due) {
        void queue.add('noop', { i: sent }, { removeOnComplete: true });
        sent += 1;
      }
      await new Promise((wake) => setTimeout(wake, 2));
    }
  }
  const [, p50, p99] = (await finished).split(' ').map(Number);
  const perSecond = jobs / ((performance.now() - started) / 1000);
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  connection.disconnect();
  await stop();

  return { perSecond, p50: p50!, p99: p99! };
}

interface PhaseResult {
  target: number;
  achieved: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

async function main(): Promise<void> {
  console.log(
    `confab bench:events  redis=${redisUrl}  worker concurrency=${CONCURRENCY}  node ${process.version}`,
  );
  // The machine is shared: the load average says how much of it the run had.
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const noop = (await noopBaseline(30_000)).perSecond;
  console.log(`BullMQ no-op job throughput: ${noop.toFixed(0)} jobs/s`);
  const noopLatency = await noopBaseline(8000, 2000);
  console.log(
    `BullMQ no-op job at 2000 jobs/s: enqueue→completed p50 ${noopLatency.p50} ms, p99 ${noopLatency.p99} ms`,
  );

  // `--in-process` runs the worker inside this process, as `confab start` does; by default it has its own.
  const inProcess = args.includes('--in-process');
  let stopWorker: () => Promise<void>;
  if (inProcess) {
    const worker = await startEventWorker({
      redisUrl,
      keys,
      applications: [app],
      concurrency: CONCURRENCY,
      deliverWebhooks: false,
    });
    stopWorker = () => worker.close();
  } else {
    stopWorker = await child('record', []);
  }
  console.log(`recording worker: ${inProcess ? 'in the producer process' : 'in its own process'}`);
  const producer = await createEventProducer({ redisUrl, keys });
  const conversations = Array.from({ length: 200 }, (_, i) => `CON-bench-${i}`);
  let next = 0;
  const emit = (latencies: number[]): Promise<void> => {
    const conversationId = conversations[next++ % conversations.length]!;
    const t0 = performance.now();

    return producer
      .emit({
        applicationId: app.id,
        conversationId,
        type: 'message',
        from: 'MEM-bench',
        body: { message_type: 'text', text: 'hello' },
      })
      .then(() => {
        latencies.push(performance.now() - t0);
      });
  };

  // Warm up (JIT, script cache, connections).
  await Promise.all(Array.from({ length: 2000 }, () => emit([])));

  const results: PhaseResult[] = [];
  for (const target of [1000, 2000, 4000, 8000, 12_000, 16_000]) {
    const latencies: number[] = [];
    // Ten seconds per rate, so that one short stall of the shared machine does not decide the p99 alone.
    const seconds = Number(option('seconds', '10'));
    // The producer's own event-loop delay: how much of the latency is this process waiting for a CPU.
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    loopDelay.enable();
    const pending: Promise<void>[] = [];
    const started = performance.now();
    let sent = 0;
    while (performance.now() - started < seconds * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * target);
      while (sent < due) {
        pending.push(emit(latencies));
        sent += 1;
      }
      await new Promise((wake) => setTimeout(wake, 2));
    }
    await Promise.all(pending);
    const elapsed = (performance.now() - started) / 1000;
    loopDelay.disable();
    latencies.sort((a, b) => a - b);
    const result = {
      target,
      achieved: sent / elapsed,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      p999: percentile(latencies, 99.9),
      max: latencies.at(-1) ?? NaN,
    };
    results.push(result);
    console.log(
      `open loop ${String(target).padStart(6)} ev/s: achieved ${result.achieved.toFixed(0).padStart(6)} ev/s, ` +
        `emit→recorded p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ` +
        `p99.9 ${result.p999.toFixed(1)} ms, max ${result.max.toFixed(1)} ms; ` +
        `producer event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`,
    );
  }

  // Closed loop: keep 5,000 emits outstanding for 60,000 events.
  const total = 60_000;
  const window = 5000;
  const latencies: number[] = [];
  let issued = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    let finished = 0;
    const pump = (): void => {
      while (issued < total && issued - finished < window) {
        issued += 1;
        void emit(latencies).then(() => {
          finished += 1;
          if (finished === total) {
            resolve();
          } else {
            pump();
          }
        });
      }
    };
    pump();
  });
  const closedRate = total / ((performance.now() - started) / 1000);
  console.log(
    `closed loop: ${closedRate.toFixed(0)} events/s sustained over ${total} events (${window} outstanding)`,
  );

  await producer.close();
  await stopWorker();
  const cleaner = createRedis({ url: redisUrl, role: 'command' });
  for (const pattern of [`${prefix}:*`, `{${prefix}:*`]) {
    let cursor = '0';
    do {
      const [nextCursor, batch] = await cleaner.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = nextCursor;
      if (batch.length > 0) {
        await cleaner.unlink(...batch);
      }
    } while (cursor !== '0');
  }
  cleaner.disconnect();

  const sustained = Math.max(
    closedRate,
    ...results.filter((r) => r.achieved >= r.target * 0.95 && r.p99 < 1000).map((r) => r.achieved),
  );
  const at2000 = results.find((r) => r.target === 2000)!;
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log('\nsummary');
  console.log(
    `  sustained: ${sustained.toFixed(0)} events/s (target ≥ 8000: ${sustained >= 8000 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `  vs BullMQ no-op ${noop.toFixed(0)} jobs/s: ${((sustained / noop) * 100).toFixed(0)} % (target ≥ 70 %: ${sustained >= 0.7 * noop ? 'met' : 'NOT met'})`,
  );
  console.log(
    `  p99 at 2000 ev/s: ${at2000.p99.toFixed(2)} ms (target ≤ 20 ms: ${at2000.p99 <= 20 ? 'met' : 'NOT met'})`,
  );
}

if (role === 'record') {
  await runRecordingWorker();
} else if (role === 'noop') {
  await runNoopWorker();
} else {
  await main();
  process.exit(0);
}
