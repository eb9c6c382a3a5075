// In-process micro-benchmark of confab's per-tick media work (`npm run bench:media-tick`): CPU per bridged
// call-second without a load generator, so it is stable on a shared machine (CPU time, not latency).
// N calls on a manual MediaClock, each a ConversationAudioBus (at the WebSocket rate, 16 kHz by default) with
//   - the real RtpLegMedia (PCMU, jitter buffer) on a real RtpSession: one parsed RTP packet is handed to
//     the session per tick (as its socket handler would), and the leg sends one real RTP datagram per tick
//     to a loopback port nobody listens on (the kernel drops it; the sendmsg cost is counted);
//   - an app participant at the WebSocket rate whose source is a PlayoutQueue fed one L16 frame per tick
//     (decoded from bytes, as AppPlayback does) and whose sink encodes L16 (the WebSocket send itself, one
//     write per frame, is not included).
// Each call plays a 1 s cycle of 40 silent frames and 10 tone frames in both directions, like bench:media.
// Usage: npm run bench:media-tick [-- --calls 100] [--ticks 1500] [--rate 16000|8000] [--gaps digital|noise]
import { createSocket } from 'node:dgram';
import {
  ConversationAudioBus,
  MediaClock,
  PCMU,
  PlayoutQueue,
  PortAllocator,
  RtpSession,
  createRtpPacket,
  decodeL16LittleEndian,
  encodeL16LittleEndian,
  encodeUlaw,
  type RtpPacket,
} from '../src/media/index.js';
import { RtpLegMedia } from '../src/channels/index.js';
import { arg } from './args.js';

const calls = Number(arg('calls', '100'));
const ticks = Number(arg('ticks', '1500'));
const rate = Number(arg('rate', '16000'));
const CYCLE = 50;
const ONSET = 40;

function tone(sampleRate: number, frame: number): Int16Array {
  const n = sampleRate / 50;

  return Int16Array.from({ length: n }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * 440 * (frame * n + i)) / sampleRate)),
  );
}

// `digital` gaps are exact zeros (µ-law 0xFF), which the resamplers and the mixer skip; `noise` gaps are
// low-level noise (±16), the worst case where every frame is filtered and mixed.
const gaps = arg('gaps', 'digital');
function gap(sampleRate: number, frame: number): Int16Array {
  const n = sampleRate / 50;

  return Int16Array.from({ length: n }, (_, i) =>
    gaps === 'noise' ? Math.round(16 * Math.sin(i * 12.9898 + frame * 78.233) * Math.cos(i * 4.1414)) : 0,
  );
}
const ulaw = Array.from({ length: CYCLE }, (_, f) =>
  encodeUlaw(f < ONSET ? gap(8000, f) : tone(8000, f - ONSET)),
);
const l16 = Array.from({ length: CYCLE }, (_, f) =>
  encodeL16LittleEndian(f < ONSET ? gap(rate, f) : tone(rate, f - ONSET)),
);

// A port with no socket: datagrams sent there are dropped by the kernel after the real sendmsg.
const probe = createSocket('udp4');
await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
const deadPort = probe.address().port;
probe.close();

const clock = new MediaClock({ mode: 'manual' });
const allocator = new PortAllocator({
  minPort: 40000,
  maxPort: 40000 + 2 * calls + 400,
  bindAddress: '127.0.0.1',
});
const source = { address: '127.0.0.1', port: deadPort };
const legs: { session: RtpSession; rtp: RtpLegMedia; queue: PlayoutQueue; bus: ConversationAudioBus }[] = [];
let sink = 0;
for (let i = 0; i < calls; i++) {
  const session = new RtpSession({ sockets: await allocator.allocate(), remote: source });
  const bus = new ConversationAudioBus({ clock, sampleRate: rate });
  const rtp = new RtpLegMedia({
    id: 'phone',
    session,
    codec: PCMU,
    telephoneEventPayloadType: 101,
    inactivityTimeoutMs: 0,
  });
  rtp.attach(bus);
  const queue = new PlayoutQueue({ sampleRate: rate, prebufferMs: 20 });
  const encoded = Buffer.alloc((rate / 50) * 2);
  bus.join('app', {
    sampleRate: rate,
    source: () => {
      const frame = queue.tick();

      return frame.silence ? undefined : frame.pcm;
    },
    sink: (pcm) => {
      sink += encodeL16LittleEndian(pcm, encoded)[0]!;
    },
  });
  legs.push({ session, rtp, queue, bus });
}

let seq = 0;
// One tick, then a turn of the event loop: dgram sends complete there (after a nextTick address lookup).
async function tick(): Promise<void> {
  const frame = seq % CYCLE;
  for (const leg of legs) {
    const packet: RtpPacket = createRtpPacket({
      payloadType: 0,
      sequenceNumber: seq & 0xffff,
      timestamp: (seq * 160) >>> 0,
      ssrc: 0x1234,
      payload: ulaw[frame]!,
    });
    leg.session.safeEmit('rtp', packet, source);
    leg.queue.enqueue(decodeL16LittleEndian(l16[frame]!));
  }
  seq += 1;
  clock.advance(1);
  await new Promise((resolve) => setImmediate(resolve));
}

for (let i = 0; i < 250; i++) {
  await tick();
}
const cpu = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < ticks; i++) {
  await tick();
}
const used = process.cpuUsage(cpu);
const wallMs = performance.now() - started;
const cpuMs = (used.user + used.system) / 1000;
const callSeconds = (calls * ticks) / 50;
const sent = legs.reduce((sum, leg) => sum + leg.rtp.stats.packetsOut, 0);
console.log(
  `bench:media-tick ${calls} calls × ${ticks} ticks, app and bus at ${rate} Hz, ${gaps} gaps, Node ${process.version}: ` +
    `${(cpuMs / callSeconds).toFixed(3)} ms CPU per call-second (user ${(used.user / 1000 / callSeconds).toFixed(3)}, ` +
    `system ${(used.system / 1000 / callSeconds).toFixed(3)}), ${((wallMs * 1000) / (calls * ticks)).toFixed(2)} µs wall per call-tick, ` +
    `${sent} RTP packets sent (checksum ${sink})`,
);
for (const leg of legs) {
  leg.rtp.close();
  leg.bus.close();
  await leg.session.close();
}
clock.close();
