// The load side of `npm run bench:media` (a child process): a WebSocket application (one connection per
// call) and a sipp-like RTP sender (one UDP socket per call), so both ends of every bridged call share one
// clock and one-way latency is measured end to end.
//
// Each call plays, in both directions, a one-second cycle of 40 frames of silence then 10 frames of a
// tone; the tone's onset is the marker. By default every call's cycle starts together, so that all the
// calls turn loud in the same 20 ms (the harsher load); with `--onsets spread` each call starts at its own
// random frame of the cycle. The time from sending the onset frame (RTP or WebSocket) to the
// first frame carrying it arriving on the other side is confab's added one-way latency (loopback transit
// included). Each call sends at its own random phase of the 20 ms period (as independent peers do, with
// no relation to the order in which confab's clock gives its calls their phases), scheduled against
// hrtime, catching up after a late timer, never drifting.
import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { ULAW_DECODE_TABLE, encodeUlaw } from '../src/media/index.js';

const CYCLE = 50;
const ONSET = 40;
const send = (message: unknown): void => {
  process.send?.(message);
};

function tone(rate: number, frames: number): Int16Array[] {
  const n = (rate * 20) / 1000;

  return Array.from({ length: frames }, (_, f) =>
    Int16Array.from({ length: n }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 440 * (f * n + i)) / rate)),
    ),
  );
}
const ulawTone = tone(8000, CYCLE - ONSET).map((pcm) => encodeUlaw(pcm));
const ulawSilence = Buffer.alloc(160, 0xff);
let l16Tone: Buffer[] = [];
let l16Silence = Buffer.alloc(0);

interface Call {
  index: number;
  /** Where in the 20 ms period this call sends, in ms. */
  phaseMs: number;
  /** Where in the one-second cycle this call starts, in frames (0 for every call with `--onsets together`). */
  cycleOffset: number;
  socket: Socket;
  port: number;
  ws: WebSocket | undefined;
  rtpFrames: number;
  wsFrames: number;
  rtpOnsetAt: number | undefined;
  wsOnsetAt: number | undefined;
  // Whether the pending onset was sent inside the measured window (only those are timed and counted).
  rtpOnsetMeasured: boolean;
  wsOnsetMeasured: boolean;
  lastRtpLoud: boolean;
  lastWsLoud: boolean;
  seq: number;
  lastSeqIn: number | undefined;
}

const stats = { rtpOnsetsSent: 0, wsOnsetsSent: 0 };
// Whole-run counters (not reset by a measurement window), compared with confab's after the senders stop.
const totals = { rtpSent: 0, rtpReceived: 0, rtpSeqGaps: 0, wsSent: 0, wsReceived: 0 };
const rtpToWs: number[] = [];
const wsToRtp: number[] = [];
// When each of those onsets arrived, in ms since the window opened (for `--timeline`).
const rtpToWsAt: number[] = [];
const wsToRtpAt: number[] = [];
let measureStart = 0;
let measuring = false;
// The load process's own loop delay: its receive timestamps are late by that much too.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
// Its worst loop delay in each second of the window, in ms (for `--timeline`), from a histogram of its own.
const secondLoopDelay = monitorEventLoopDelay({ resolution: 10 });
const loopMaxBySecond: number[] = [];
let secondTimer: NodeJS.Timeout | undefined;
const takeSecond = (): void => {
  loopMaxBySecond.push(Math.max(0, secondLoopDelay.max / 1e6 - 10));
  secondLoopDelay.reset();
};
const calls: Call[] = [];

const http = createServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on('connection', (ws, request) => {
  const index = Number(/\/call\/(\d+)/.exec(request.url ?? '')?.[1] ?? -1);
  const call = calls[index];
  if (call === undefined) {
    ws.close();
    return;
  }
  call.ws = ws;
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary || !Buffer.isBuffer(data)) {
      return;
    }
    totals.wsReceived += 1;
    let sum = 0;
    for (let i = 0; i + 1 < data.length; i += 8) {
      sum += Math.abs(data.readInt16LE(i));
    }
    const loud = sum / (data.length / 8) > 1000;
    if (loud && !call.lastRtpLoud && call.rtpOnsetAt !== undefined) {
      if (measuring && call.rtpOnsetMeasured) {
        const now = performance.now();
        rtpToWs.push(now - call.rtpOnsetAt);
        rtpToWsAt.push(now - measureStart);
      }
      call.rtpOnsetAt = undefined;
    }
    call.lastRtpLoud = loud;
  });
});

function onRtp(call: Call, datagram: Buffer): void {
  if ((datagram[1]! & 0x7f) !== 0) {
    return;
  }
  totals.rtpReceived += 1;
  const seq = datagram.readUInt16BE(2);
  if (call.lastSeqIn !== undefined) {
    const gap = (seq - call.lastSeqIn - 1) & 0xffff;
    if (gap < 1000) {
      totals.rtpSeqGaps += gap;
    }
  }
  call.lastSeqIn = seq;
  let sum = 0;
  for (let i = 12; i < datagram.length; i += 4) {
    sum += Math.abs(ULAW_DECODE_TABLE[datagram[i]!]!);
  }
  const loud = sum / ((datagram.length - 12) / 4) > 1000;
  if (loud && !call.lastWsLoud && call.wsOnsetAt !== undefined) {
    if (measuring && call.wsOnsetMeasured) {
      const now = performance.now();
      wsToRtp.push(now - call.wsOnsetAt);
      wsToRtpAt.push(now - measureStart);
    }
    call.wsOnsetAt = undefined;
  }
  call.lastWsLoud = loud;
}

