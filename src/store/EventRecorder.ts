import { type RedisClient } from './connection.js';
import { type KeyScheme } from './keys.js';
import { LuaScript } from './LuaScript.js';

/**
 * The state change an event carries, worked out by the caller (the events room) and applied by the
 * recording script in the same atomic step as the event itself.
 */
export type EventEffect =
  | { kind: 'none' }
  /** `member:joined|left|invited`: the member's state, the matching timestamp and, on leaving, the reason. */
  | {
      kind: 'member';
      memberId: string;
      state: 'INVITED' | 'JOINED' | 'LEFT';
      timestampField: 'invited' | 'joined' | 'left';
      reason?: { code: string; text: string };
    }
  /** `leg:status:update`: the leg's status, one more history entry and, on a final status, its end. */
  | { kind: 'leg'; legId: string; status: string; reason?: string; final: boolean };

/** One event to record: everything of the ConversationEvent except its id. */
export interface EventToRecord {
  readonly conversationId: string;
  /** The producer's idempotency key: recording the same key twice yields the first id. */
  readonly key: string;
  readonly type: string;
  readonly from: string | null;
  readonly body: Record<string, unknown>;
  readonly effect: EventEffect;
}

/** What the script did with one event. */
export interface RecordedEvent {
  readonly id: number;
  /** The stored timestamp (the first recording's, for a duplicate). */
  readonly timestamp: string;
  /** False when the key had been recorded before and nothing was written. */
  readonly isNew: boolean;
  /** True when the conversation has been deleted: nothing was written and `id` is 0. */
  readonly refused: boolean;
}

/** Options of {@link EventRecorder.record}. */
export interface RecordOptions {
  /** The id of the BullMQ job, echoed in the confirmation. */
  readonly jobId: string;
  /** The channel on which to confirm the batch to its producer, or null for none. */
  readonly confirmChannel: string | null;
  /** The recording time (ISO-8601 UTC with milliseconds); one for the whole batch. */
  readonly timestamp: string;
}

// The recording script. All keys of one call belong to one application, so they share the `{<app>}` hash
// tag and one cluster slot. Per event it takes five keys (seq, events, event-keys, effect target, the
// conversation's tombstone) and three arguments (idempotency key, the event JSON after its id, the effect
// as JSON).
//
// An event of a conversation deleted while the event was queued (its tombstone is set) is refused: it
// gets id 0 and nothing is written, so a deleted conversation never grows its keys back.
//
// An event whose idempotency key is already in `event-keys` is a redelivery: nothing is written and the
// first id is returned. Otherwise INCR gives the next id, the event and its key are stored, the effect is
// applied and the event is published for realtime fan-out. Redis runs a script alone, so a reader never
// sees id N+1 before N, and a crash can never leave half an event behind.
//
// The event JSON is built by concatenation (`{"id":N,` + the caller's tail) rather than by cjson, which
// would turn empty arrays into objects and round numbers to 14 significant digits. Members and legs must
// be decoded to change them: an empty array `[]` is swapped for a sentinel number around the cjson round
// trip so that it comes back as `[]`; numbers in those records keep 14 significant digits (they hold
// none longer). A member or leg that does not decode is left alone rather than failing the batch.
const SCRIPT = new LuaScript(`
local EMPTY = '-1.2345678901234e-299'
local function decodeRecord(raw)
  local ok, o = pcall(cjson.decode, (string.gsub(raw, '%[%]', EMPTY)))
  if ok and type(o) == 'table' then return o end
  return nil
end
local function encodeRecord(o)
  return (string.gsub(cjson.encode(o), '%-1%.2345678901234e%-299', '[]'))
end
local confirm, realtime, jobId, now, n = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local out = {}
for i = 1, n do
  local k, a = (i - 1) * 5, 5 + (i - 1) * 3
  local seqKey, eventsKey, eventKeysKey, targetKey = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local key, tail, effect = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local existing = redis.call('HGET', eventKeysKey, key)
  if not existing and redis.call('EXISTS', KEYS[k + 5]) == 1 then
    out[#out + 1] = { 0, '', 0 }
  elseif existing then
    local stored = redis.call('HGET', eventsKey, existing)
    local ts = ''
    if stored then
      local ok, decoded = pcall(cjson.decode, stored)
      if ok and type(decoded.timestamp) == 'string' then ts = decoded.timestamp end
    end
    out[#out + 1] = { tonumber(existing), ts, 0 }
  else
    local id = redis.call('INCR', seqKey)
    local json = '{"id":' .. id .. ',"timestamp":"' .. now .. '",' .. tail
    redis.call('HSET', eventsKey, id, json)
    redis.call('HSET', eventKeysKey, key, id)
    if effect ~= '' then
      local e = cjson.decode(effect)
      local raw = redis.call('GET', targetKey)
      local o = raw and decodeRecord(raw)
      if o then
        if e.kind == 'member' then
          o.state = e.state
          if type(o.timestamps) ~= 'table' then o.timestamps = {} end
          o.timestamps[e.timestampField] = now
          if type(e.reason) == 'table' then o.leftReason = e.reason end
        elseif e.kind == 'leg' then
          o.status = e.status
          if type(o.statusHistory) ~= 'table' then o.statusHistory = {} end
          local step = { status = e.status, date = now }
          if type(e.reason) == 'string' then step.reason = e.reason end
          o.statusHistory[#o.statusHistory + 1] = step
          if e.final then o.endedAt = now end
        end
        o.updatedAt = now
        redis.call('SET', targetKey, encodeRecord(o), 'KEEPTTL')
      end
    end
    redis.call('PUBLISH', realtime, json)
    out[#out + 1] = { id, now, 1 }
  end
end
if confirm ~= '' then
  redis.call('PUBLISH', confirm, cjson.encode({ j = jobId, r = out }))
end
return out
`);

