import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair } from '../auth/index.js';
import { CliExit } from './exit.js';

/**
 * `confab keys generate NAME`: writes `<dir>/<name>.pub.pem` and `<dir>/<name>.key.pem` (mode 0600) and
 * returns the YAML to paste under `applications:`. With `ifMissing`, an existing pair is left alone and
 * nothing is printed.
 */
export async function keysGenerate(
  name: string,
  dir: string,
  options: { ifMissing: boolean; force: boolean },
): Promise<string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new CliExit(`confab: "${name}" is not a valid application name (letters, digits, _ . -)`, 2);
  }
  const publicPath = join(dir, `${name}.pub.pem`);
  const privatePath = join(dir, `${name}.key.pem`);
  const exists = existsSync(publicPath) || existsSync(privatePath);
  if (exists && options.ifMissing) {
    return '';
  }
  if (exists && !options.force) {
    throw new CliExit(
      `confab: ${publicPath} or ${privatePath} already exists (use --force to replace them)`,
      1,
    );
  }
  const pair = await generateKeyPair();
  mkdirSync(dir, { recursive: true });
  writeFileSync(publicPath, pair.publicKeyPem, { mode: 0o644 });
  writeFileSync(privatePath, pair.privateKeyPem, { mode: 0o600 });

  return [
    `# Wrote ${publicPath} and ${privatePath}. Paste under applications: in your configuration:`,
    `  - name: ${name}`,
    `    id: ${randomUUID()}`,
    `    public_key: ${publicPath}`,
    `    private_key: ${privatePath}`,
    `    signature_secret: "\${${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SIGNATURE_SECRET}"`,
  ].join('\n');
}
