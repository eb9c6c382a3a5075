// JSON Schemas and wire shapes of the Voice API's Calls resource (../shared/reference/vonage-api.md §4.5).
// The SDKs snake-case request keys, except inside `ncco`, and send `level` of a stream as a string (the
// schemas coerce it). Anything about an NCCO beyond "an array of objects with an action" is checked by the
// voice room's validator, whose problems come back as `invalid_parameters` too.

import type { CallView } from '../../voice/index.js';
import { idParam } from './schemas.js';

const httpUrl = { type: 'string', pattern: '^https?://', maxLength: 2048 } as const;
const e164 = { type: 'string', pattern: '^\\+?[0-9]{1,20}$' } as const;
const method = { type: 'string', enum: ['GET', 'POST'] } as const;

/** An endpoint of `to` (phone, sip, websocket, app or vbc), with the fields each type needs. */
export const endpointSchema = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['phone', 'sip', 'websocket', 'app', 'vbc'] },
    number: e164,
    dtmfAnswer: { type: 'string', pattern: '^[0-9*#pP]*$', maxLength: 50 },
    uri: { type: 'string', minLength: 1, maxLength: 2048 },
    'content-type': { type: 'string', maxLength: 64 },
    headers: { type: 'object', additionalProperties: true },
    standard_headers: { type: 'object', additionalProperties: true },
    user: { type: 'string', minLength: 1, maxLength: 100 },
    extension: { type: 'string', minLength: 1, maxLength: 20 },
  },
  allOf: [
    { if: { properties: { type: { const: 'phone' } } }, then: { required: ['number'] } },
    {
      if: { properties: { type: { enum: ['sip', 'websocket'] } } },
      then: { required: ['uri'], properties: { uri: { type: 'string', pattern: '^(sips?:|wss?://)' } } },
    },
    { if: { properties: { type: { const: 'app' } } }, then: { required: ['user'] } },
    { if: { properties: { type: { const: 'vbc' } } }, then: { required: ['extension'] } },
  ],
} as const;

/** An NCCO as the route sees it: 1 to 100 objects; the voice room validates the actions. */
const nccoSchema = {
  type: 'array',
  minItems: 1,
  maxItems: 100,
  items: { type: 'object', required: ['action'], properties: { action: { type: 'string' } } },
} as const;

/** `POST /v1/calls`. */
export const createCallBody = {
  type: 'object',
  required: ['to'],
  properties: {
    to: { type: 'array', minItems: 1, maxItems: 1, items: endpointSchema },
    from: {
      type: 'object',
      required: ['type', 'number'],
      properties: { type: { type: 'string', const: 'phone' }, number: e164 },
    },
    random_from_number: { type: 'boolean' },
    ncco: nccoSchema,
    answer_url: { type: 'array', minItems: 1, maxItems: 1, items: httpUrl },
    answer_method: { ...method, default: 'GET' },
    event_url: { type: 'array', minItems: 1, maxItems: 1, items: httpUrl },
    event_method: { ...method, default: 'POST' },
    machine_detection: { type: 'string', enum: ['continue', 'hangup'] },
    advanced_machine_detection: { type: 'object' },
    length_timer: { type: 'integer', minimum: 1, maximum: 7200 },
    ringing_timer: { type: 'integer', minimum: 1, maximum: 120 },
  },
} as const;

/** The body of `POST /v1/calls` after validation. */
export interface CreateCallBody {
  to: [Record<string, unknown> & { type: string }];
  from?: { type: 'phone'; number: string };
  random_from_number?: boolean;
  ncco?: unknown[];
  answer_url?: [string];
  answer_method: 'GET' | 'POST';
  event_url?: [string];
  event_method: 'GET' | 'POST';
  length_timer?: number;
  ringing_timer?: number;
}

/** `201` of `POST /v1/calls`. */
export const createdCallSchema = {
  type: 'object',
  properties: {
    uuid: { type: 'string' },
    status: { type: 'string' },
    direction: { type: 'string' },
    conversation_uuid: { type: 'string' },
  },
} as const;

/** `PUT /v1/calls/{uuid}`. */
export const modifyCallBody = {
  type: 'object',
  required: ['action'],
  properties: {
    action: { type: 'string', enum: ['hangup', 'mute', 'unmute', 'earmuff', 'unearmuff', 'transfer'] },
    destination: {
      type: 'object',
      required: ['type'],
      properties: {
        type: { type: 'string', const: 'ncco' },
        ncco: nccoSchema,
        url: { type: 'array', minItems: 1, maxItems: 1, items: httpUrl },
      },
    },
  },
} as const;

