import {
  ConfabError,
  nowIso,
  type ConversationEvent,
  type EventFilter,
  type EventRepository,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import { type RedisClient } from './connection.js';
import { type Position } from './cursor.js';
import { type KeyScheme } from './keys.js';
import { LuaScript } from './LuaScript.js';
import { paginate, type Scan } from './pagination.js';
import { parseRecord } from './record.js';

// Replaces one event of the events hash if its stored text is unchanged.
const REPLACE_EVENT = new LuaScript(`
-- KEYS: events hash. ARGV: event id, expected JSON, new JSON.
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 'missing' end
if current ~= ARGV[2] then return 'conflict' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 'ok'
`);

/** How often marking an event deleted is retried while the event keeps changing. */
const MAX_ATTEMPTS = 50;

/**
 * The read side of a conversation's event log. The event pipeline records events into
 * `conv:<id>:events` (a hash of event id to the JSON ConversationEvent) and counts them in `conv:<id>:seq`;
 * ids run from 1 to that count without gaps, so lists walk ids arithmetically instead of through an index.
 */
export class RedisEventRepository implements EventRepository {
  readonly #redis: RedisClient;
  readonly #keys: KeyScheme;

  /** @param redis - a connected command client. @param keys - the key scheme. */
  constructor(redis: RedisClient, keys: KeyScheme) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /** The event, or null. */
  async get(
    applicationId: string,
    conversationId: string,
    eventId: number,
  ): Promise<ConversationEvent | null> {
    if (!Number.isSafeInteger(eventId) || eventId < 1) {
      return null;
    }
    const json = await this.#redis.hget(
      this.#keys.conversationEvents(applicationId, conversationId),
      String(eventId),
    );

    return parseRecord<ConversationEvent>(json);
  }

  /**
   * Events by id, within [startId, endId] when given, of one type when `eventType` is given, and without
   * deleted ones when `excludeDeleted` is set; up to `lastId` when given, else up to the stored `seq`.
   * Ids that are not positive integers fail with `http:error:validation-fail` naming `start_id` or `end_id`.
   */
  async list(
    applicationId: string,
    conversationId: string,
    page: PageRequest,
    filter: EventFilter = {},
    lastId?: number,
  ): Promise<Page<ConversationEvent>> {
    const startId = checkId('start_id', filter.startId) ?? 1;
    const events = this.#keys.conversationEvents(applicationId, conversationId);
    const seq =
      lastId ??
      Number((await this.#redis.get(this.#keys.conversationSeq(applicationId, conversationId))) ?? '0');
    const endId = Math.min(checkId('end_id', filter.endId) ?? seq, seq);
    const { eventType, excludeDeleted = false } = filter;

    return paginate(page, idScan(startId, endId), async (positions) => {
      const texts = await this.#redis.hmget(events, ...positions.map((position) => String(position.score)));

      return texts.map((text) => {
        const event = parseRecord<ConversationEvent>(text);
        if (event === null || (eventType !== undefined && event.type !== eventType)) {
          return null;
        }

        return excludeDeleted && event.deletedAt !== null ? null : event;
      });
    });
  }

  /** Empties the event's body and stamps `deletedAt` (kept from the first time); false when there is none. */
  async markDeleted(applicationId: string, conversationId: string, eventId: number): Promise<boolean> {
    if (!Number.isSafeInteger(eventId) || eventId < 1) {
      return false;
    }
    const events = this.#keys.conversationEvents(applicationId, conversationId);
    const field = String(eventId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const expected = await this.#redis.hget(events, field);
      const event = parseRecord<ConversationEvent>(expected);
      if (expected === null || event === null) {
        return false;
      }
      if (event.deletedAt !== null) {
        return true;
      }
      const next: ConversationEvent = { ...event, body: {}, deletedAt: nowIso() };
      const status = await REPLACE_EVENT.status(
        this.#redis,
        [events],
        [field, expected, JSON.stringify(next)],
      );
      if (status !== 'conflict') {
        return status === 'ok';
      }
    }
    throw new ConfabError('system:error:unavailable', `Event too busy to delete [id:${eventId}].`);
  }
}

/** A validated event id filter, or undefined when absent. */
function checkId(parameter: string, value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
    const reason = 'must be a positive integer';
    throw new ConfabError('http:error:validation-fail', `${parameter} ${reason}.`, [
      { name: parameter, reason },
    ]);
  }

  return value;
}

/** A {@link Scan} over the contiguous ids `first`..`last`; a position's score is the event id. */
function idScan(first: number, last: number): Scan {
  return (from, travel, count) => {
    const positions: Position[] = [];
    if (travel === 'up') {
      const start = Math.max(first, from === null ? first : from.score + 1);
      for (let id = start; id <= last && positions.length < count; id += 1) {
        positions.push({ score: id, id: String(id) });
      }
    } else {
      const start = Math.min(last, from === null ? last : from.score - 1);
      for (let id = start; id >= first && positions.length < count; id -= 1) {
        positions.push({ score: id, id: String(id) });
      }
    }

    return Promise.resolve(positions);
  };
}
