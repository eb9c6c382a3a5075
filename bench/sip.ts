// Benchmark of confab's SIP stack (`npm run bench:sip`), driven by sipp.
//
// The user agent (transport, transactions, trunk guard, dialogs) runs in this process with a signalling-only
// application: every INVITE gets its SDP offer answered (sdp-transform parse and write), 180, 200, and the
// call stays up until the caller's BYE. No Redis and no RTP ports: this measures SIP, not the event pipeline.
//   1. Rate ramp: `sipp -sn uac` with 100 ms calls at rising rates, 6 s per step. A step passes when sipp
//      reports no failed call and the p99 INVITE→200 time (sipp -trace_rtt) is under 50 ms. CPU per call is
//      this process's user+system CPU over the step divided by its calls.
//   2. Concurrency: `sipp -sn uac` at 500 calls/s (`--concurrent-rate`) up to N calls held at once, each held
//      until the last one is up plus 8 s; the figure is the largest N for which every call completed.
// With `--confab` the target is instead a real `confab start` process (the compiled dist/, run `npm run build`
// first) on a scratch configuration: every call becomes a leg, a conversation and a member, with its events
// recorded through Redis, and an RTP port pair. CPU per call is then that process's CPU (from /proc).
// Usage: npm run bench:sip [-- --rates 100,200,300] [--concurrent 2000,5000] [--concurrent-rate 500]
//        [--step-seconds 6] [--confab]
//        [--profile <dir>] (with --confab: a V8 CPU profile of the confab process, written when it stops)
//        [--worker-process] (with --confab: the event recording worker in a process of its own, as
//        `confab start --no-worker` plus `confab worker` run it; CPU per call then counts both processes)
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { answerOffer, SdpError, SipUserAgent } from '../src/sip/index.js';
import { startConfabProcess, type ConfabProcess } from './confabProcess.js';
import { arg } from './args.js';

const rates = arg('rates', '100,200,300,400,500,600,800').split(',').map(Number);
const concurrency = arg('concurrent', '1000,2500,5000').split(',').map(Number);
const stepSeconds = Number(arg('step-seconds', '6'));
// How fast the concurrency phase places its calls: it measures how many calls are held, not the call rate.
const concurrentRate = Number(arg('concurrent-rate', '500'));

interface SippOutcome {
  code: number | null;
  successful: number;
  failed: number;
  rtts: number[];
  output: string;
  /** The most frequent lines of sipp's error log (why calls failed), with their counts. */
  errors: string[];
}

function sipp(args: string[], timeoutMs: number): Promise<SippOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'confab-bench-sipp-'));

  return new Promise((resolve, reject) => {
    const child = spawn(
      'sipp',
      [...args, '-nostdin', '-trace_rtt', '-rtt_freq', '1', '-trace_stat', '-fd', '1', '-trace_err'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const rtts: number[] = [];
      let successful = 0;
      let failed = 0;
      const errorCounts = new Map<string, number>();
      for (const file of readdirSync(dir)) {
        const text = readFileSync(join(dir, file), 'utf8');
        if (file.endsWith('_errors.log')) {
          for (const line of text.split('\n')) {
            // An error starts with a date, a time and a timestamp, then says what went wrong; the lines
            // after it (a SIP message it quotes) are left out.
            const head = /^\d{4}-\d\d-\d\d\s+\S+\s+\S+:\s*(.*)$/.exec(line);
            if (head !== null) {
              const what = (head[1] ?? '').replace(/\d+/g, 'N').slice(0, 120);
              errorCounts.set(what, (errorCounts.get(what) ?? 0) + 1);
            }
          }
        } else if (file.endsWith('_rtt.csv')) {
          for (const line of text.split('\n').slice(1)) {
            const ms = Number(line.split(';')[1]);
            if (Number.isFinite(ms) && line !== '') {
              rtts.push(ms);
            }
          }
        } else if (file.endsWith('_.csv') || file.endsWith('.csv')) {
          const lines = text.trim().split('\n');
          const header = lines[0]?.split(';') ?? [];
          const last = lines[lines.length - 1]?.split(';') ?? [];
          const col = (name: string): number => Number(last[header.indexOf(name)] ?? 0);
          successful = Math.max(successful, col('SuccessfulCall(C)'));
          failed = Math.max(failed, col('FailedCall(C)'));
        }
      }
      rmSync(dir, { recursive: true, force: true });
      const errors = [...errorCounts.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([what, count]) => `${count} × ${what}`);
      resolve({ code, successful, failed, rtts, output, errors });
    });
  });
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) {
    return NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);

  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const full = process.argv.includes('--confab');
// `--profile <dir>` (with --confab) has the confab process write a V8 CPU profile there when it stops.
const profileDir = arg('profile', '');
const confab: ConfabProcess | null = full
  ? await startConfabProcess({
      nodeArgs: profileDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir],
      workerProcess: process.argv.includes('--worker-process'),
    })
  : null;
