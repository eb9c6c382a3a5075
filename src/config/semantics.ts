import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { ConfigPath } from './locate.js';

/** Key material read for one application, by its index in `applications`. */
export interface LoadedKeys {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string | null;
}

/** What the cross-field checks found. */
export interface SemanticResult {
  readonly problems: { path: ConfigPath; message: string }[];
  readonly warnings: string[];
  readonly keys: LoadedKeys[];
}

interface RawApp {
  name: string;
  id: string;
  public_key: string;
  private_key: string | null;
  signature_secret: string;
}
interface RawTree {
  applications: (RawApp | null)[];
  numbers: ({ number: string; application: string } | null)[];
  trunks: ({ name: string; inbound: { allow: (string | null)[] } } | null)[];
  media: { rtp_port_min: number; rtp_port_max: number; jitter_min_ms: number; jitter_max_ms: number };
  sip: { listen: ({ transport: string; host: string; port: number } | null)[] };
}

// Entries that fail `keep` become null, so that indexes stay those of the file.
const list = <T>(value: unknown, keep: (item: unknown) => boolean): (T | null)[] =>
  Array.isArray(value) ? value.map((item) => (keep(item) ? (item as T) : null)) : [];
const present = <T>(items: (T | null)[], each: (item: T, index: number) => void): void => {
  items.forEach((item, index) => {
    if (item !== null) {
      each(item, index);
    }
  });
};
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;
const hasStrings =
  (...names: string[]) =>
  (item: unknown) =>
    isObject(item) && names.every((name) => typeof item[name] === 'string');

/**
 * Views a tree that may have failed the schema as a {@link RawTree}, keeping only entries whose fields
 * have the types the checks read (the schema reports the others). Indexes therefore refer to the kept
 * entries; entries are dropped only when the schema has already reported them.
 */
function tolerant(tree: Record<string, unknown>): RawTree {
  const section = (name: string): Record<string, unknown> => (isObject(tree[name]) ? tree[name] : {});
  const media = section('media');
  const sip = section('sip');
  const num = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);

  return {
    applications: list<RawApp>(
      tree.applications,
      hasStrings('name', 'id', 'public_key', 'signature_secret'),
    ).map(
      (app) => app && { ...app, private_key: typeof app.private_key === 'string' ? app.private_key : null },
    ),
    numbers: list(tree.numbers, hasStrings('number', 'application')),
    trunks: list<{ name: string; inbound?: { allow?: unknown } }>(tree.trunks, hasStrings('name')).map(
      (trunk) =>
        trunk && {
          name: trunk.name,
          inbound: { allow: list<string>(trunk.inbound?.allow, (item) => typeof item === 'string') },
        },
    ),
    media: {
      rtp_port_min: num(media.rtp_port_min, 0),
      rtp_port_max: num(media.rtp_port_max, 65535),
      jitter_min_ms: num(media.jitter_min_ms, 0),
      jitter_max_ms: num(media.jitter_max_ms, 100),
    },
    sip: { listen: list(sip.listen, hasStrings('transport', 'host')) },
  };
}

/**
 * The checks a schema cannot express: unique names, ids and numbers; references between sections; key
 * files that must be readable PEM (and a private key that matches its public key); sane ranges and CIDRs.
 * Runs only on a tree that passed the schema.
 */
