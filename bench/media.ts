// Benchmark of confab's media path (`npm run bench:media`): N concurrent bridged calls, phone (RTP PCMU
// 8 kHz) ↔ conversation audio bus ↔ WebSocket application (L16, 16 kHz by default), in two child processes:
//   - bench/mediaConfab.ts, the measured process: RtpSession + RtpLegMedia + WebSocketLeg per call on one
//     shared MediaClock; it reports its CPU (process.cpuUsage) and event-loop delay over the window;
//   - bench/mediaLoad.ts, the load: a UDP socket per call sending RTP every 20 ms and a WebSocket app
//     sending L16 frames every 20 ms; it times tone onsets across confab in both directions.
// Per N: build and connect, 3 s warm-up, a measured window (20 s by default), then counts after the
// senders stop. Usage: npm run bench:media [-- --calls 100,250,500] [--seconds 20] [--rate 16000|8000]
// [--jitter on|off] [--slots N] (phases of the media clock; its default when absent)
// [--lock on|off|JSON] (each bus's phase lock, on by default; JSON gives its PhaseLockOptions)
// [--prebuffer MS] (the WebSocket legs' playout prebuffer; 40 by default, as the channel's)
// [--cpu-prof DIR] (V8 profile of the confab process)
// [--stall MS] (the load process stops for MS once, mid-window, then catches up in a burst: recovery)
// [--stall-in load|confab] (which process stalls; confab: its clock and sockets stop, as in a long GC pause)
// [--onsets together|spread] (together, the default: every call's tone starts in the same 20 ms of each
// second; spread: each call's cycle starts at its own random frame, as independent talkers would)
// [--timeline] (after each N's line, the window second by second: latency, underruns, stand-downs, lateness)
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { arg } from './args.js';
import { type TimelineRow } from './mediaTimeline.js';
import { percentile } from './percentile.js';

const counts = arg('calls', '100,250,500').split(',').map(Number);
const seconds = Number(arg('seconds', '20'));
const rate = Number(arg('rate', '16000'));
const jitter = arg('jitter', 'on');
const slots = arg('slots', '');
const lock = arg('lock', 'on');
const prebufferMs = Number(arg('prebuffer', '40'));
const stallMs = Number(arg('stall', '0'));
const stallIn = arg('stall-in', 'load');
const showTimeline = process.argv.includes('--timeline');
const onsets = arg('onsets', 'together');
if (onsets !== 'together' && onsets !== 'spread') {
  throw new Error(`--onsets takes together or spread, not ${onsets}`);
}
if (stallIn !== 'load' && stallIn !== 'confab') {
  throw new Error(`--stall-in takes load or confab, not ${stallIn}`);
}
const sleep = (ms: number): Promise<void> => new Promise((wake) => setTimeout(wake, ms));

interface Child {
  process: ChildProcess;
  next(type: string): Promise<Record<string, unknown>>;
  send(message: Record<string, unknown>): void;
}

const profileDir = arg('cpu-prof', '');

function start(file: string, profile = false): Child {
  const execArgv = [
    '--import',
    'tsx',
    ...(profile && profileDir !== '' ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
  ];
  const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], { execArgv, stdio: 'inherit' });
  const inbox: Record<string, unknown>[] = [];
  const waiters: {
    type: string;
    resolve: (m: Record<string, unknown>) => void;
    reject: (e: Error) => void;
  }[] = [];
  child.on('message', (raw) => {
    const message = raw as Record<string, unknown>;
    const waiter = waiters.find((w) => w.type === message.type);
    if (message.type === 'error') {
      for (const w of waiters.splice(0)) {
        w.reject(new Error(String(message.message)));
      }
    } else if (waiter !== undefined) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    } else {
      inbox.push(message);
    }
  });

  return {
    process: child,
    next: (type) => {
      const index = inbox.findIndex((m) => m.type === type);
      if (index >= 0) {
        return Promise.resolve(inbox.splice(index, 1)[0]!);
      }
      return new Promise((resolve, reject) => waiters.push({ type, resolve, reject }));
    },
    send: (message) => {
      child.send(message);
    },
  };
}

