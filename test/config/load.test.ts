import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigProblem } from '../../src/config/index.js';
import { minimalYaml, scratch } from '../support/config.js';

/** Loads a file and returns the problems of the ConfigError it must throw. */
function problemsOf(file: string, env: Record<string, string> = {}, cwd?: string): readonly ConfigProblem[] {
  try {
    loadConfig({ file, env, cwd });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);

    return (error as ConfigError).problems;
  }
  throw new Error(`${file} was accepted`);
}

describe('loadConfig', () => {
  it('loads the shipped example with its keys, applies defaults and freezes the result', () => {
    // The shipped file names keys under config/keys/; give it a copy of a fresh pair in a scratch tree.
    const s = scratch();
    mkdirSync(join(s.dir, 'config', 'keys'), { recursive: true });
    copyFileSync(s.publicKeyPath, join(s.dir, 'config/keys/demo.pub.pem'));
    copyFileSync(s.privateKeyPath, join(s.dir, 'config/keys/demo.key.pem'));
    const { config, warnings } = loadConfig({
      file: join(process.cwd(), 'config/confab.yaml'),
      env: {},
      cwd: s.dir,
    });

    expect(config.http).toMatchObject({ host: '0.0.0.0', port: 3000, publicUrl: 'http://127.0.0.1:3000' });
    expect(config.redis).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      prefix: 'confab',
      isDefaultUrl: true,
    });
    expect(config.sip.listen).toEqual([
      { transport: 'udp', host: '0.0.0.0', port: 5060 },
      { transport: 'tcp', host: '0.0.0.0', port: 5060 },
    ]);
    expect(config.sip.timers).toEqual({ t1Ms: 500, t2Ms: 4000, t4Ms: 5000 });
    expect(config.applications[0]).toMatchObject({
      name: 'demo',
      id: '3f7c2a4e-1b6d-4c8e-9a0f-2d5e6b7c8a9d',
    });
    expect(config.applications[0]?.publicKeyPem).toContain('BEGIN PUBLIC KEY');
    expect(config.numbers).toMatchObject([
      { number: '14155550100', application: 'demo' },
      { number: '14155550101', application: 'demo', connect: { uri: 'ws://127.0.0.1:8765/' } },
    ]);
    expect(config.numbers[0]?.ncco?.map((action) => action.action)).toEqual(['talk', 'conversation']);
    expect(config.applications[0]?.voice).toMatchObject({ answerUrl: null, eventUrl: null });
    expect(config.trunks[0]?.limits).toEqual({ maxCalls: 100, cps: 20 });
    expect(config.events.webhookAttempts).toBe(5);
    expect(warnings.join()).toContain('change-me');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.applications[0]?.voice)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('fills defaults for sections left out', () => {
    const s = scratch();
    const { config } = loadConfig({ file: s.write('c.yaml', 'applications: []\n'), env: {} });

    expect(config.media).toMatchObject({
      rtpPortMin: 20000,
      rtpPortMax: 29999,
      jitterMinMs: 20,
      jitterMaxMs: 100,
    });
    expect(config.shutdown.gracePeriodMs).toBe(10000);
    expect(config.applications).toEqual([]);
  });

  it('takes single values from the environment and secrets from ${NAME}', () => {
    const s = scratch();
    const file = s.write(
      'c.yaml',
      minimalYaml(s).replace('signature_secret: s3cret', 'signature_secret: "${APP_SECRET}"'),
    );
    const { config } = loadConfig({
      file,
      env: {
        APP_SECRET: 'from-env',
        CONFAB_HTTP_PORT: '4123',
        CONFAB_REDIS_URL: 'redis://127.0.0.1:6390',
        CONFAB_SIP_PORT: '5099',
        CONFAB_LOG_LEVEL: 'debug',
      },
    });

    expect(config.applications[0]?.signatureSecret).toBe('from-env');
    expect(config.http.port).toBe(4123);
    expect(config.redis).toMatchObject({ url: 'redis://127.0.0.1:6390', isDefaultUrl: false });
    expect(config.sip.listen.map((l) => l.port)).toEqual([5099, 5099]);
    expect(config.log.level).toBe('debug');
  });

  it('picks the file from CONFAB_CONFIG when no file is given', () => {
    const s = scratch();
    const file = s.write('elsewhere.yaml', minimalYaml(s, { httpPort: 4555 }));

    expect(loadConfig({ env: { CONFAB_CONFIG: file } }).config.http.port).toBe(4555);
  });

  it('reports a missing secret and a bad override with where they come from', () => {
    const s = scratch();
    const file = s.write(
      'c.yaml',
      minimalYaml(s).replace('signature_secret: s3cret', 'signature_secret: "${NOPE}"'),
    );
    const problems = problemsOf(file, { CONFAB_HTTP_PORT: 'eighty' });

    expect(problems).toContainEqual({
      path: 'applications[0].signature_secret',
      line: 10,
      message: 'the environment variable NOPE is not set (referenced as ${NOPE})',
    });
    expect(problems).toContainEqual({
      path: 'CONFAB_HTTP_PORT',
      message: 'must be a whole number, got "eighty"',
    });
  });

  it('reports three different mistakes at once, each with its path and line', () => {
    const s = scratch();
    const file = s.write(
      'bad.yaml',
      [
        'http:',
        '  port: "eighty"', // line 2: wrong type
        '  hots: 0.0.0.0', // line 3: unknown key
        'applications:',
        '  - name: app',
        '    id: 3f7c2a4e-1b6d-4c8e-9a0f-2d5e6b7c8a9d',
        `    public_key: ${s.publicKeyPath}`,
        '    signature_secret: x',
        'numbers:',
        '  - { number: "14155550100", application: ghost }', // line 10: unknown application
        '',
      ].join('\n'),
    );
    const problems = problemsOf(file);

    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'http.port', line: 2, message: 'must be of type integer' },
        { path: 'http.hots', line: 3, message: 'unknown key (check its spelling)' },
        { path: 'numbers[0].application', line: 10, message: 'names the unknown application "ghost"' },
      ]),
    );
    expect(problems).toHaveLength(3);
  });

  it('refuses duplicates, unreadable or mismatched keys, bad CIDRs and inverted ranges', () => {
    const s = scratch();
    const other = scratch();
    const file = s.write(
      'bad.yaml',
      [
        'media: { rtp_port_min: 30000, rtp_port_max: 20000 }',
        'applications:',
        '  - name: app',
        '    id: 3f7c2a4e-1b6d-4c8e-9a0f-2d5e6b7c8a9d',
        `    public_key: ${s.publicKeyPath}`,
        `    private_key: ${other.privateKeyPath}`,
        '    signature_secret: x',
        '  - name: app',
        '    id: 4f7c2a4e-1b6d-4c8e-9a0f-2d5e6b7c8a9d',
        `    public_key: ${join(s.dir, 'missing.pem')}`,
        '    signature_secret: x',
        'numbers:',
        '  - { number: "14155550100", application: app }',
        '  - { number: "14155550100", application: app }',
        'trunks:',
        '  - { name: t, inbound: { allow: [ 10.0.0.0/33 ] } }',
        '',
      ].join('\n'),
    );
    const byPath = new Map(problemsOf(file).map((p) => [p.path, p]));

    expect(byPath.get('media.rtp_port_min')?.message).toBe('must be below media.rtp_port_max');
    expect(byPath.get('applications[0].private_key')).toMatchObject({
      line: 6,
      message: 'does not belong to the configured public_key',
    });
    expect(byPath.get('applications[1].name')?.message).toMatch(/duplicate application name "app"/);
    expect(byPath.get('applications[1].public_key')).toMatchObject({ line: 10 });
    expect(byPath.get('applications[1].public_key')?.message).toMatch(
      /cannot read the public key file .*ENOENT/,
    );
    expect(byPath.get('numbers[1].number')).toMatchObject({ line: 14 });
    expect(byPath.get('trunks[0].inbound.allow[0]')?.message).toMatch(/not an address or CIDR/);
  });

  it('reports broken YAML with its line', () => {
    const s = scratch();
    const problems = problemsOf(s.write('broken.yaml', 'http:\n  port: 3000\n  port: 3001\n'));

    expect(problems[0]).toMatchObject({ path: 'YAML', line: 3 });
  });

  it('reports a missing file', () => {
    expect(problemsOf('/nonexistent/confab.yaml')[0]?.message).toMatch(/cannot read the file/);
  });

  it('accepts inline PEM keys', () => {
    const s = scratch();
    const inline = s.publicKeyPem
      .trim()
      .split('\n')
      .map((line) => `      ${line}`)
      .join('\n');
    const file = s.write(
      'inline.yaml',
      minimalYaml(s).replace(`public_key: ${s.publicKeyPath}`, `public_key: |\n${inline}`),
    );

    expect(loadConfig({ file, env: {} }).config.applications[0]?.publicKeyPem).toBe(s.publicKeyPem);
  });
});
