// The measured side of `npm run bench:media` (a child process): N bridged calls, each an RtpSession +
// RtpLegMedia (PCMU) and a WebSocketLeg (L16 at 16 or 8 kHz) on their own ConversationAudioBus (same rate), all on one shared
// MediaClock. It dials the load process's WebSocket app, reports its RTP ports, then on request measures
// its own CPU (process.cpuUsage) and event-loop delay (monitorEventLoopDelay) over a window.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { RtpLegMedia, WebSocketLeg } from '../src/channels/index.js';
import {
  ConversationAudioBus,
  MediaClock,
  PCMU,
  PortAllocator,
  RtpSession,
  type PhaseLockOptions,
} from '../src/media/index.js';
import { type TimelineRow } from './mediaTimeline.js';
import { percentile } from './percentile.js';

interface Call {
  session: RtpSession;
  rtp: RtpLegMedia;
  ws: WebSocketLeg;
  bus: ConversationAudioBus;
}

const send = (message: unknown): void => {
  process.send?.(message);
};

async function build(
  count: number,
  wsUrl: string,
  portBase: number,
  rate: 8000 | 16000,
  jitter: boolean,
  slots: number | undefined,
  lock: boolean | PhaseLockOptions,
  prebufferMs: number,
): Promise<Call[]> {
  const shared = new MediaClock(slots === undefined ? {} : { slots });
  clock = shared;
  const allocator = new PortAllocator({
    minPort: portBase,
    maxPort: portBase + 2 * count + 400,
    bindAddress: '127.0.0.1',
  });
  const calls: Call[] = [];
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, async (_, k) => {
      const i = start + k;
      const sockets = await allocator.allocate();
      const session = new RtpSession({ sockets });
      const bus = new ConversationAudioBus({ clock: shared, sampleRate: rate, phaseLock: lock });
      const rtp = new RtpLegMedia({
        id: 'phone',
        session,
        codec: PCMU,
        telephoneEventPayloadType: 101,
        inactivityTimeoutMs: 0,
        ...(jitter ? {} : { jitterBuffer: false as const }),
      });
      rtp.attach(bus);
      const ws = new WebSocketLeg({
        id: 'app',
        uri: `${wsUrl}/call/${i}`,
        sampleRate: rate,
        // The channel's own 40 ms prebuffer (`--prebuffer 20` for the shorter one earlier runs used).
        prebufferMs,
        pingIntervalMs: 0,
      });
      ws.attach(bus);
      await ws.start();
      calls[i] = { session, rtp, ws, bus };
    });
    await Promise.all(batch);
  }

  return calls;
}

/** Whole-run counters summed over the calls. */
function counters(): Record<string, number> {
  const totals = {
    packetsIn: 0,
    packetsOut: 0,
    lost: 0,
    late: 0,
    discarded: 0,
    shed: 0,
    underruns: 0,
    wsSent: 0,
    wsDropped: 0,
    wsIn: 0,
    playoutUnderruns: 0,
    playoutShed: 0,
    lockLater: 0,
    lockGaveUp: 0,
    lockCaughtUp: 0,
    lockStoodDown: 0,
    lockEarlier: 0,
  };
  for (const call of calls) {
    const r = call.rtp.stats;
    totals.packetsIn += r.packetsIn;
    totals.packetsOut += r.packetsOut;
    totals.lost += r.lost;
    totals.late += r.late;
    totals.discarded += r.jitter?.discarded ?? 0;
    totals.underruns += r.jitter?.underruns ?? 0;
    totals.shed += r.jitter?.shed ?? 0;
    const w = call.ws.stats;
    totals.wsSent += w.framesSent;
    totals.wsDropped += w.framesDropped;
    totals.wsIn += w.audioMessages;
    totals.playoutUnderruns += w.playout.underruns;
    totals.playoutShed += w.playout.shedFrames;
    const lock = call.bus.phaseLock;
    totals.lockLater += lock?.later ?? 0;
    totals.lockGaveUp += lock?.gaveUp ?? 0;
    totals.lockCaughtUp += lock?.caughtUp ?? 0;
    totals.lockStoodDown += lock?.stoodDown ?? 0;
    totals.lockEarlier += lock?.earlier ?? 0;
  }

  return totals;
}

let calls: Call[] = [];
let clock: MediaClock | undefined;
// `--timeline`: the counters, the clock's lateness and the loop's delay, second by second in the window.
const timeline: TimelineRow[] = [];

/**
 * Time this (the main) thread has spent ready to run but waiting for a CPU, in ms (Linux's
 * /proc/thread-self/schedstat, second field); NaN where that is not available.
 */
function runQueueWaitMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

// Ends the timeline: stops its observers and takes a row for the last, partial second.
let stopTimeline = (): void => undefined;

