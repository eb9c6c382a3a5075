// The load generators and CPU sampling of `npm run bench:api` (bench/api.ts): an open-loop phase from this
// process, the same driven by wrk, a closed-loop phase of a fixed request count, and the CPU time of the
// processes under test.
import { execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CPU time (user + system, µs) a child process has used so far, asked over IPC. */
export async function cpuOf(child: ChildProcess): Promise<number> {
  const answer = new Promise<number>((resolve) => {
    const listen = (message: unknown): void => {
      const cpu = (message as { cpuMicros?: unknown }).cpuMicros;
      if (typeof cpu === 'number') {
        child.off('message', listen);
        resolve(cpu);
      }
    };
    child.on('message', listen);
  });
  child.send('cpu');

  return answer;
}

/** The CPU time (user + system, µs) of the local redis-server so far, from /proc (Linux only). */
export function redisCpuMicros(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');

    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6;
  } catch {
    return NaN;
  }
}

/** What a phase sends: requests rotate over the conversations' paths, each with its user's token. */
export interface PhaseOptions {
  url: string;
  method: 'GET' | 'POST';
  paths: string[];
  tokens: string[];
  body?: string;
  seconds?: number;
}

/** What a phase measured. */
export interface PhaseResult {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
  /** CPU µs per request of the API process and of this (load-generating) process, when measured. */
  apiCpu?: number;
  driverCpu?: number;
}

/**
 * CPU time (µs) of this process plus its finished children (wrk), from /proc/self/stat: utime, stime,
 * cutime and cstime. The forked confab children are still running, so they are not included.
 */
export function driverCpuMicros(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');

  return ((Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100) * 1e6;
}

/** Runs a phase and adds the CPU per request it cost the API process and the load generator. */
export async function withCpu(server: ChildProcess, run: () => Promise<PhaseResult>): Promise<PhaseResult> {
  const api = await cpuOf(server);
  const driver = driverCpuMicros();
  const result = await run();
  const used = driverCpuMicros() - driver;
  const per = (micros: number): number => Math.round(micros / Math.max(1, result.total));

  return { ...result, apiCpu: per((await cpuOf(server)) - api), driverCpu: per(used) };
}

/** The path and headers of the i-th request of a phase (the HTTP client adds Content-Length). */
export function requestFor(
  options: PhaseOptions,
  i: number,
): { path: string; headers: Record<string, string> } {
  const conversation = i % options.paths.length;

  return {
    path: options.paths[conversation]!,
    headers: {
      authorization: `Bearer ${options.tokens[conversation]!}`,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
  };
}

/**
 * One open-loop phase at a steady rate: requests are issued on schedule (rate × elapsed time, checked every
 * millisecond) whatever the server's answers, over a keep-alive pool, and each latency is measured from the
 * request's scheduled time, so that a slow answer cannot hide the queueing it causes (the wrk2 method).
 * autocannon's fixed-rate mode instead sends each connection's whole quota for a second at the start of
 * that second, which measures bursts of `rate` requests rather than a steady rate.
 */
export async function pacedPhase(
  name: string,
  options: PhaseOptions & { rate: number; seconds: number },
): Promise<PhaseResult> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const seconds = options.seconds;
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let issued = 0;
  let finished = 0;
  const started = performance.now();
  const total = Math.round(options.rate * seconds);
  await new Promise<void>((resolve) => {
    const send = (scheduledAt: number, i: number): void => {
      const outgoing = requestFor(options, i);
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: options.method,
          path: outgoing.path,
          // A known length rather than chunked encoding, as autocannon sends.
          headers:
            options.body === undefined
              ? outgoing.headers
              : { ...outgoing.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - scheduledAt);
            if ((res.statusCode ?? 0) >= 300) {
              non2xx += 1;
            }
            finished += 1;
            if (finished === total) {
              resolve();
            }
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        finished += 1;
        if (finished === total) {
          resolve();
        }
      });
      req.end(options.body);
    };
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.rate));
      while (issued < due) {
        send(started + (issued / options.rate) * 1000, issued);
        issued += 1;
      }
      if (issued >= total) {
        clearInterval(timer);
      }
    }, 1);
  });
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((x, y) => x - y);
  const at = (q: number): number =>
    Math.round((latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN) * 10) /
    10;

  return { name, rps: total / elapsed, p50: at(0.5), p99: at(0.99), errors, non2xx, total };
}

/**
 * One closed-loop phase of exactly `count` requests with `inFlight` outstanding at a time, over a keep-alive
 * pool. It measures cost (the CPU each process spends per request), not latency: on a shared machine CPU
 * time per request stays comparable where latency does not.
 */