/**
 * The window second by second: the onsets that arrived in each second (for each direction: how many, and
 * their p50 / p99 / max) beside what confab counted in it. A bad p99 can then be traced to when it
 * happened and to what came with it: underruns, the locks standing down, a clock running late.
 */
function timelineTable(
  rows: TimelineRow[],
  load: {
    rtpToWs: number[];
    wsToRtp: number[];
    rtpToWsAt: number[];
    wsToRtpAt: number[];
    loopMaxBySecond: number[];
  },
): string {
  const inSecond = (values: number[], at: number[], second: number): number[] =>
    values.filter((_, i) => Math.floor(at[i]! / 1000) === second);
  const summary = (values: number[]): string =>
    values.length === 0
      ? 'none'
      : `${values.length}: ${f1(percentile(values, 50))} / ${f1(percentile(values, 99))} / ${f1(Math.max(...values))}`;
  const lines = [
    '| second | RTP→WS onsets: n: p50 / p99 / max ms | WS→RTP onsets | jitter-buffer / playout underruns | stand-downs | waits given up | clock lag / lateness max | loop delay max | GCs, longest | waited for a CPU | load process loop delay max |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  rows.forEach((row, second) => {
    const c = row.counters;
    lines.push(
      [
        `| ${second}`,
        summary(inSecond(load.rtpToWs, load.rtpToWsAt, second)),
        summary(inSecond(load.wsToRtp, load.wsToRtpAt, second)),
        `${c.underruns ?? 0} / ${c.playoutUnderruns ?? 0}`,
        `${c.lockStoodDown ?? 0}`,
        `${c.lockGaveUp ?? 0}`,
        `${f1(row.maxLagMs)} / ${f1(row.maxLateMs)} ms`,
        `${f1(row.loopMaxMs)} ms`,
        `${row.gcCount}, ${f1(row.gcMaxMs)} ms`,
        `${f1(row.runQueueMs)} ms`,
        `${f1(load.loopMaxBySecond[second] ?? Number.NaN)} ms |`,
      ].join(' | '),
    );
  });

  return `${lines.join('\n')}\n`;
}

const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

