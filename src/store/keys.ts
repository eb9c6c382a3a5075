/**
 * The one Redis key scheme of confab. Every key any room writes is built here.
 *
 * All keys of one application carry the application id as a hash tag (`confab:{<app>}:…`), so that every
 * multi-key operation of a tenant (a create that also claims a unique name, the recording of an event that
 * also updates a member) touches a single Redis Cluster slot, and several confab processes can share one
 * Redis. Records are stored as JSON strings of the domain objects.
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `user:<id>` | string | JSON User |
 * | `users` | zset | user ids by creation (score: ms) |
 * | `user-names` | hash | name → user id |
 * | `user:<id>:convs` | zset | conversation ids the user has a member in, by membership creation |
 * | `user:<id>:sessions` | zset | session ids by expiry (score: ms) |
 * | `conv:<id>` | string | JSON Conversation |
 * | `convs` | zset | conversation ids by creation |
 * | `conv-names` | hash | name → conversation id |
 * | `conv:<id>:members` | zset | member ids by creation |
 * | `conv:<id>:member-users` | hash | user id → latest member id |
 * | `conv:<id>:legs` | zset | leg ids by creation |
 * | `conv:<id>:events` | hash | event id → JSON ConversationEvent |
 * | `conv:<id>:seq` | string | last event id |
 * | `conv:<id>:event-keys` | hash | idempotency key of an accepted event → its id |
 * | `conv:<id>:deleted` | string | tombstone of a deleted conversation (expires after a day) |
 * | `member:<id>` | string | JSON Member |
 * | `leg:<id>` | string | JSON Leg |
 * | `legs` | zset | leg ids by creation |
 * | `session:<id>` | string | JSON Session, with a Redis TTL |
 * | `conv:<id>:webhook-cursor` | string | id of the last event delivered (or dead-lettered) to the app's webhook |
 * | `webhook-attempts` | hash | `<conversation id>:<event id>` or `outbox:<stream>:<request id>` → failed attempts so far |
 * | `webhook-dead` | hash | dead letter id → JSON dead letter of a webhook delivery |
 * | `outbox:<stream>` | list | JSON requests (voice events of a call) waiting for delivery, oldest first |
 * | `outbox-streams` | set | the streams whose `outbox:<stream>` list is not empty |
 *
 * Outside the application tag: `global:recorded:<producer id>` is the pub/sub channel on which the recording
 * script confirms a producer's jobs (see src/events and docs/events.md).
 */
export class KeyScheme {
  readonly #prefix: string;

  /** @param prefix - the configured `redis.prefix`, such as `confab` (a test uses a fresh one). */
  constructor(prefix: string) {
    if (prefix.length === 0 || /[{}\s]/.test(prefix)) {
      throw new TypeError(`invalid Redis key prefix [prefix:${prefix}]`);
    }
    this.#prefix = prefix;
  }

  /** The configured prefix. */
  get prefix(): string {
    return this.#prefix;
  }

  /** The part every key of one application starts with, hash tag included. */
  app(applicationId: string): string {
    return `${this.#prefix}:{${applicationId}}`;
  }

  user(app: string, id: string): string {
    return `${this.app(app)}:user:${id}`;
  }
  users(app: string): string {
    return `${this.app(app)}:users`;
  }
  userNames(app: string): string {
    return `${this.app(app)}:user-names`;
  }
  userConversations(app: string, userId: string): string {
    return `${this.app(app)}:user:${userId}:convs`;
  }
  userSessions(app: string, userId: string): string {
    return `${this.app(app)}:user:${userId}:sessions`;
  }

  conversation(app: string, id: string): string {
    return `${this.app(app)}:conv:${id}`;
  }
  conversations(app: string): string {
    return `${this.app(app)}:convs`;
  }
  conversationNames(app: string): string {
    return `${this.app(app)}:conv-names`;
  }
  conversationMembers(app: string, id: string): string {
    return `${this.app(app)}:conv:${id}:members`;
  }
  conversationMemberUsers(app: string, id: string): string {
    return `${this.app(app)}:conv:${id}:member-users`;
  }
  conversationLegs(app: string, id: string): string {
    return `${this.app(app)}:conv:${id}:legs`;
  }
  conversationEvents(app: string, id: string): string {
    return `${this.app(app)}:conv:${id}:events`;
  }
  conversationSeq(app: string, id: string): string {
    return `${this.app(app)}:conv:${id}:seq`;
  }
  conversationEventKeys(app: string, id: string): string {
    return `${this.app(app)}:conv:${id}:event-keys`;
  }
  /** Set for a day when a conversation is deleted, so that events still queued for it are refused. */
  conversationTombstone(app: string, id: string): string {
    return `${this.app(app)}:conv:${id}:deleted`;
  }

  member(app: string, id: string): string {
    return `${this.app(app)}:member:${id}`;
  }
  leg(app: string, id: string): string {
    return `${this.app(app)}:leg:${id}`;
  }
  legs(app: string): string {
    return `${this.app(app)}:legs`;
  }
  session(app: string, id: string): string {
    return `${this.app(app)}:session:${id}`;
  }

  /**
   * The prefix BullMQ queues use. BullMQ builds `<prefix>:<queue>:<suffix>` keys and runs Lua over several
   * of them, so the prefix itself carries one hash tag.
   */
  queuePrefix(): string {
    return `{${this.#prefix}:q}`;
  }

  /** The webhook delivery cursor of a conversation: the last event id handed to the application's webhook. */
  conversationWebhookCursor(app: string, id: string): string {
    return `${this.app(app)}:conv:${id}:webhook-cursor`;
  }
  /** Failed webhook attempts of the event each conversation is currently stuck on. */
  webhookAttempts(app: string): string {
    return `${this.app(app)}:webhook-attempts`;
  }
  /** Webhook deliveries that exhausted their retries (dead letters) of an application. */
  webhookDeadLetters(app: string): string {
    return `${this.app(app)}:webhook-dead`;
  }
  /** The requests of one outbox stream (a call's voice events) not delivered yet, oldest first. */
  webhookOutbox(app: string, stream: string): string {
    return `${this.app(app)}:outbox:${stream}`;
  }
  /** The outbox streams of an application that hold requests. */
  webhookOutboxStreams(app: string): string {
    return `${this.app(app)}:outbox-streams`;
  }
  /** The pub/sub channel on which the recording script confirms the jobs of one event producer. */
  producerChannel(producerId: string): string {
    return this.global(`recorded:${producerId}`);
  }

  /** The pub/sub channel on which recorded events of an application are fanned out. */
  realtimeChannel(app: string): string {
    return `${this.app(app)}:realtime`;
  }

  /**
   * A one-time realtime ticket. Tickets are presented without any application id, so they live outside the
   * application tag; each is a single key (SET NX EX, then GETDEL), so no slot spans several keys.
   */
  realtimeTicket(ticket: string): string {
    return this.global(`rt-ticket:${ticket}`);
  }

  /** A key of process-wide bookkeeping that belongs to no application (dead letters, worker heartbeats). */
  global(name: string): string {
    return `${this.#prefix}:global:${name}`;
  }
}