const ua = full
  ? null
  : await SipUserAgent.start({
      host: '127.0.0.1',
      udpPort: 0,
      tcpPort: null,
      trunks: [
        {
          name: 'bench',
          inbound: { allow: ['127.0.0.1/32'], digest: null },
          outbound: null,
          limits: { maxCalls: 0, cps: 0 },
        },
      ],
    });
ua?.on('invite', (call) => {
  try {
    const { answer } = answerOffer(call.invite.body, {
      address: '127.0.0.1',
      port: 40000,
      sessionId: 1,
      version: 1,
    });
    call.ringing();
    call.answer(answer);
  } catch (err) {
    call.reject(err instanceof SdpError ? err.status : 500);
  }
});
const port = confab?.sipPort ?? ua?.transport.localEndpoint('udp')?.port ?? 0;
const target = `127.0.0.1:${port}`;
// In full mode every call dials the configured number, so that it becomes a phone leg.
const dialled = confab === null ? [] : ['-s', confab.number];
/** CPU (µs) used so far by whichever process answers the calls. */
const cpuNow = (): number =>
  confab === null ? process.cpuUsage().user + process.cpuUsage().system : confab.cpuMicros();
const activeCalls = async (): Promise<number> =>
  confab === null ? (ua?.activeCalls ?? 0) : confab.activeCalls();
process.stdout.write(
  `confab SIP bench (${full ? 'full confab process: legs, events, RTP ports' : 'SIP stack alone'}): target ${target}, node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);

let best = 0;
process.stdout.write(
  '\n| calls/s | calls | failed | p50 ms | p99 ms | CPU µs/call | passed |\n| --- | --- | --- | --- | --- | --- | --- |\n',
);
for (const rate of rates) {
  const calls = rate * stepSeconds;
  const cpu = cpuNow();
  const outcome = await sipp(
    [
      '-sn',
      'uac',
      ...dialled,
      '-r',
      String(rate),
      '-m',
      String(calls),
      '-l',
      String(rate * 4),
      '-d',
      '100',
      '-i',
      '127.0.0.1',
      '-timeout',
      String(stepSeconds * 4),
      '-timeout_error',
      target,
    ],
    stepSeconds * 6000,
  );
  const used = cpuNow() - cpu;
  const p50 = percentile(outcome.rtts, 50);
  const p99 = percentile(outcome.rtts, 99);
  const passed = outcome.code === 0 && outcome.failed === 0 && p99 < 50;
  if (passed) {
    best = Math.max(best, rate);
  }
  process.stdout.write(
    `| ${rate} | ${calls} | ${outcome.failed}${outcome.code === 0 ? '' : ` (exit ${outcome.code})`} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${(used / calls).toFixed(0)} | ${passed ? 'yes' : 'no'} |\n`,
  );
  await new Promise((resolve) => setTimeout(resolve, 1000));
}
process.stdout.write(`\nhighest passing rate: ${best} calls/s\n`);

let held = 0;
process.stdout.write(
  `\nconcurrent calls placed at ${concurrentRate} calls/s\n\n| concurrent calls | completed | failed | peak active in confab | ${confab === null ? 'heap' : 'RSS'} MB at peak |\n| --- | --- | --- | --- | --- |\n`,
);
for (const n of concurrency) {
  let peak = 0;
  let heap = 0;
  const sampler = setInterval(() => {
    void activeCalls().then((active) => {
      if (active > peak) {
        peak = active;
        heap = confab === null ? process.memoryUsage().heapUsed / 1e6 : confab.rssMegabytes();
      }
    });
  }, 250);
  const holdMs = Math.ceil((n / concurrentRate) * 1000) + 8000;
  const outcome = await sipp(
    [
      '-sn',
      'uac',
      ...dialled,
      '-r',
      String(concurrentRate),
      '-m',
      String(n),
      '-l',
      String(n),
      '-d',
      String(holdMs),
      '-i',
      '127.0.0.1',
      '-max_socket',
      '60000',
      // sipp's run timeout only stops a sipp that hangs. At 3× the hold, four runs in five on a slower VM
      // failed thousands of calls that sipp never hung up (confab ended them 30 s after their answer, for
      // lack of RTP); at 6× every run since held all its calls.
      '-timeout',
      String(Math.ceil(holdMs / 1000) * 6),
      '-timeout_error',
      target,
    ],
    holdMs * 4,
  );
  clearInterval(sampler);
  const ok = outcome.code === 0 && outcome.failed === 0;
  if (ok) {
    held = Math.max(held, peak);
  } else {
    process.stderr.write(`sipp errors for ${n} concurrent calls:\n  ${outcome.errors.join('\n  ')}\n`);
  }
  process.stdout.write(
    `| ${n} | ${outcome.successful} | ${outcome.failed}${outcome.code === 0 ? '' : ` (exit ${outcome.code})`} | ${peak} | ${heap.toFixed(0)} |\n`,
  );
  await new Promise((resolve) => setTimeout(resolve, 2000));
}
process.stdout.write(`\nmost concurrent signalling-only calls held with no failure: ${held}\n`);
await ua?.close();
await confab?.stop();
