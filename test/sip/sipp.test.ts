import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TransactionLayer, createTransportLayer, type TransportLayer } from '../../src/sip/index.js';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) {
    await fn();
  }
});

/** The sipp binary, or an error explaining how to get it (in CI a missing sipp is a failure, never a skip). */
function sippBinary(): string {
  const probe = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    const where = process.env.CI === 'true' ? 'CI must install it' : 'install it';
    throw new Error(
      `sipp not found (${probe.error.message}); ${where}: apt-get install -y --no-install-recommends sip-tester`,
    );
  }

  return 'sipp';
}

const SDP = [
  'v=0',
  'o=confab 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

/** The minimal UAS: OPTIONS 200, INVITE 200 with a dummy SDP answer, BYE 200, anything else 501. */
async function startUas(): Promise<{
  transport: TransportLayer;
  layer: TransactionLayer;
  stats: Record<string, number>;
}> {
  const transport = await createTransportLayer({ host: '127.0.0.1', udpPort: 0, tcpPort: 0 });
  const layer = new TransactionLayer(transport, { timers: { t1: 100 } });
  cleanup.push(
    () => transport.close(),
    () => layer.close(),
  );
  const port = transport.localEndpoint('udp')!.port;
  const stats: Record<string, number> = { INVITE: 0, BYE: 0, OPTIONS: 0, ack2xx: 0 };
  layer.on('ack', (_ack, _source, matched) => {
    if (matched) {
      stats.ack2xx = (stats.ack2xx ?? 0) + 1;
    }
  });
  layer.on('request', (tx, request) => {
    stats[request.method] = (stats[request.method] ?? 0) + 1;
    switch (request.method) {
      case 'INVITE':
        tx.respond(180);
        tx.respond(200, {
          headers: [
            { name: 'Contact', value: `<sip:confab@127.0.0.1:${port}>` },
            { name: 'Content-Type', value: 'application/sdp' },
          ],
          body: Buffer.from(SDP),
        });
        break;
      case 'BYE':
      case 'OPTIONS':
        tx.respond(200);
        break;
      default:
        tx.respond(501, { headers: [{ name: 'Allow', value: 'INVITE, ACK, BYE, CANCEL, OPTIONS' }] });
    }
  });

  return { transport, layer, stats };
}

function run(binary: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, output });
    });
  });
}

describe('sipp against the transport and transaction layers', () => {
  it.each([
    ['UDP', 'u1'],
    ['TCP', 't1'],
  ])(
    'completes 20 calls of the built-in uac scenario (INVITE, ACK, BYE) over %s with exit code 0',
    async (_name, mode) => {
      const binary = sippBinary();
      const uas = await startUas();
      const port = uas.transport.localEndpoint('udp')!.port;
      const dir = mkdtempSync(join(tmpdir(), 'confab-sipp-'));
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      const args = [
        '-sn',
        'uac',
        '-m',
        '20',
        '-r',
        '10',
        '-l',
        '20',
        '-d',
        '100',
        '-trace_err',
        '-t',
        mode,
        '-nostdin',
        '-i',
        '127.0.0.1',
        '-timeout',
        '20',
        '-timeout_error',
        `127.0.0.1:${port}`,
      ];
      const { code, output } = await run(binary, args, dir);
      const errors = readdirSync(dir)
        .filter((f) => f.endsWith('_errors.log'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('\n');
      expect(code, `sipp exited ${code}\n${output.slice(-2000)}\n${errors.slice(0, 4000)}`).toBe(0);
      expect(uas.stats).toMatchObject({ INVITE: 20, BYE: 20, ack2xx: 20 });
      expect(uas.transport.counters.dropped['malformed-request']).toBe(0);
      expect(uas.transport.counters.received[mode === 't1' ? 'tcp' : 'udp']).toBeGreaterThanOrEqual(60);
    },
  );
});
