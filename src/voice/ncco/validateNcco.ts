import { TALK_TEXT_MAX, type Ncco, type NccoAction } from '../VoiceTypes.js';
import { NccoValidationError, type NccoProblem } from './NccoError.js';

/** The actions confab knows, by their wire name. */
export const NCCO_ACTIONS = [
  'talk',
  'stream',
  'input',
  'record',
  'conversation',
  'connect',
  'notify',
  'wait',
] as const;

/** The most actions one NCCO may hold (a guard against runaway NCCOs, not a Vonage number). */
export const NCCO_MAX_ACTIONS = 100;

type Rule =
  | { readonly kind: 'string'; readonly max?: number; readonly min?: number; readonly pattern?: RegExp }
  | { readonly kind: 'number'; readonly min?: number; readonly max?: number; readonly integer?: boolean }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'urls' }
  | { readonly kind: 'strings' }
  | { readonly kind: 'object' }
  | { readonly kind: 'custom'; readonly check: (value: unknown, path: string, out: NccoProblem[]) => void };

const str = (more: Partial<{ max: number; min: number; pattern: RegExp }> = {}): Rule => ({
  kind: 'string',
  ...more,
});
const num = (min?: number, max?: number, integer = false): Rule => ({ kind: 'number', min, max, integer });
const bool: Rule = { kind: 'boolean' };
const oneOf = (...values: string[]): Rule => ({ kind: 'enum', values });
const urls: Rule = { kind: 'urls' };
const method = oneOf('GET', 'POST');

/** Field rules per action; `required` lists the fields that must be present. */
interface ActionSpec {
  readonly fields: Readonly<Record<string, Rule>>;
  readonly required: readonly string[];
}

