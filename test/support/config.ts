import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A scratch directory with an RSA key pair, for configuration files written by tests. */
export interface Scratch {
  readonly dir: string;
  readonly publicKeyPath: string;
  readonly privateKeyPath: string;
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
  /** Writes a file into the scratch directory and returns its path. */
  write(name: string, text: string): string;
}

/** Makes a scratch directory holding `keys/app.pub.pem` and `keys/app.key.pem`. */
export function scratch(): Scratch {
  const dir = mkdtempSync(join(tmpdir(), 'confab-test-'));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);

    return path;
  };
  write('app.pub.pem', publicKey);
  write('app.key.pem', privateKey);

  return {
    dir,
    publicKeyPath: join(dir, 'app.pub.pem'),
    privateKeyPath: join(dir, 'app.key.pem'),
    publicKeyPem: publicKey,
    privateKeyPem: privateKey,
    write,
  };
}

/**
 * A fresh Redis prefix for a test configuration: `t`, the run's id, then random characters. The global
 * teardown deletes every key of the run's prefixes (confab processes started by tests leave their calls,
 * conversations and queues behind).
 */
export function configPrefix(): string {
  return `t${testRunId()}-${randomUUID().slice(0, 8)}`;
}

/** The id of this test run (set by vitest.config.ts), shared by the workers and the global teardown. */
export function testRunId(): string {
  return process.env.CONFAB_TEST_RUN ?? 'norun';
}

/** A small valid configuration for tests, with the given HTTP port and Redis URL. */
export function minimalYaml(
  s: Scratch,
  options: { httpPort?: number; redisUrl?: string; appId?: string; sipPort?: number } = {},
): string {
  // SIP listens on loopback only, on the given port (tests that start confab pass a free one) or, for tests
  // that only load the file, on a random port above Linux's ephemeral range (never the shared 5060).
  const sipPort = options.sipPort ?? 61000 + Math.floor(Math.random() * 4000);

  return [
    'log: { level: warn, pretty: false }',
    `http: { host: 127.0.0.1, port: ${options.httpPort ?? 3000}, public_url: "http://127.0.0.1:${options.httpPort ?? 3000}" }`,
    `redis: { url: "${options.redisUrl ?? 'redis://127.0.0.1:6379'}", prefix: "${configPrefix()}" }`,
    'shutdown: { grace_period_ms: 3000 }',
    'applications:',
    '  - name: app',
    `    id: ${options.appId ?? randomUUID()}`,
    `    public_key: ${s.publicKeyPath}`,
    `    private_key: ${s.privateKeyPath}`,
    '    signature_secret: s3cret',
    'numbers:',
    '  - { number: "14155550100", application: app }',
    `sip: { listen: [ { transport: udp, host: 127.0.0.1, port: ${sipPort} }, { transport: tcp, host: 127.0.0.1, port: ${sipPort} } ] }`,
    '',
  ].join('\n');
}