function startTimeline(): void {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const openedAt = performance.now();
  let previous = counters();
  let maxLagMs = 0;
  let maxLateMs = 0;
  let waitedMs = runQueueWaitMs();
  let gcCount = 0;
  let gcMaxMs = 0;
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcCount += 1;
      gcMaxMs = Math.max(gcMaxMs, entry.duration);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const subscription = clock?.subscribe((tick) => {
    maxLagMs = Math.max(maxLagMs, tick.lagMs);
    maxLateMs = Math.max(maxLateMs, tick.lateMs);
  });
  const takeRow = (): void => {
    const now = counters();
    const waited = runQueueWaitMs();
    timeline.push({
      atMs: performance.now() - openedAt,
      counters: Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - (previous[k] ?? 0)])),
      maxLagMs,
      maxLateMs,
      // The histogram records whole timer intervals (none yet in a very short last row).
      loopMaxMs: Math.max(0, loop.max / 1e6 - 10),
      gcCount,
      gcMaxMs,
      runQueueMs: waited - waitedMs,
    });
    waitedMs = waited;
    gcCount = 0;
    gcMaxMs = 0;
    previous = now;
    maxLagMs = 0;
    maxLateMs = 0;
    loop.reset();
  };
  const timelineTimer = setInterval(takeRow, 1000);
  stopTimeline = () => {
    clearInterval(timelineTimer);
    subscription?.unsubscribe();
    loop.disable();
    gc.disconnect();
    // A last row for the part of a second since the previous one, unless that is only a moment.
    if (performance.now() - openedAt - (timeline.at(-1)?.atMs ?? 0) > 100) {
      takeRow();
    }
    stopTimeline = () => undefined;
  };
}

// The counters when the measured window opened: the report gives what happened inside it.
let atMeasure: Record<string, number> = {};
const histogram = monitorEventLoopDelay({ resolution: 10 });
let cpuStart = process.cpuUsage();
let wallStart = performance.now();

process.on('message', (raw: unknown) => {
  const message = raw as {
    type: string;
    count?: number;
    wsUrl?: string;
    portBase?: number;
    rate?: 8000 | 16000;
    jitter?: boolean;
    slots?: number;
    lock?: boolean | PhaseLockOptions;
    prebufferMs?: number;
    stallMs?: number;
    stallAfterMs?: number;
    timeline?: boolean;
  };
  if (message.type === 'build') {
    build(
      message.count ?? 0,
      message.wsUrl ?? '',
      message.portBase ?? 30000,
      message.rate ?? 16000,
      message.jitter ?? true,
      message.slots,
      message.lock ?? true,
      message.prebufferMs ?? 40,
    ).then(
      (built) => {
        calls = built;
        send({ type: 'built', ports: calls.map((c) => c.session.localPort) });
      },
      (error: unknown) => {
        send({ type: 'error', message: String(error) });
      },
    );
  } else if (message.type === 'measure') {
    histogram.reset();
    histogram.enable();
    cpuStart = process.cpuUsage();
    wallStart = performance.now();
    atMeasure = counters();
    if (message.timeline === true) {
      startTimeline();
    }
    if ((message.stallMs ?? 0) > 0) {
      // Fault injection (--stall-in confab): the process stops once, as in a long GC pause or a preempted
      // VM: no timer and no socket runs meanwhile, then the clock catches up and the sockets are drained.
      const stallMs = message.stallMs ?? 0;
      setTimeout(() => {
        const until = performance.now() + stallMs;
        while (performance.now() < until) {
          // Busy.
        }
      }, message.stallAfterMs ?? 0);
    }
  } else if (message.type === 'report') {
    histogram.disable();
    const cpu = process.cpuUsage(cpuStart);
    stopTimeline();
    const now = counters();
    const inWindow = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - (atMeasure[k] ?? 0)]));
    send({
      inWindow,
      timeline,
      type: 'report',
      cpuMs: (cpu.user + cpu.system) / 1000,
      // System time is mostly the socket calls (on loopback a send also runs the receiver's stack).
      systemMs: cpu.system / 1000,
      wallMs: performance.now() - wallStart,
      // The histogram records whole timer intervals; the lag is what exceeds the 10 ms resolution.
      lagP50Ms: histogram.percentile(50) / 1e6 - 10,
      lagP99Ms: histogram.percentile(99) / 1e6 - 10,
    });
  } else if (message.type === 'totals') {
    const totals = counters();
    // How long packets waited in each call's jitter buffer over its last 5 s window: the calls whose
    // packets meet the clock just at the tick hold a second frame, and set the latency's upper percentiles.
    const waits = calls.map((c) => c.rtp.stats.jitter?.lastWindowWaitMs).filter((w) => w !== undefined);
    const secondFrame = waits.filter((w) => w.min >= 20).length;
    // The delay each jitter buffer has adapted to: every underrun raises it a frame, a shed or 5 s without
    // an underrun lowers it, and the buffer trims what stands more than a frame above it for a second. While
    // the locks stand down for overload nothing is shed, so the buffers keep up to about this much.
    const targets = calls.map((c) => c.rtp.stats.jitter?.targetDelayMs).filter((t) => t !== undefined);
    const targetAt = (p: number): number => (targets.length === 0 ? 0 : percentile(targets, p));
    send({
      type: 'totals',
      totals: {
        ...totals,
        measuredWindows: waits.length,
        secondFrame,
        targetP50Ms: targetAt(50),
        targetP90Ms: targetAt(90),
        targetMaxMs: targetAt(100),
      },
    });
  } else if (message.type === 'stop') {
    for (const call of calls) {
      call.ws.close();
      call.rtp.close();
      call.bus.close();
    }
    void Promise.all(calls.map((c) => c.session.close())).finally(() => process.exit(0));
  }
});

send({ type: 'up' });