async function runOne(count: number): Promise<string> {
  const load = start('./mediaLoad.ts');
  const confab = start('./mediaConfab.ts', true);
  try {
    await Promise.all([load.next('up'), confab.next('up')]);
    load.send({ type: 'prepare', count, rate, spread: onsets === 'spread' });
    const { url } = (await load.next('listening')) as { url: string };
    confab.send({
      type: 'build',
      count,
      rate,
      jitter: jitter !== 'off',
      prebufferMs,
      lock: lock === 'off' ? false : lock === 'on' ? true : (JSON.parse(lock) as Record<string, number>),
      ...(slots === '' ? {} : { slots: Number(slots) }),
      wsUrl: url,
      portBase: 30000 + 2 * Math.floor(Math.random() * 5000),
    });
    const { ports } = (await confab.next('built')) as { ports: number[] };
    load.send({ type: 'start', ports });
    await load.next('started');
    await sleep(3000);
    const loadBefore = loadavg()[0]!;
    const stall = { stallMs, stallAfterMs: (seconds * 1000) / 2 };
    load.send({ type: 'measure', timeline: showTimeline, ...(stallIn === 'load' ? stall : {}) });
    confab.send({ type: 'measure', timeline: showTimeline, ...(stallIn === 'confab' ? stall : {}) });
    await sleep(seconds * 1000);
    confab.send({ type: 'report' });
    const report = (await confab.next('report')) as {
      cpuMs: number;
      systemMs: number;
      wallMs: number;
      lagP50Ms: number;
      lagP99Ms: number;
      inWindow: Record<string, number>;
      timeline: TimelineRow[];
    };
    load.send({ type: 'report' });
    const loadReport = (await load.next('report')) as {
      stats: { rtpOnsetsSent: number; wsOnsetsSent: number };
      totals: {
        rtpSent: number;
        rtpReceived: number;
        rtpSeqGaps: number;
        wsSent: number;
        wsReceived: number;
      };
      rtpToWs: number[];
      wsToRtp: number[];
      rtpToWsAt: number[];
      wsToRtpAt: number[];
      loadLagP99Ms: number;
      loopMaxBySecond: number[];
    };
    confab.send({ type: 'totals' });
    const { totals } = (await confab.next('totals')) as { totals: Record<string, number> };
    const loadAfter = loadavg()[0]!;
    const callSeconds = count * (report.wallMs / 1000);
    const cpuPerCallSecond = report.cpuMs / callSeconds;
    const t = loadReport.totals;
    const udpLoss = t.rtpSent - (totals.packetsIn ?? 0);
    const wsLoss = t.wsSent - (totals.wsIn ?? 0);
    const line = [
      `| ${count}`,
      `${f2(cpuPerCallSecond)} ms, ${f2(report.systemMs / callSeconds)} of it system (${f1((report.cpuMs / report.wallMs) * 100)} % of a core)`,
      `${f1(percentile(loadReport.rtpToWs, 50))} / ${f1(percentile(loadReport.rtpToWs, 99))} ms`,
      `${f1(percentile(loadReport.wsToRtp, 50))} / ${f1(percentile(loadReport.wsToRtp, 99))} ms`,
      `${loadReport.rtpToWs.length}/${loadReport.stats.rtpOnsetsSent}, ${loadReport.wsToRtp.length}/${loadReport.stats.wsOnsetsSent}`,
      `RTP in: ${udpLoss} of ${t.rtpSent} not received, jitter buffer lost ${totals.lost} late ${totals.late} discarded ${totals.discarded} (${totals.shed} to shed delay) underruns ${totals.underruns}, target delay p50 ${totals.targetP50Ms} / p90 ${totals.targetP90Ms} / max ${totals.targetMaxMs} ms, ${totals.secondFrame} of ${totals.measuredWindows} calls holding a second frame; ` +
        `WS in: ${wsLoss} of ${t.wsSent} not received, ${totals.playoutUnderruns} playout underruns, ${totals.playoutShed} quiet frames shed; ` +
        `RTP out: ${t.rtpSeqGaps} sequence gaps; WS out: ${totals.wsDropped} dropped; ` +
        `phase lock: ${totals.lockLater} phases later, ${totals.lockEarlier} earlier, ${totals.lockGaveUp} waits given up, ${totals.lockCaughtUp} late ticks that waited for the sockets, ${totals.lockStoodDown} stand-downs for overload; ` +
        `inside the measured window: ${report.inWindow.underruns} jitter-buffer and ${report.inWindow.playoutUnderruns} playout underruns, ${report.inWindow.lockGaveUp} waits given up, ${report.inWindow.lockCaughtUp} late ticks that waited`,
      `${f1(report.lagP50Ms)} / ${f1(report.lagP99Ms)} ms (load process p99 ${f1(loadReport.loadLagP99Ms)} ms)`,
      `${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)} |`,
    ].join(' | ');
    process.stdout.write(`${line}\n`);
    if (showTimeline) {
      process.stdout.write(timelineTable(report.timeline, loadReport));
    }

    return line;
  } finally {
    load.send({ type: 'stop' });
    confab.send({ type: 'stop' });
    await sleep(1500);
    load.process.kill();
    confab.process.kill();
  }
}

process.stdout.write(
  `bench:media on ${cpus().length} CPUs, Node ${process.version}, WebSocket and bus at ${rate} Hz, jitter buffer ${jitter}, clock slots ${slots === '' ? 'default' : slots}, phase lock ${lock}, WebSocket prebuffer ${prebufferMs} ms, onsets ${onsets}${stallMs > 0 ? `, the ${stallIn} process stalls ${stallMs} ms mid-window` : ''}, ${seconds} s per N, ${new Date().toISOString()}\n` +
    '| calls | confab CPU per call-second | RTP→WS p50 / p99 | WS→RTP p50 / p99 | onsets seen (RTP→WS, WS→RTP) | loss | event-loop delay p50 / p99 | load avg (1 min) |\n' +
    '| --- | --- | --- | --- | --- | --- | --- | --- |\n',
);
for (const count of counts) {
  await runOne(count);
}