export function checkSemantics(tree: Record<string, unknown>, cwd: string): SemanticResult {
  const raw = tolerant(tree);
  const problems: { path: ConfigPath; message: string }[] = [];
  const warnings: string[] = [];

  unique(
    raw.applications.map((app) => app?.name ?? null),
    ['applications'],
    'name',
    'application name',
    problems,
  );
  unique(
    raw.applications.map((app) => app?.id.toLowerCase() ?? null),
    ['applications'],
    'id',
    'application id',
    problems,
  );
  unique(
    raw.numbers.map((n) => n?.number ?? null),
    ['numbers'],
    'number',
    'number',
    problems,
  );
  unique(
    raw.trunks.map((t) => t?.name ?? null),
    ['trunks'],
    'name',
    'trunk name',
    problems,
  );
  unique(
    raw.sip.listen.map((l) => (l === null ? null : `${l.transport} ${l.host}:${l.port}`)),
    ['sip', 'listen'],
    'port',
    'listen address',
    problems,
  );

  const appNames = new Set(raw.applications.map((app) => app?.name));
  present(raw.numbers, (entry, index) => {
    if (!appNames.has(entry.application)) {
      problems.push({
        path: ['numbers', index, 'application'],
        message: `names the unknown application "${entry.application}"`,
      });
    }
  });
  present(raw.numbers, (entry, index) => {
    const fields = entry as { connect?: unknown; ncco?: unknown };
    if (fields.connect !== undefined && fields.ncco !== undefined) {
      problems.push({
        path: ['numbers', index, 'connect'],
        message: 'a number either connects to a WebSocket or runs an NCCO, not both',
      });
    }
    const reconnect = isObject(fields.connect) ? fields.connect.reconnect : undefined;
    if (
      isObject(reconnect) &&
      typeof reconnect.initial_delay_ms === 'number' &&
      typeof reconnect.max_delay_ms === 'number' &&
      reconnect.max_delay_ms < reconnect.initial_delay_ms
    ) {
      problems.push({
        path: ['numbers', index, 'connect', 'reconnect', 'max_delay_ms'],
        message: `must not be below initial_delay_ms (${reconnect.initial_delay_ms})`,
      });
    }
  });

  present(raw.trunks, (trunk, index) => {
    present(trunk.inbound.allow, (cidr, cidrIndex) => {
      if (!isCidr(cidr)) {
        problems.push({
          path: ['trunks', index, 'inbound', 'allow', cidrIndex],
          message: `"${cidr}" is not an address or CIDR block (such as 203.0.113.0/24)`,
        });
      }
    });
  });

  if (raw.media.rtp_port_min >= raw.media.rtp_port_max) {
    problems.push({ path: ['media', 'rtp_port_min'], message: 'must be below media.rtp_port_max' });
  }
  if (raw.media.jitter_min_ms > raw.media.jitter_max_ms) {
    problems.push({ path: ['media', 'jitter_min_ms'], message: 'must not exceed media.jitter_max_ms' });
  }

  const keys = raw.applications.map((app, index) => {
    if (app === null) {
      return { publicKeyPem: '', privateKeyPem: null };
    }
    const publicKey = readKey(app.public_key, cwd, 'public', ['applications', index, 'public_key'], problems);
    const privateKey =
      app.private_key === null
        ? null
        : readKey(app.private_key, cwd, 'private', ['applications', index, 'private_key'], problems);
    if (publicKey && privateKey && !samePublicKey(publicKey.key, privateKey.key)) {
      problems.push({
        path: ['applications', index, 'private_key'],
        message: 'does not belong to the configured public_key',
      });
    }
    if (app.signature_secret === 'change-me') {
      warnings.push(
        `applications[${index}].signature_secret is the example's "change-me": set a secret of your own before receiving real webhooks`,
      );
    }

    return { publicKeyPem: publicKey?.pem ?? '', privateKeyPem: privateKey?.pem ?? null };
  });

  return { problems, warnings, keys };
}

function unique(
  values: (string | null)[],
  base: ConfigPath,
  field: string,
  what: string,
  problems: { path: ConfigPath; message: string }[],
): void {
  const first = new Map<string, number>();
  present(values, (value, index) => {
    const earlier = first.get(value);
    if (earlier === undefined) {
      first.set(value, index);
    } else {
      problems.push({
        path: [...base, index, field],
        message: `duplicate ${what} "${value}" (already used at ${base.join('.')}[${earlier}])`,
      });
    }
  });
}

/** Reads a key given inline (PEM text) or as a path, and checks that it parses as the right kind. */
function readKey(
  value: string,
  cwd: string,
  kind: 'public' | 'private',
  path: ConfigPath,
  problems: { path: ConfigPath; message: string }[],
): { pem: string; key: KeyObject } | null {
  let pem = value;
  if (!value.trimStart().startsWith('-----BEGIN')) {
    const file = resolve(cwd, value);
    try {
      pem = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      const hint = code === 'ENOENT' ? ' (run `confab keys generate NAME` to make a key pair)' : '';
      problems.push({ path, message: `cannot read the ${kind} key file ${file}: ${code}${hint}` });

      return null;
    }
  }
  try {
    const key = kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') {
      problems.push({
        path,
        message: `must be an RSA ${kind} key (RS256), not ${String(key.asymmetricKeyType)}`,
      });

      return null;
    }

    return { pem, key };
  } catch {
    problems.push({ path, message: `is not a PEM ${kind} key` });

    return null;
  }
}

function samePublicKey(publicKey: KeyObject, privateKey: KeyObject): boolean {
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });

  return derived.equals(publicKey.export({ type: 'spki', format: 'der' }));
}

function isCidr(value: string): boolean {
  const [address, bits, ...rest] = value.split('/');
  if (address === undefined || rest.length > 0) {
    return false;
  }
  const family = isIP(address);
  if (family === 0) {
    return false;
  }
  if (bits === undefined) {
    return true;
  }
  if (!/^\d{1,3}$/.test(bits)) {
    return false;
  }

  return Number(bits) <= (family === 4 ? 32 : 128);
}
