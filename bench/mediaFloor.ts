// What the sockets alone cost (`npm run bench:media-floor`): the CPU that Node's own socket calls take on
// this machine for the traffic of `bench:media`, with no media work at all. It is the floor under
// confab's CPU per bridged call-second there, and it varies from machine to machine much more than
// confab's own work does.
//
// Two child processes, as in bench:media. Per call, every 20 ms and in both directions:
//   - one RTP-sized UDP datagram (12-byte header + 160 bytes of PCMU), each call on its own socket;
//   - one WebSocket-sized message on the call's own TCP connection: 640 bytes of L16 at 16 kHz, framed
//     as the client (confab) masks it and as the server (the app) does not.
// The measured process sends from one 2 ms timer (10 phases of the 20 ms period, as confab's media clock
// spreads its calls); the peer sends each call at its own random phase, as independent peers do.
// Handlers only count what arrives. With `--ws` the TCP side goes through the ws library (client in the
// measured process), as confab's WebSocket channel does, so the difference is ws's framing cost.
// Usage: npm run bench:media-floor [-- --calls 250] [--seconds 15] [--ws]
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Socket as TcpSocket, type AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { arg } from './args.js';

const PERIOD_MS = 20;
const PHASES = 10;
const RTP_BYTES = 172;
const PCM_BYTES = 640;
// Frames as they travel: the client masks (2-byte header, 2-byte length, 4-byte key), the server does not.
const CLIENT_FRAME_BYTES = 8 + PCM_BYTES;
const SERVER_FRAME_BYTES = 4 + PCM_BYTES;
// Any loopback address the kernel resolves without a lookup.
const LOOPBACK = '127.0.0.1';

/** Resolves only literal addresses, at once: no DNS step per datagram. */
function literalLookup(
  hostname: string,
  options: unknown,
  callback: (error: Error | null, address: string, family: number) => void,
): void {
  callback(null, hostname, 4);
}

interface Endpoint {
  udp: UdpSocket;
  tcp: TcpSocket | undefined;
  ws: WebSocket | undefined;
  peerPort: number;
}

interface Counters {
  udpIn: number;
  tcpBytesIn: number;
  wsIn: number;
}

const counters: Counters = { udpIn: 0, tcpBytesIn: 0, wsIn: 0 };

function bindUdp(): Promise<UdpSocket> {
  const socket = createSocket({ type: 'udp4', lookup: literalLookup });
  socket.on('message', () => {
    counters.udpIn += 1;
  });

  return new Promise((resolve) => {
    socket.bind(0, LOOPBACK, () => {
      resolve(socket);
    });
  });
}

/** Sends one period's traffic of the calls in `phase`, then re-arms for the next 2 ms, never drifting. */
function sendLoop(endpoints: readonly Endpoint[], phaseOf: readonly number[], tcpFrameBytes: number): void {
  const rtp = Buffer.alloc(RTP_BYTES, 0xff);
  // Through ws, the library frames the PCM itself.
  const frame = Buffer.alloc(endpoints[0]?.ws === undefined ? tcpFrameBytes : PCM_BYTES);
  const start = performance.now();
  let step = 0;
  const run = (): void => {
    const phase = step % PHASES;
    for (let i = 0; i < endpoints.length; i++) {
      if (phaseOf[i] !== phase) {
        continue;
      }
      const endpoint = endpoints[i]!;
      endpoint.udp.send(rtp, endpoint.peerPort, LOOPBACK);
      if (endpoint.ws !== undefined) {
        endpoint.ws.send(frame);
      } else {
        endpoint.tcp?.write(frame);
      }
    }
    step += 1;
    setTimeout(run, Math.max(0, start + (step * PERIOD_MS) / PHASES - performance.now()));
  };
  run();
}

const send = (message: unknown): void => {
  process.send?.(message);
};

/** The measured process: the confab side, a client of the peer's TCP or WebSocket server. */
async function measured(): Promise<void> {
  const message = await new Promise<{ count: number; port: number; udpPorts: number[]; ws: boolean }>(
    (resolve) => process.once('message', resolve),
  );
  const endpoints: Endpoint[] = [];
  for (let i = 0; i < message.count; i++) {
    const udp = await bindUdp();
    let tcp: TcpSocket | undefined;
    let ws: WebSocket | undefined;
    if (message.ws) {
      const socket = new WebSocket(`ws://${LOOPBACK}:${message.port}/`, { perMessageDeflate: false });
      socket.on('message', () => {
        counters.wsIn += 1;
      });
      await new Promise((resolve) => socket.once('open', resolve));
      ws = socket;
    } else {
      const socket = connect(message.port, LOOPBACK);
      socket.setNoDelay(true);
      socket.on('data', (data: Buffer) => {
        counters.tcpBytesIn += data.length;
      });
      await new Promise((resolve) => socket.once('connect', resolve));
      tcp = socket;
    }
    endpoints.push({ udp, tcp, ws, peerPort: message.udpPorts[i]! });
  }
  send({ type: 'built', udpPorts: endpoints.map((e) => e.udp.address().port) });
  sendLoop(
    endpoints,
    endpoints.map((_, i) => i % PHASES),
    CLIENT_FRAME_BYTES,
  );
  process.on('message', (raw: { type: string }) => {
    if (raw.type === 'measure') {
      const cpuStart = process.cpuUsage();
      const wallStart = performance.now();
      const before = { ...counters };
      process.once('message', () => {
        const cpu = process.cpuUsage(cpuStart);
        send({
          type: 'report',
          cpuMs: (cpu.user + cpu.system) / 1000,
          systemMs: cpu.system / 1000,
          wallMs: performance.now() - wallStart,
          udpIn: counters.udpIn - before.udpIn,
          framesIn: message.ws
            ? counters.wsIn - before.wsIn
            : (counters.tcpBytesIn - before.tcpBytesIn) / SERVER_FRAME_BYTES,
        });
      });
    }
  });
}

