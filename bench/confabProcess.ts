// A real `confab start` process for benchmarks: the compiled dist/ on a scratch configuration with its own
// Redis key prefix, ephemeral-range ports, one number and one trunk admitting loopback without limits.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedis } from '../src/store/index.js';

/** A running confab process and what benchmarks read of it. */
export interface ConfabProcess {
  readonly pid: number;
  readonly httpPort: number;
  readonly sipPort: number;
  /** The number configured for the bench application. */
  readonly number: string;
  /** User + system CPU of the process so far, in microseconds (from /proc). */
  cpuMicros(): number;
  rssMegabytes(): number;
  /** The `confab_sip_active_calls` gauge. */
  activeCalls(): Promise<number>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Starts `node bin/confab.js start` and waits until it is ready. */
export async function startConfabProcess(
  options: {
    redisUrl?: string;
    /** Extra node flags, such as `--cpu-prof --cpu-prof-dir <dir>` for a V8 profile written at exit. */
    nodeArgs?: readonly string[];
    /**
     * Run the event recording worker in a process of its own (`confab start --no-worker` plus
     * `confab worker`), as a two-process deployment does; CPU figures then cover both processes.
     */
    workerProcess?: boolean;
  } = {},
): Promise<ConfabProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'confab-bench-'));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  writeFileSync(join(dir, 'app.pub.pem'), publicKey);
  writeFileSync(join(dir, 'app.key.pem'), privateKey);
  const [httpPort, sipPort] = [await freePort(), await freePort()];
  const number = '14155550199';
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const yaml = [
    'log: { level: warn, pretty: false }',
    `http: { host: 127.0.0.1, port: ${httpPort}, public_url: "http://127.0.0.1:${httpPort}" }`,
    `redis: { url: "${redisUrl}", prefix: "${prefix}" }`,
    `sip: { listen: [ { transport: udp, host: 127.0.0.1, port: ${sipPort} } ] }`,
    'media: { rtp_port_min: 30000, rtp_port_max: 59999 }',
    'applications:',
    '  - name: bench',
    `    id: ${randomUUID()}`,
    `    public_key: ${join(dir, 'app.pub.pem')}`,
    `    private_key: ${join(dir, 'app.key.pem')}`,
    '    signature_secret: bench',
    'numbers:',
    `  - { number: "${number}", application: bench }`,
    'trunks:',
    '  - { name: load, inbound: { allow: [ 127.0.0.1/32 ] }, limits: { max_calls: 100000, cps: 100000 } }',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'confab.yaml'), yaml);
  const bin = new URL('../bin/confab.js', import.meta.url).pathname;
  const config = join(dir, 'confab.yaml');
  const startArgs = options.workerProcess === true ? ['start', '--no-worker'] : ['start'];
  // CONFAB_BENCH_LOG=<file> keeps the confab process's log (its stdout) there, to see why calls ended.
  const logFile = process.env.CONFAB_BENCH_LOG;
  const stdout = logFile === undefined || logFile === '' ? 'ignore' : openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), bin, ...startArgs, '--config', config],
    {
      stdio: ['ignore', stdout, 'inherit'],
    },
  );
  const worker =
    options.workerProcess === true
      ? spawn(process.execPath, [bin, 'worker', '--config', config], {
          stdio: ['ignore', 'ignore', 'inherit'],
        })
      : null;
  const exited = Promise.all(
    [child, worker].map((p) =>
      p === null ? Promise.resolve() : new Promise<void>((resolve) => p.once('exit', () => resolve())),
    ),
  );
  const pids = [child.pid ?? 0, ...(worker === null ? [] : [worker.pid ?? 0])];
  const base = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/ready`)).ok) {
        break;
      }
    } catch {
      // Not up yet.
    }
    if (i > 200) {
      child.kill('SIGKILL');
      worker?.kill('SIGKILL');
      throw new Error('confab did not become ready');
    }
    await new Promise((wake) => setTimeout(wake, 100));
  }
  const ticksPerSecond = 100;

  const pid = pids[0]!;

  return {
    pid,
    httpPort,
    sipPort,
    number,
    cpuMicros: () =>
      pids.reduce((sum, pid) => {
        // Fields 14 and 15 of /proc/<pid>/stat are utime and stime in clock ticks (after the `(comm)` field).
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');

        return sum + ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1e6;
      }, 0),
    rssMegabytes: () => {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);

      return kb / 1024;
    },
    activeCalls: async () => {
      const text = await (await fetch(`${base}/metrics`)).text();

      return Number(/^confab_sip_active_calls (\d+)/m.exec(text)?.[1] ?? 0);
    },
    stop: async () => {
      child.kill('SIGTERM');
      worker?.kill('SIGTERM');
      await exited;
      // A bench leaves nothing behind in the shared Redis: every key of its prefix goes.
      const redis = createRedis({ url: redisUrl, name: 'confab-bench-cleanup' });
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (batch.length > 0) {
          await redis.unlink(...batch);
        }
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}
