import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { checkSemantics } from './semantics.js';
import { fromPointer, formatPath, lineOf, type ConfigPath } from './locate.js';
import { CONFIG_SCHEMA } from './schema.js';
import { toConfig } from './build.js';
import type { ConfabConfig, ConfigProblem } from './types.js';

/** The file used when neither `--config` nor `CONFAB_CONFIG` names one. */
export const DEFAULT_CONFIG_FILE = 'config/confab.yaml';
/** The Redis URL used when the file and the environment name none. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Thrown by {@link loadConfig} with every problem found, all at once. */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  readonly file: string;

  constructor(file: string, problems: readonly ConfigProblem[]) {
    super(
      `${file}: ${problems.length} configuration problem(s)\n${problems.map(describeProblem).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

/** One line per problem: `path (line N): message`. */
export function describeProblem(problem: ConfigProblem): string {
  const where = problem.line === undefined ? problem.path : `${problem.path} (line ${problem.line})`;

  return `  ${where}: ${problem.message}`;
}

/** Options of {@link loadConfig}. */
export interface LoadOptions {
  /** The file to read; else `CONFAB_CONFIG`, else {@link DEFAULT_CONFIG_FILE}. */
  file?: string;
  /** The environment to read overrides and `${NAME}` secrets from. @defaultValue process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Base of relative paths (key files, data directories). @defaultValue process.cwd() */
  cwd?: string;
}

/** What {@link loadConfig} returns: the frozen configuration and advice that does not stop start-up. */
export interface LoadedConfig {
  readonly config: ConfabConfig;
  readonly warnings: readonly string[];
}

/** Environment variables that override one value each, and the YAML path they replace. */
const OVERRIDES: readonly { name: string; path: ConfigPath; integer?: boolean }[] = [
  { name: 'CONFAB_HTTP_HOST', path: ['http', 'host'] },
  { name: 'CONFAB_HTTP_PORT', path: ['http', 'port'], integer: true },
  { name: 'CONFAB_PUBLIC_URL', path: ['http', 'public_url'] },
  { name: 'CONFAB_REDIS_URL', path: ['redis', 'url'] },
  { name: 'CONFAB_REDIS_PREFIX', path: ['redis', 'prefix'] },
  { name: 'CONFAB_LOG_LEVEL', path: ['log', 'level'] },
  { name: 'CONFAB_SIP_PUBLIC_HOST', path: ['sip', 'public_host'] },
  { name: 'CONFAB_MEDIA_PUBLIC_IP', path: ['media', 'public_ip'] },
  { name: 'CONFAB_RTP_PORT_MIN', path: ['media', 'rtp_port_min'], integer: true },
  { name: 'CONFAB_RTP_PORT_MAX', path: ['media', 'rtp_port_max'], integer: true },
];

/** The names of the environment variables confab reads, for `--help` texts. */
export const ENV_VARIABLES: readonly string[] = [
  'CONFAB_CONFIG',
  'CONFAB_SIP_PORT',
  ...OVERRIDES.map((o) => o.name),
];

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile(CONFIG_SCHEMA);

/** Picks the configuration file: the explicit one, `CONFAB_CONFIG`, or the default. */
export function configFilePath(options: LoadOptions = {}): string {
  const env = options.env ?? process.env;

  return resolve(options.cwd ?? process.cwd(), options.file ?? env.CONFAB_CONFIG ?? DEFAULT_CONFIG_FILE);
}

/**
 * Loads the configuration once: reads the YAML, substitutes `${NAME}` secrets, applies environment
 * overrides, validates against the schema (defaults filled in), checks what a schema cannot (unique
 * names, references, key files, ranges), and returns the result deep-frozen. Every problem is reported
 * together in one {@link ConfigError}, with YAML paths and lines.
 */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = configFilePath(options);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [
      { path: file, message: `cannot read the file (${(error as Error).message})` },
    ]);
  }

  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((error) => ({
        path: 'YAML',
        line: error.linePos?.[0].line,
        message: error.message.split('\n')[0] ?? error.message,
      })),
    );
  }

  const problems: ConfigProblem[] = [];
  const at = (path: ConfigPath, message: string, keyOf?: string): void => {
    problems.push({
      path: formatPath(keyOf === undefined ? path : [...path, keyOf]),
      line: lineOf(doc, counter, path, keyOf),
      message,
    });
  };

  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [
      { path: '(top level)', line: 1, message: 'the file must hold a mapping of sections' },
    ]);
  }
  const tree = substituteSecrets(raw as Record<string, unknown>, [], env, at);
  const envProblems = applyOverrides(tree, env);

  if (!validate(tree)) {
    for (const error of validate.errors ?? []) {
      const { path, keyOf, message } = explain(error);
      at(path, message, keyOf);
    }
  }
  problems.push(...envProblems);

  // The cross-field checks run even when the schema found problems, so that one run reports everything.
  const semantic = checkSemantics(tree, cwd);
  for (const problem of semantic.problems) {
    at(problem.path, problem.message);
  }
  if (problems.length > 0) {
    throw new ConfigError(file, dedupe(problems));
  }
  const isDefaultUrl =
    env.CONFAB_REDIS_URL === undefined && readIn(tree, ['redis', 'url']) === DEFAULT_REDIS_URL;

  return {
    config: deepFreeze(toConfig(tree, file, semantic.keys, isDefaultUrl, cwd)),
    warnings: semantic.warnings,
  };
}

/** Replaces `${NAME}` in every string with the environment variable's value; a missing one is a problem. */
function substituteSecrets(
  node: Record<string, unknown> | unknown[],
  path: (string | number)[],
  env: Readonly<Record<string, string | undefined>>,
  at: (path: ConfigPath, message: string) => void,
): Record<string, unknown> {
  const visit = (value: unknown, here: (string | number)[]): unknown => {
    if (typeof value === 'string') {
      return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name: string) => {
        const found = env[name];
        if (found === undefined) {
          at(here, `the environment variable ${name} is not set (referenced as ${whole})`);

          return whole;
        }

        return found;
      });
    }
    if (Array.isArray(value)) {
      return value.map((item, index) => visit(item, [...here, index]));
    }
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, visit(item, [...here, key])]),
      );
    }

    return value;
  };

  return visit(node, path) as Record<string, unknown>;
}

/** Writes environment overrides into the tree before validation; returns problems with their values. */
function applyOverrides(
  tree: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const set = (path: ConfigPath, value: unknown): void => {
    let node = tree;
    for (const key of path.slice(0, -1)) {
      const next = node[key as string];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        node[key as string] = {};
      }
      node = node[key as string] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = value;
  };
  for (const override of OVERRIDES) {
    const value = env[override.name];
    if (value === undefined || value === '') {
      continue;
    }
    if (override.integer === true && !/^\d+$/.test(value)) {
      problems.push({ path: override.name, message: `must be a whole number, got "${value}"` });
      continue;
    }
    set(override.path, override.integer === true ? Number(value) : value);
  }
  const sipPort = env.CONFAB_SIP_PORT;
  if (sipPort !== undefined && sipPort !== '') {
    const listen = readIn(tree, ['sip', 'listen']);
    if (!/^\d+$/.test(sipPort)) {
      problems.push({ path: 'CONFAB_SIP_PORT', message: `must be a whole number, got "${sipPort}"` });
    } else {
      const entries = Array.isArray(listen)
        ? listen
        : [
            { transport: 'udp', host: '0.0.0.0' },
            { transport: 'tcp', host: '0.0.0.0' },
          ];
      set(
        ['sip', 'listen'],
        entries.map((entry: unknown) => ({ ...(entry as object), port: Number(sipPort) })),
      );
    }
  }

  return problems;
}

/** Reads a value at a path of a plain tree. */
export function readIn(tree: unknown, path: ConfigPath): unknown {
  let node = tree;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) {
      return undefined;
    }
    node = (node as Record<string | number, unknown>)[key];
  }

  return node;
}

/** Turns one Ajv error into a path and an operator-friendly sentence. */
function explain(error: ErrorObject): { path: ConfigPath; keyOf?: string; message: string } {
  const path = fromPointer(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return { path, keyOf: String(params.additionalProperty), message: 'unknown key (check its spelling)' };
    case 'required':
      return { path, message: `missing required key "${String(params.missingProperty)}"` };
    case 'type':
      return { path, message: `must be of type ${String(params.type)}` };
    case 'enum':
      return {
        path,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'pattern':
      return { path, message: `has an invalid format (expected to match ${String(params.pattern)})` };
    case 'anyOf':
      return { path, message: 'has an invalid value (see the reference in README.md)' };
    default:
      return { path, message: error.message ?? 'is invalid' };
  }
}

/** Drops repeated problems (Ajv may report one mistake through several branches of an anyOf). */
function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const problem of problems) {
    const key = `${problem.path}|${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(problem);
    }
  }
  // Inside an anyOf, the generic "invalid value" duplicates the precise message of a branch.
  return out.filter(
    (problem) =>
      !problem.message.startsWith('has an invalid value') ||
      !out.some((other) => other !== problem && other.path.startsWith(problem.path)),
  );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) {
      deepFreeze(item);
    }
  }

  return value;
}
