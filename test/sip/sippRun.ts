import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The sipp binary; a missing sipp is an error (in CI too: never a skip). */
export function sippBinary(): string {
  const probe = spawnSync('sipp', ['-v'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    const where = process.env.CI === 'true' ? 'CI must install it' : 'install it';
    throw new Error(
      `sipp not found (${probe.error.message}); ${where}: apt-get install -y --no-install-recommends sip-tester`,
    );
  }

  return 'sipp';
}

/** Directory of the custom XML scenarios. */
export const SCENARIOS = join(import.meta.dirname, 'scenarios');

/** A finished sipp run. */
export interface SippResult {
  code: number | null;
  output: string;
  errors: string;
  /** A short text for assertion messages. */
  explain: string;
}

/** A running sipp. */
export interface SippRun {
  child: ChildProcess;
  done: Promise<SippResult>;
}

/**
 * sipp as the callee (`-sn uas`) on 127.0.0.1:`port` for one call, given 300 ms to bind before it
 * resolves; the run fails when no call comes within 15 s.
 */
export async function startSippCallee(port: number): Promise<SippRun> {
  const run = startSipp(
    ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-m', '1', '-timeout', '15', '-timeout_error'],
    20_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 300));

  return run;
}

/** Starts sipp with `args` in a fresh directory (trace files land there); killed after `timeoutMs`. */
export function startSipp(args: string[], timeoutMs = 25_000): SippRun {
  const binary = sippBinary();
  const dir = mkdtempSync(join(tmpdir(), 'confab-sipp-'));
  const child = spawn(binary, [...args, '-nostdin', '-trace_err'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<SippResult>((resolve, reject) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const errors = readdirSync(dir)
        .filter((f) => f.endsWith('_errors.log'))
        .map((f) => readFileSync(join(dir, f), 'utf8'))
        .join('\n');
      rmSync(dir, { recursive: true, force: true });
      resolve({
        code,
        output,
        errors,
        explain: `sipp exited ${code}\n${output.slice(-1500)}\n${errors.slice(0, 3000)}`,
      });
    });
  });

  return { child, done };
}

/** Runs sipp to the end. */
export function runSipp(args: string[], timeoutMs?: number): Promise<SippResult> {
  return startSipp(args, timeoutMs).done;
}

/** A UDP port that was free a moment ago (for sipp -p). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));

  return port;
}