/** The body of `PUT /v1/calls/{uuid}` after validation. */
export interface ModifyCallBody {
  action: 'hangup' | 'mute' | 'unmute' | 'earmuff' | 'unearmuff' | 'transfer';
  destination?: { type: 'ncco'; ncco?: unknown[]; url?: [string] };
}

/** `PUT …/talk`. */
export const talkBody = {
  type: 'object',
  required: ['text'],
  properties: {
    text: { type: 'string', minLength: 1, maxLength: 1500 },
    loop: { type: 'integer', minimum: 0, maximum: 1000, default: 1 },
    level: { type: 'number', minimum: -1, maximum: 1, default: 0 },
    language: { type: 'string', maxLength: 35 },
    style: { type: 'integer', minimum: 0 },
    premium: { type: 'boolean' },
    voice_name: { type: 'string', maxLength: 50 },
  },
} as const;

/** The body of `PUT …/talk` after validation. */
export interface TalkBody {
  text: string;
  loop: number;
  level: number;
  language?: string;
  style?: number;
  premium?: boolean;
}

/** `PUT …/stream`. */
export const streamBody = {
  type: 'object',
  required: ['stream_url'],
  properties: {
    stream_url: {
      type: 'array',
      minItems: 1,
      maxItems: 1,
      items: { type: 'string', pattern: '^(https?|file)://', maxLength: 2048 },
    },
    loop: { type: 'integer', minimum: 0, maximum: 1000, default: 1 },
    level: { type: 'number', minimum: -1, maximum: 1, default: 0 },
  },
} as const;

/** The body of `PUT …/stream` after validation. */
export interface StreamBody {
  stream_url: [string];
  loop: number;
  level: number;
}

/** `PUT /v1/calls/{uuid}/dtmf`. */
export const dtmfBody = {
  type: 'object',
  required: ['digits'],
  properties: { digits: { type: 'string', pattern: '^[0-9*#A-Da-d]+$', maxLength: 100 } },
} as const;

/** `PUT /v1/conversations/{id}/record`. */
export const recordBody = {
  type: 'object',
  required: ['action'],
  properties: {
    action: { type: 'string', enum: ['start', 'stop'] },
    split: { type: 'string', enum: ['conversation'] },
    format: { type: 'string', enum: ['wav'] },
    event_url: { type: 'array', minItems: 1, maxItems: 1, items: httpUrl },
    event_method: method,
  },
} as const;

/** The body of `PUT …/record` after validation. */
export interface RecordBody {
  action: 'start' | 'stop';
  split?: 'conversation';
}

/** `{uuid}` path parameters. */
export const uuidParams = { type: 'object', required: ['uuid'], properties: { uuid: idParam } } as const;

/** The answer of the talk, stream and DTMF routes. */
export const messageSchema = {
  type: 'object',
  properties: { message: { type: 'string' }, uuid: { type: 'string' } },
} as const;

const callStatuses = [
  'started',
  'ringing',
  'answered',
  'machine',
  'completed',
  'busy',
  'cancelled',
  'failed',
  'rejected',
  'timeout',
  'unanswered',
] as const;

const dateFilter = {
  type: 'string',
  maxLength: 40,
  description: 'ISO-8601, or `YYYY-MM-DD hh:mm:ss` in UTC.',
} as const;

/** `GET /v1/calls`. */
export const listCallsQuery = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: callStatuses },
    date_start: dateFilter,
    date_end: dateFilter,
    page_size: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
    record_index: { type: 'integer', minimum: 0, default: 0 },
    order: { type: 'string', enum: ['asc', 'desc', 'ASC', 'DESC'], default: 'asc' },
    conversation_uuid: idParam,
  },
} as const;

/** The query of `GET /v1/calls` after validation. */
export interface ListCallsQuery {
  status?: (typeof callStatuses)[number];
  date_start?: string;
  date_end?: string;
  page_size: number;
  record_index: number;
  order: string;
  conversation_uuid?: string;
}

/** A date filter as a Date; undefined for an unreadable one (the caller reports it). */
export function parseDateFilter(text: string): Date | undefined {
  const iso = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text;
  const date = new Date(iso);

  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** A call record in the Voice API's shape. */
export function renderCall(base: string, view: CallView): Record<string, unknown> {
  const { leg } = view;

  return {
    _links: { self: { href: `${base}/v1/calls/${leg.id}` } },
    uuid: leg.id,
    conversation_uuid: leg.conversationId,
    to: leg.to,
    from: leg.from,
    status: leg.status,
    direction: leg.direction,
    start_time: view.startTime,
    end_time: leg.endedAt,
    duration: view.duration === null ? null : String(view.duration),
  };
}
