import { DEFAULT_CLIENT_ACL, mintToken } from '../auth/index.js';
import type { ConfabConfig } from '../config/index.js';
import { CliExit } from './exit.js';

/** Parses `90s`, `15m`, `2h`, `1d` or a bare number of seconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (match === null) {
    return null;
  }
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? ''] ?? 1;

  return Number(match[1]) * unit;
}

/** `confab token`: an admin token, or a client token for `--sub`, signed with the application's private key. */
export async function mintCommand(
  config: ConfabConfig,
  options: { app: string; sub?: string; ttl: string; acl: 'client' | 'none' },
): Promise<string> {
  const app = config.applications.find((a) => a.id === options.app.toLowerCase() || a.name === options.app);
  if (app === undefined) {
    const known = config.applications.map((a) => a.name).join(', ') || 'none';
    throw new CliExit(`confab: no application "${options.app}" in ${config.source} (known: ${known})`, 2);
  }
  if (app.privateKeyPem === null) {
    throw new CliExit(
      `confab: application "${app.name}" has no private_key configured; tokens cannot be minted`,
      2,
    );
  }
  const ttl = parseDuration(options.ttl);
  if (ttl === null || ttl < 1 || ttl > 86400) {
    throw new CliExit(
      `confab: --ttl "${options.ttl}" must be a duration between 1s and 24h (such as 15m)`,
      2,
    );
  }

  return mintToken({
    applicationId: app.id,
    privateKeyPem: app.privateKeyPem,
    ttlSeconds: ttl,
    ...(options.sub === undefined ? {} : { sub: options.sub }),
    ...(options.sub !== undefined && options.acl === 'client' ? { acl: DEFAULT_CLIENT_ACL } : {}),
  });
}
