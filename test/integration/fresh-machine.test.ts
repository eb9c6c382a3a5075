import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scratch } from '../support/config.js';

// A newcomer's machine has no Redis running. This test recreates that: it runs `confab start` on the
// shipped config/confab.yaml inside a fresh network namespace (its own loopback, where nothing listens),
// so confab must start an embedded redis-server, serve /health within 10 s, and stop it all on SIGTERM.
describe('confab start on a machine where no Redis runs', () => {
  it('runs an embedded redis-server, serves /health within 10 s and exits 0 on SIGTERM', () => {
    const s = scratch();
    mkdirSync(join(s.dir, 'config', 'keys'), { recursive: true });
    copyFileSync('config/confab.yaml', join(s.dir, 'config', 'confab.yaml'));
    copyFileSync(s.publicKeyPath, join(s.dir, 'config', 'keys', 'demo.pub.pem'));
    copyFileSync(s.privateKeyPath, join(s.dir, 'config', 'keys', 'demo.key.pem'));
    // The compiled command, as `npm start` runs it (npm test builds dist/ before the suite).
    const bin = join(process.cwd(), 'bin', 'confab.js');
    const script = `
      set -u
      ip link set lo up
      ${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} start > confab.log 2>&1 &
      pid=$!
      began=$(date +%s%N)
      health=none
      for i in $(seq 1 200); do
        if health=$(curl -sf http://127.0.0.1:3000/health); then break; fi
        health=none
        sleep 0.05
      done
      took_ms=$(( ($(date +%s%N) - began) / 1000000 ))
      echo "health=$health took_ms=$took_ms"
      kill -TERM $pid
      wait $pid
      echo "exit=$?"
      echo "redis_left=$(ss -ltn 'sport = :6379' | tail -n +2 | wc -l)"
    `;
    const run = spawnSync('unshare', ['--net', 'bash', '-c', script], {
      cwd: s.dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const log = existsSync(join(s.dir, 'confab.log'))
      ? spawnSync('cat', [join(s.dir, 'confab.log')], { encoding: 'utf8' }).stdout
      : '';

    expect(run.error, run.stderr).toBeUndefined();
    expect(run.stdout, `${run.stderr}\n${log}`).toContain('health={"status":"up"}');
    const took = Number(/took_ms=(\d+)/.exec(run.stdout)?.[1]);
    expect(took).toBeLessThan(10_000);
    expect(run.stdout).toContain('exit=0');
    expect(run.stdout).toContain('redis_left=0');
    expect(log).toContain('starting an embedded redis-server');
    expect(readdirSync(join(s.dir, 'data', 'redis')).length).toBeGreaterThan(0);
  });
});