const DTMF_KEY = /^[0-9*#]$/;

const nested =
  (fields: Readonly<Record<string, Rule>>, required: readonly string[] = []) =>
  (value: unknown, path: string, out: NccoProblem[]): void => {
    if (!isObject(value)) {
      out.push({ path, message: 'must be an object' });

      return;
    }
    checkFields(value, { fields, required }, path, out, false);
  };

const endpoint = (value: unknown, path: string, out: NccoProblem[]): void => {
  if (!Array.isArray(value) || value.length !== 1) {
    out.push({ path, message: 'must be an array of exactly one endpoint' });

    return;
  }
  const item: unknown = value[0];
  const at = `${path}[0]`;
  if (!isObject(item)) {
    out.push({ path: at, message: 'must be an object' });

    return;
  }
  const specs: Record<string, ActionSpec> = {
    phone: {
      fields: {
        number: str({ pattern: /^\+?[1-9][0-9]{1,14}$/ }),
        dtmfAnswer: str({ pattern: /^[0-9*#p]*$/ }),
        onAnswer: { kind: 'custom', check: nested({ url: str(), ringbackTone: str() }, ['url']) },
        shaken: str(),
      },
      required: ['number'],
    },
    sip: {
      fields: {
        uri: str({ pattern: /^sips?:/ }),
        headers: { kind: 'object' },
        standardHeaders: { kind: 'object' },
      },
      required: ['uri'],
    },
    websocket: {
      fields: {
        uri: str({ pattern: /^wss?:\/\// }),
        'content-type': oneOf('audio/l16;rate=8000', 'audio/l16;rate=16000', 'audio/l16;rate=24000'),
        contentType: oneOf('audio/l16;rate=8000', 'audio/l16;rate=16000', 'audio/l16;rate=24000'),
        headers: { kind: 'object' },
        authorization: {
          kind: 'custom',
          check: nested({ type: oneOf('vonage', 'custom'), value: str() }, ['type']),
        },
      },
      required: ['uri'],
    },
    app: { fields: { user: str({ min: 1 }) }, required: ['user'] },
    vbc: { fields: { extension: str({ min: 1 }) }, required: ['extension'] },
  };
  const type = item.type;
  const spec = typeof type === 'string' ? specs[type] : undefined;
  if (spec === undefined) {
    out.push({
      path: `${at}.type`,
      message: `must be one of ${Object.keys(specs).join(', ')} (got ${JSON.stringify(type)})`,
    });

    return;
  }
  checkFields(item, { fields: { type: str(), ...spec.fields }, required: spec.required }, at, out, false);
  if (type === 'websocket' && item['content-type'] === undefined && item.contentType === undefined) {
    out.push({ path: `${at}.content-type`, message: 'is required' });
  }
};

const SPECS: Readonly<Record<(typeof NCCO_ACTIONS)[number], ActionSpec>> = {
  talk: {
    fields: {
      text: str({ min: 1, max: TALK_TEXT_MAX }),
      bargeIn: bool,
      loop: num(0, 10, true),
      level: num(-1, 1),
      language: str({ pattern: /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/ }),
      style: num(0, undefined, true),
      premium: bool,
    },
    required: ['text'],
  },
  stream: {
    fields: { streamUrl: urls, level: num(-1, 1), bargeIn: bool, loop: num(0, 10, true) },
    required: ['streamUrl'],
  },
  input: {
    fields: {
      type: {
        kind: 'custom',
        check: (value, path, out) => {
          if (
            !Array.isArray(value) ||
            value.length === 0 ||
            !value.every((t) => t === 'dtmf' || t === 'speech')
          ) {
            out.push({ path, message: 'must be a non-empty array of "dtmf" and/or "speech"' });
          }
        },
      },
      dtmf: {
        kind: 'custom',
        check: nested({ timeOut: num(0, 10), maxDigits: num(1, 20, true), submitOnHash: bool }),
      },
      speech: { kind: 'object' },
      eventUrl: urls,
      eventMethod: method,
      mode: oneOf('asynchronous', 'synchronous'),
    },
    required: ['type'],
  },
  record: {
    fields: {
      format: oneOf('mp3', 'wav', 'ogg'),
      split: oneOf('conversation'),
      channels: num(1, 32, true),
      endOnSilence: num(3, 10),
      endOnKey: str({ pattern: DTMF_KEY }),
      timeOut: num(3, 7200),
      beepStart: bool,
      eventUrl: urls,
      eventMethod: method,
      transcription: { kind: 'object' },
    },
    required: [],
  },
  conversation: {
    fields: {
      name: str({ min: 1, max: 200 }),
      musicOnHoldUrl: urls,
      startOnEnter: bool,
      endOnExit: bool,
      record: bool,
      canSpeak: { kind: 'strings' },
      canHear: { kind: 'strings' },
      mute: bool,
      eventUrl: urls,
      eventMethod: method,
      transcription: { kind: 'object' },
    },
    required: ['name'],
  },
  connect: {
    fields: {
      endpoint: { kind: 'custom', check: endpoint },
      from: str({ pattern: /^\+?[1-9][0-9]{1,14}$/ }),
      randomFromNumber: bool,
      eventType: oneOf('synchronous'),
      timeout: num(3, 7200),
      limit: num(1, 7200),
      machineDetection: oneOf('continue', 'hangup'),
      advancedMachineDetection: { kind: 'object' },
      eventUrl: urls,
      eventMethod: method,
      ringbackTone: str(),
    },
    required: ['endpoint'],
  },
  notify: {
    fields: { payload: { kind: 'object' }, eventUrl: urls, eventMethod: method },
    required: ['payload', 'eventUrl'],
  },
  wait: { fields: { timeout: num(0.1, 7200) }, required: [] },
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) {
    return 'null';
  }

  return Array.isArray(value) ? 'an array' : typeof value;
}

function checkRule(rule: Rule, value: unknown, path: string, out: NccoProblem[]): void {
  switch (rule.kind) {
    case 'string':
      if (typeof value !== 'string') {
        out.push({ path, message: `must be a string (got ${describe(value)})` });
      } else if (rule.min !== undefined && value.length < rule.min) {
        out.push({
          path,
          message: rule.min === 1 ? 'must not be empty' : `must be at least ${rule.min} characters`,
        });
      } else if (rule.max !== undefined && value.length > rule.max) {
        out.push({ path, message: `must be at most ${rule.max} characters (got ${value.length})` });
      } else if (rule.pattern !== undefined && !rule.pattern.test(value)) {
        out.push({ path, message: `is not valid (${JSON.stringify(value.slice(0, 80))})` });
      }
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        out.push({ path, message: `must be a number (got ${describe(value)})` });
      } else if (rule.integer === true && !Number.isInteger(value)) {
        out.push({ path, message: `must be an integer (got ${value})` });
      } else if (
        (rule.min !== undefined && value < rule.min) ||
        (rule.max !== undefined && value > rule.max)
      ) {
        out.push({
          path,
          message: `must be between ${rule.min ?? '-∞'} and ${rule.max ?? '∞'} (got ${value})`,
        });
      }
      break;
    case 'boolean':
      if (typeof value !== 'boolean') {
        out.push({ path, message: `must be a boolean (got ${describe(value)})` });
      }
      break;
    case 'enum':
      if (typeof value !== 'string' || !rule.values.includes(value)) {
        out.push({
          path,
          message: `must be one of ${rule.values.join(', ')} (got ${JSON.stringify(value)})`,
        });
      }
      break;
    case 'urls':
      if (!Array.isArray(value) || value.length === 0) {
        out.push({ path, message: 'must be a non-empty array of URLs' });
      } else {
        value.forEach((item, i) => {
          if (typeof item !== 'string' || !/^(https?|file):/i.test(item)) {
            out.push({
              path: `${path}[${i}]`,
              message: `must be an http(s) or file URL (got ${JSON.stringify(item)})`,
            });
          }
        });
      }
      break;
    case 'strings':
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
        out.push({ path, message: 'must be an array of strings' });
      }
      break;
    case 'object':
      if (!isObject(value)) {
        out.push({ path, message: `must be an object (got ${describe(value)})` });
      }
      break;
    case 'custom':
      rule.check(value, path, out);
      break;
  }
}

function checkFields(
  value: Record<string, unknown>,
  spec: ActionSpec,
  path: string,
  out: NccoProblem[],
  isAction: boolean,
): void {
  for (const name of spec.required) {
    if (value[name] === undefined) {
      out.push({ path: `${path}.${name}`, message: 'is required' });
    }
  }
  for (const [name, field] of Object.entries(value)) {
    if (isAction && name === 'action') {
      continue;
    }
    const rule = spec.fields[name];
    if (rule === undefined) {
      out.push({ path: `${path}.${name}`, message: 'is not a field of this object' });
      continue;
    }
    if (field !== undefined) {
      checkRule(rule, field, `${path}.${name}`, out);
    }
  }
}

/** Returns every problem of `ncco` (empty when it is valid). */
export function nccoProblems(ncco: unknown): NccoProblem[] {
  const out: NccoProblem[] = [];
  if (!Array.isArray(ncco)) {
    out.push({ path: '(ncco)', message: `must be a JSON array of actions (got ${describe(ncco)})` });

    return out;
  }
  if (ncco.length === 0) {
    out.push({ path: '(ncco)', message: 'must hold at least one action' });
  }
  if (ncco.length > NCCO_MAX_ACTIONS) {
    out.push({
      path: '(ncco)',
      message: `holds ${ncco.length} actions; at most ${NCCO_MAX_ACTIONS} are allowed`,
    });

    return out;
  }
  ncco.forEach((item: unknown, index) => {
    const path = `[${index}]`;
    if (!isObject(item)) {
      out.push({ path, message: `must be an object (got ${describe(item)})` });

      return;
    }
    const action = item.action;
    const spec = typeof action === 'string' ? SPECS[action as keyof typeof SPECS] : undefined;
    if (spec === undefined || !Object.hasOwn(SPECS, action as string)) {
      out.push({
        path: `${path}.action`,
        message: `unknown action ${JSON.stringify(action)}; expected one of ${NCCO_ACTIONS.join(', ')}`,
      });

      return;
    }
    checkFields(item, spec, path, out, true);
  });

  return out;
}

/**
 * Validates an NCCO (a parsed JSON value) against the Vonage wire names and types; returns it typed, or
 * throws {@link NccoValidationError} listing every problem with its path.
 */
export function validateNcco(ncco: unknown): Ncco {
  const problems = nccoProblems(ncco);
  if (problems.length > 0) {
    throw new NccoValidationError(problems);
  }

  return ncco as readonly NccoAction[];
}