async function setup(ports: number[]): Promise<void> {
  await Promise.all(
    ports.map(async (port, index) => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      // The placeholder made by 'prepare' is kept: the WebSocket handler already holds it.
      const call = calls[index]!;
      call.socket = socket;
      call.port = port;
      socket.on('message', (datagram: Buffer) => {
        onRtp(call, datagram);
      });
    }),
  );
}

function sendFrame(call: Call): void {
  const phase = (call.rtpFrames + call.cycleOffset) % CYCLE;
  const now = performance.now();
  const header = Buffer.allocUnsafe(12);
  header[0] = 0x80;
  header[1] = 0;
  header.writeUInt16BE(call.seq & 0xffff, 2);
  header.writeUInt32BE((call.seq * 160) >>> 0, 4);
  header.writeUInt32BE(0x10000 + call.index, 8);
  call.seq += 1;
  const payload = phase < ONSET ? ulawSilence : ulawTone[phase - ONSET]!;
  call.socket.send([header, payload], call.port, '127.0.0.1');
  if (phase === ONSET) {
    call.rtpOnsetAt = now;
    call.rtpOnsetMeasured = measuring;
    stats.rtpOnsetsSent += measuring ? 1 : 0;
  }
  totals.rtpSent += 1;
  call.rtpFrames += 1;
  if (call.ws !== undefined && call.ws.readyState === call.ws.OPEN) {
    const wsPhase = (call.wsFrames + call.cycleOffset) % CYCLE;
    call.ws.send(wsPhase < ONSET ? l16Silence : l16Tone[wsPhase - ONSET]!);
    if (wsPhase === ONSET) {
      call.wsOnsetAt = now;
      call.wsOnsetMeasured = measuring;
      stats.wsOnsetsSent += measuring ? 1 : 0;
    }
    totals.wsSent += 1;
    call.wsFrames += 1;
  }
}

let running = false;
function run(): void {
  running = true;
  const start = performance.now();
  const tick = (): void => {
    if (!running) {
      return;
    }
    const elapsed = performance.now() - start;
    for (const call of calls) {
      const due = Math.floor((elapsed - call.phaseMs) / 20) + 1;
      while (call.rtpFrames < due) {
        sendFrame(call);
      }
    }
    setTimeout(tick, 2);
  };
  tick();
}

process.on('message', (raw: unknown) => {
  const message = raw as {
    type: string;
    count?: number;
    spread?: boolean;
    ports?: number[];
    rate?: number;
    stallMs?: number;
    stallAfterMs?: number;
    timeline?: boolean;
  };
  if (message.type === 'prepare') {
    const rate = message.rate ?? 16000;
    l16Tone = tone(rate, CYCLE - ONSET).map((pcm) => Buffer.from(pcm.buffer));
    l16Silence = Buffer.alloc((rate / 50) * 2);
    for (let i = 0; i < (message.count ?? 0); i++) {
      calls[i] = {
        index: i,
        phaseMs: Math.random() * 20,
        cycleOffset: message.spread === true ? Math.floor(Math.random() * CYCLE) : 0,
        socket: undefined as unknown as Socket,
        port: 0,
        ws: undefined,
        rtpFrames: 0,
        wsFrames: 0,
        rtpOnsetAt: undefined,
        wsOnsetAt: undefined,
        rtpOnsetMeasured: false,
        wsOnsetMeasured: false,
        lastRtpLoud: false,
        lastWsLoud: false,
        seq: 0,
        lastSeqIn: undefined,
      };
    }
    http.listen(0, '127.0.0.1', () => {
      send({ type: 'listening', url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}` });
    });
  } else if (message.type === 'start') {
    setup(message.ports ?? []).then(
      () => {
        run();
        send({ type: 'started' });
      },
      (error: unknown) => send({ type: 'error', message: String(error) }),
    );
  } else if (message.type === 'measure') {
    for (const key of Object.keys(stats) as (keyof typeof stats)[]) {
      stats[key] = 0;
    }
    rtpToWs.length = 0;
    wsToRtp.length = 0;
    rtpToWsAt.length = 0;
    wsToRtpAt.length = 0;
    measureStart = performance.now();
    measuring = true;
    loopDelay.reset();
    loopDelay.enable();
    loopMaxBySecond.length = 0;
    if (message.timeline === true) {
      secondLoopDelay.reset();
      secondLoopDelay.enable();
      secondTimer = setInterval(takeSecond, 1000);
    }
    const stallMs = message.stallMs ?? 0;
    if (stallMs > 0) {
      // Fault injection: every peer falls silent at once for stallMs, then sends what it owes in a burst
      // (as a sender does after a hiccup), and confab's buffers must recover.
      setTimeout(() => {
        const until = performance.now() + stallMs;
        while (performance.now() < until) {
          // Busy: no timer, no socket runs meanwhile.
        }
      }, message.stallAfterMs ?? 0);
    }
  } else if (message.type === 'report') {
    measuring = false;
    running = false;
    loopDelay.disable();
    if (secondTimer !== undefined) {
      clearInterval(secondTimer);
      secondTimer = undefined;
      takeSecond();
      secondLoopDelay.disable();
    }
    const loadLagP99Ms = loopDelay.percentile(99) / 1e6 - 10;
    // Let the last datagrams and frames land before counting.
    setTimeout(() => {
      send({
        type: 'report',
        stats,
        totals,
        rtpToWs,
        wsToRtp,
        rtpToWsAt,
        wsToRtpAt,
        loadLagP99Ms,
        loopMaxBySecond,
      });
    }, 500);
  } else if (message.type === 'stop') {
    running = false;
    for (const call of calls) {
      call.socket.close();
    }
    wss.close();
    http.close();
    http.closeAllConnections();
    setTimeout(() => process.exit(0), 200).unref();
  }
});

send({ type: 'up' });