/** The peer process: the phones' and the application's side, a server to the measured process. */
async function peer(): Promise<void> {
  const message = await new Promise<{ count: number; ws: boolean }>((resolve) =>
    process.once('message', resolve),
  );
  const udps = await Promise.all(Array.from({ length: message.count }, bindUdp));
  const accepted: (TcpSocket | WebSocket)[] = [];
  let port: number;
  if (message.ws) {
    const server = new WebSocketServer({ host: LOOPBACK, port: 0, perMessageDeflate: false });
    server.on('connection', (socket) => {
      socket.on('message', () => {
        counters.wsIn += 1;
      });
      accepted.push(socket);
    });
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  } else {
    const server = createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('data', () => undefined);
      accepted.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    port = (server.address() as AddressInfo).port;
  }
  send({ type: 'listening', port, udpPorts: udps.map((u) => u.address().port) });
  const { udpPorts } = await new Promise<{ udpPorts: number[] }>((resolve) =>
    process.once('message', resolve),
  );
  while (accepted.length < message.count) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // Connections are accepted in the order the measured process opened them, one at a time.
  const endpoints: Endpoint[] = udps.map((udp, i) => {
    const socket = accepted[i];

    return {
      udp,
      tcp: socket instanceof WebSocket ? undefined : socket,
      ws: socket instanceof WebSocket ? socket : undefined,
      peerPort: udpPorts[i]!,
    };
  });
  sendLoop(
    endpoints,
    endpoints.map(() => Math.floor(Math.random() * PHASES)),
    SERVER_FRAME_BYTES,
  );
  send({ type: 'started' });
}

function child(role: string): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [role], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
}

function next<T>(process: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string }): void => {
      if (message.type === type) {
        process.off('message', onMessage);
        resolve(message as T);
      }
    };
    process.on('message', onMessage);
  });
}

async function main(): Promise<void> {
  const counts = arg('calls', '250').split(',').map(Number);
  const seconds = Number(arg('seconds', '15'));
  const useWs = process.argv.includes('--ws');
  process.stdout.write(
    `bench:media-floor on ${cpus().length} CPUs, Node ${process.version}, TCP side ${useWs ? 'through ws' : 'raw'}, ${seconds} s per N, ${new Date().toISOString()}\n` +
      '| calls | socket CPU per call-second | of it system | datagrams in / expected | frames in / expected | load avg (1 min) |\n' +
      '| --- | --- | --- | --- | --- | --- |\n',
  );
  for (const count of counts) {
    const peerProcess = child('peer');
    const measuredProcess = child('measured');
    try {
      peerProcess.send({ count, ws: useWs });
      const listening = await next<{ port: number; udpPorts: number[] }>(peerProcess, 'listening');
      measuredProcess.send({ count, port: listening.port, udpPorts: listening.udpPorts, ws: useWs });
      const built = await next<{ udpPorts: number[] }>(measuredProcess, 'built');
      peerProcess.send({ udpPorts: built.udpPorts });
      await next(peerProcess, 'started');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const loadBefore = loadavg()[0]!;
      measuredProcess.send({ type: 'measure' });
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const reported = next<{
        cpuMs: number;
        systemMs: number;
        wallMs: number;
        udpIn: number;
        framesIn: number;
      }>(measuredProcess, 'report');
      measuredProcess.send({ type: 'report' });
      const report = await reported;
      const callSeconds = (count * report.wallMs) / 1000;
      const expected = Math.round((callSeconds * 1000) / PERIOD_MS);
      process.stdout.write(
        `| ${count} | ${(report.cpuMs / callSeconds).toFixed(2)} ms | ${(report.systemMs / callSeconds).toFixed(2)} ms | ` +
          `${report.udpIn} / ${expected} | ${Math.round(report.framesIn)} / ${expected} | ${loadBefore.toFixed(2)} → ${loadavg()[0]!.toFixed(2)} |\n`,
      );
    } finally {
      peerProcess.kill();
      measuredProcess.kill();
    }
  }
}

const role = process.argv[2];
if (role === 'measured') {
  await measured();
} else if (role === 'peer') {
  await peer();
} else {
  await main();
}