/** Thrown when the recording script answers something other than its documented reply. */
export class EventRecorderError extends Error {
  override readonly name = 'EventRecorderError';
  readonly code = 'ERR_EVENT_RECORDER_REPLY';
}

/**
 * Records batches of events of one application into their conversations with one atomic Lua script:
 * ids, idempotency, effects on members and legs, and the realtime publish happen together or not at all.
 * See docs/events.md for the guarantees this gives the pipeline.
 */
export class EventRecorder {
  readonly #redis: RedisClient;
  readonly #keys: KeyScheme;

  /** @param redis - a command connection; @param keys - the key scheme. */
  constructor(redis: RedisClient, keys: KeyScheme) {
    this.#redis = redis;
    this.#keys = keys;
  }

  /**
   * Records `events` (all of application `applicationId`, in this order) and returns one result per
   * event. Recording a batch again returns the same ids and writes nothing.
   */
  async record(
    applicationId: string,
    events: readonly EventToRecord[],
    options: RecordOptions,
  ): Promise<RecordedEvent[]> {
    if (events.length === 0) {
      return [];
    }
    const keys: string[] = [];
    const args: string[] = [
      options.confirmChannel ?? '',
      this.#keys.realtimeChannel(applicationId),
      options.jobId,
      options.timestamp,
      String(events.length),
    ];
    for (const event of events) {
      const c = event.conversationId;
      keys.push(
        this.#keys.conversationSeq(applicationId, c),
        this.#keys.conversationEvents(applicationId, c),
        this.#keys.conversationEventKeys(applicationId, c),
        this.#effectTarget(applicationId, event.effect),
        this.#keys.conversationTombstone(applicationId, c),
      );
      args.push(
        event.key,
        eventTail(applicationId, event),
        event.effect.kind === 'none' ? '' : JSON.stringify(event.effect),
      );
    }
    const reply = await SCRIPT.run(this.#redis, keys, args);

    return parseReply(reply, events.length);
  }

  #effectTarget(applicationId: string, effect: EventEffect): string {
    switch (effect.kind) {
      case 'member':
        return this.#keys.member(applicationId, effect.memberId);
      case 'leg':
        return this.#keys.leg(applicationId, effect.legId);
      case 'none':
        // A key of the same slot that the script never touches, so that every event has five keys.
        return this.#keys.app(applicationId);
    }
  }
}

/** The stored JSON of an event after `{"id":N,"timestamp":"…",` (the script writes those two fields). */
function eventTail(applicationId: string, event: EventToRecord): string {
  const json = JSON.stringify({
    applicationId,
    conversationId: event.conversationId,
    type: event.type,
    from: event.from,
    body: event.body,
    deletedAt: null,
  });

  return json.slice(1);
}

function parseReply(reply: unknown, expected: number): RecordedEvent[] {
  if (!Array.isArray(reply) || reply.length !== expected) {
    throw new EventRecorderError(`unexpected reply of the recording script [expected:${expected}]`);
  }

  return reply.map((row: unknown) => {
    if (!Array.isArray(row) || row.length !== 3) {
      throw new EventRecorderError('unexpected row in the reply of the recording script');
    }
    const [id, timestamp, isNew] = row as [unknown, unknown, unknown];

    return {
      id: Number(id),
      timestamp: String(timestamp),
      isNew: Number(isNew) === 1,
      refused: Number(id) === 0,
    };
  });
}
