import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey } from 'node:crypto';
import { jwtVerify, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { minimalYaml, scratch } from '../support/config.js';

describe('confab command line', () => {
  it('prints usage and exits 2 on an unknown command or flag', async () => {
    const unknownCommand = await runCli(['frobnicate']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'frobnicate'");

    const unknownFlag = await runCli(['config', 'check', '--frob']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toContain("unknown option '--frob'");
  });

  it('has --help on every command', async () => {
    for (const args of [[], ['start'], ['worker'], ['config', 'check'], ['keys', 'generate'], ['token']]) {
      const run = await runCli([...args, '--help']);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toContain('Usage: confab');
    }
  });

  it('config check prints a summary of a valid file', async () => {
    const s = scratch();
    const run = await runCli(['config', 'check', s.write('ok.yaml', minimalYaml(s))]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ok\.yaml: OK/);
    expect(run.stdout).toMatch(/Applications \(1\)\n {2}app /);
    expect(run.stdout).toContain('+14155550100 → app');
  });

  it('config check lists every mistake with path and line, and exits 2', async () => {
    const s = scratch();
    const bad = minimalYaml(s)
      .replace('pretty: false', 'pretty: false, colour: red')
      .replace('application: app', 'application: nobody')
      .replace(`public_key: ${s.publicKeyPath}`, 'public_key: /nowhere/key.pem');
    const run = await runCli(['config', 'check', s.write('bad.yaml', bad)]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('3 configuration problem(s)');
    expect(run.stderr).toContain('log.colour (line 1): unknown key');
    expect(run.stderr).toContain(
      'applications[0].public_key (line 8): cannot read the public key file /nowhere/key.pem',
    );
    expect(run.stderr).toContain('numbers[0].application (line 12): names the unknown application "nobody"');
  });

  it('keys generate writes a usable pair and the YAML to paste, and refuses to overwrite', async () => {
    const s = scratch();
    const dir = join(s.dir, 'keys');
    const run = await runCli(['keys', 'generate', 'shop', '--dir', dir]);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/- name: shop\n {4}id: [0-9a-f-]{36}\n/);
    const pub = readFileSync(join(dir, 'shop.pub.pem'), 'utf8');
    expect(createPublicKey(pub).asymmetricKeyType).toBe('rsa');
    expect(statSync(join(dir, 'shop.key.pem')).mode & 0o777).toBe(0o600);

    const again = await runCli(['keys', 'generate', 'shop', '--dir', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
    const quiet = await runCli(['keys', 'generate', 'shop', '--dir', dir, '--if-missing']);
    expect(quiet).toMatchObject({ code: 0, stdout: '' });
    expect(readFileSync(join(dir, 'shop.pub.pem'), 'utf8')).toBe(pub);
  });

  it('token mints an RS256 JWT that a standard JWT library verifies with the public key', async () => {
    const s = scratch();
    const appId = '3f7c2a4e-1b6d-4c8e-9a0f-2d5e6b7c8a9d';
    const file = s.write('c.yaml', minimalYaml(s, { appId }));

    const admin = await runCli(['token', '--app', 'app', '--ttl', '2m', '--config', file]);
    expect(admin.code).toBe(0);
    const adminJwt = admin.stdout.trim();
    expect(decodeProtectedHeader(adminJwt).alg).toBe('RS256');
    const { payload } = await jwtVerify(adminJwt, createPublicKey(s.publicKeyPem), { algorithms: ['RS256'] });
    expect(payload.application_id).toBe(appId);
    expect(payload.sub).toBeUndefined();
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(typeof payload.jti).toBe('string');

    const client = await runCli(['token', '--app', appId, '--sub', 'alice', '--config', file]);
    const verified = await jwtVerify(client.stdout.trim(), createPublicKey(s.publicKeyPem));
    expect(verified.payload.sub).toBe('alice');
    expect(verified.payload.exp! - verified.payload.iat!).toBe(900);
    expect(Object.keys((verified.payload.acl as { paths: object }).paths)).toContain('/*/conversations/**');
  });

  it('token refuses an unknown application or a bad ttl with exit 2', async () => {
    const s = scratch();
    const file = s.write('c.yaml', minimalYaml(s));

    const unknown = await runCli(['token', '--app', 'ghost', '--config', file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no application "ghost"');
    const ttl = await runCli(['token', '--app', 'app', '--ttl', '3d', '--config', file]);
    expect(ttl.code).toBe(2);
    expect(ttl.stderr).toContain('--ttl "3d"');
  });

  it('the installed bin runs the compiled CLI', async () => {
    // npm test builds dist/ before the suite runs; bin/confab.js must start it.
    expect(existsSync(new URL('../../dist/cli/run.js', import.meta.url))).toBe(true);
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(process.execPath, ['bin/confab.js', '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('keys');
  });
});
