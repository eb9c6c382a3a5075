import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Logger } from '../log/index.js';
import { redisAnswers } from './connection.js';

/** A `redis-server` child process run by confab itself. */
export interface EmbeddedRedis {
  readonly url: string;
  readonly pid: number;
  /** Asks the server to save and stop, then waits for it (kills it after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<void>;
}

/** Options of {@link startEmbeddedRedis}. */
export interface EmbeddedRedisOptions {
  /** Where the append-only file lives; created when missing. */
  dataDir: string;
  /** @defaultValue 6379 */
  port?: number;
  /** The PATH to search for `redis-server`. */
  searchPath: string;
  logger: Logger;
  /** How long to wait for the server to answer. @defaultValue 5000 */
  startTimeoutMs?: number;
}

/** Finds an executable on a PATH string; null when absent. */
export async function findExecutable(name: string, searchPath: string): Promise<string | null> {
  for (const dir of searchPath.split(delimiter)) {
    if (dir === '') {
      continue;
    }
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);

      return candidate;
    } catch {
      // Not in this directory; keep looking.
    }
  }

  return null;
}

/**
 * Starts `redis-server` as a child bound to 127.0.0.1 with the append-only file on, no eviction, and its
 * data under `dataDir`. The child dies with confab: it is stopped by {@link EmbeddedRedis.stop}, and
 * killed if the parent process exits without stopping it.
 */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const binary = await findExecutable('redis-server', options.searchPath);
  if (binary === null) {
    throw new Error('redis-server is not on PATH');
  }
  const port = options.port ?? 6379;
  mkdirSync(options.dataDir, { recursive: true });
  const child: ChildProcess = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      options.dataDir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = options.logger.child({ component: 'embedded-redis', pid: child.pid });
  let exited = false;
  const exitedPromise = new Promise<void>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exited = true;
      log.info({ code, signal }, 'embedded redis-server exited');
      resolveExit();
    });
  });
  const output: string[] = [];
  const remember = (chunk: Buffer): void => {
    output.push(chunk.toString('utf8'));
    if (output.length > 50) {
      output.shift();
    }
  };
  child.stdout?.on('data', remember);
  child.stderr?.on('data', remember);
  const killOnExit = (): void => {
    if (!exited) {
      child.kill('SIGKILL');
    }
  };
  process.once('exit', killOnExit);

  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 5000);
  while (!(await redisAnswers(url, 250))) {
    if (exited || Date.now() > deadline) {
      killOnExit();
      throw new Error(
        `the embedded redis-server did not start: ${output.join('').trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    await new Promise((wake) => setTimeout(wake, 50));
  }
  log.info({ url, dataDir: options.dataDir }, 'embedded redis-server started (AOF on)');

  return {
    url,
    pid: child.pid ?? -1,
    stop: async (timeoutMs = 5000) => {
      process.removeListener('exit', killOnExit);
      if (exited) {
        return;
      }
      // SIGTERM makes redis-server flush the append-only file and exit cleanly.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}