export async function countedPhase(
  options: PhaseOptions & { count: number; inFlight: number },
): Promise<{ seconds: number; errors: number; non2xx: number }> {
  const target = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.inFlight });
  let issued = 0;
  let finished = 0;
  let errors = 0;
  let non2xx = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const done = (): void => {
      finished += 1;
      if (finished === options.count) {
        resolve();
      } else if (issued < options.count) {
        send();
      }
    };
    const send = (): void => {
      const outgoing = requestFor(options, issued);
      issued += 1;
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          method: options.method,
          path: outgoing.path,
          headers:
            options.body === undefined
              ? outgoing.headers
              : { ...outgoing.headers, 'content-length': String(Buffer.byteLength(options.body)) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if ((res.statusCode ?? 0) >= 300) {
              non2xx += 1;
            }
            done();
          });
        },
      );
      req.on('error', () => {
        errors += 1;
        done();
      });
      req.end(options.body);
    };
    for (let i = 0; i < Math.min(options.inFlight, options.count); i++) {
      send();
    }
  });
  agent.destroy();

  return { seconds: (performance.now() - started) / 1000, errors, non2xx };
}

/** The pid of the redis-server at `url` (from INFO), or 0 when it cannot be told. */
export function redisPid(url: string): number {
  try {
    const info = execFileSync('redis-cli', ['-u', url, 'info', 'server'], { encoding: 'utf8' });

    return Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * One open-loop phase driven by wrk (Debian's `wrk` 4, in C) and `bench/wrk/openLoop.lua`: the same
 * scheduled-time method as {@link pacedPhase}, with one connection per wrk thread, at less CPU per request
 * than that generator and without its pauses (a JavaScript generator's own garbage collection shows up as
 * server latency). `threads` is the number of wrk threads and connections.
 */
export async function wrkPhase(
  name: string,
  options: PhaseOptions & { rate: number; seconds: number; threads: number },
): Promise<PhaseResult> {
  const { threads } = options;
  const seconds = options.seconds;
  const dir = mkdtempSync(join(tmpdir(), 'confab-wrk-'));
  const shapes = options.paths.map((path, i) => `${options.method}\t${path}\t${options.tokens[i]!}`);
  writeFileSync(join(dir, 'requests.tsv'), `${shapes.join('\n')}\n`);
  const script = fileURLToPath(new URL('wrk/openLoop.lua', import.meta.url));
  const started = performance.now();
  try {
    const report = await new Promise<string>((resolve, reject) => {
      execFile(
        'wrk',
        [
          '-t',
          String(threads),
          '-c',
          String(threads),
          '-d',
          `${seconds}s`,
          '--timeout',
          '30s',
          '-s',
          script,
          options.url,
        ],
        {
          env: {
            ...process.env,
            WRK_REQUESTS: join(dir, 'requests.tsv'),
            WRK_RATE: String(options.rate),
            WRK_THREADS: String(threads),
            WRK_BODY: options.body ?? '',
            WRK_OUT: join(dir, 'out.txt'),
          },
        },
        (error, stdout) =>
          error === null ? resolve(stdout) : reject(new Error(`wrk failed: ${error.message}`)),
      );
    });
    // wrk prints `Socket errors: connect 0, read 0, write 0, timeout 0` only when there were some.
    const socketErrors = /Socket errors: (.*)/.exec(report)?.[1] ?? '';
    const errors = [...socketErrors.matchAll(/\d+/g)].reduce((sum, match) => sum + Number(match[0]), 0);
    // The rate over wrk's own run (`N requests in 15.00s`), else over the whole call including start-up.
    const ran = /requests in ([\d.]+)(ms|s|m)\b/.exec(report);
    const unit = { ms: 0.001, s: 1, m: 60 } as Record<string, number>;
    const elapsed =
      ran === null ? (performance.now() - started) / 1000 : Number(ran[1]) * (unit[ran[2]!] ?? 1);
    const lines = readFileSync(join(dir, 'out.txt'), 'utf8').trim().split('\n');
    const non2xx = Number(lines.pop()?.split(' ')[1] ?? NaN);
    const latencies = lines.map(Number).sort((x, y) => x - y);
    const at = (q: number): number =>
      Math.round(
        (latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? NaN) / 100,
      ) / 10;

    return {
      name,
      rps: latencies.length / elapsed,
      p50: at(0.5),
      p99: at(0.99),
      errors,
      non2xx,
      total: latencies.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
