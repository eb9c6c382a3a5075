import type { Conversation, ConversationPatch, NewConversation } from './Conversation.js';
import type { ConversationEvent, NewEvent } from './Event.js';
import type { Leg, LegPatch, NewLeg } from './Leg.js';
import type { Member, MemberPatch, MemberState, NewMember } from './Member.js';
import type { Page, PageRequest } from './Page.js';
import type { Session } from './Session.js';
import type { NewUser, User, UserPatch } from './User.js';

// The ports: what services need of the outside world. The store room implements the repositories over
// Redis and the events room implements the event port over BullMQ; services see only these interfaces.
// Every operation is scoped by application id, so that one tenant never reaches another's data.

/** Users of an application. */
export interface UserRepository {
  /** Creates a user; `user:error:duplicate-name` when the name is taken in the application. */
  create(applicationId: string, user: NewUser): Promise<User>;
  /** The user, or null. */
  get(applicationId: string, id: string): Promise<User | null>;
  /** The user with that name, or null. */
  getByName(applicationId: string, name: string): Promise<User | null>;
  /** Applies a patch; `user:error:not-found`, or `user:error:duplicate-name` on a rename to a taken name. */
  update(applicationId: string, id: string, patch: UserPatch): Promise<User>;
  /** Deletes the user; false when there was none. */
  delete(applicationId: string, id: string): Promise<boolean>;
  /** Users by creation time, optionally only the one named `name`. */
  list(applicationId: string, page: PageRequest, filter?: { name?: string }): Promise<Page<User>>;
}

/** What {@link ConversationRepository.getWithUser} reads. */
export interface ConversationWithUser {
  /** The conversation with its sequence number, or null. */
  readonly conversation: Conversation | null;
  /** The named user, or null (no name given, no such user, or no such conversation). */
  readonly user: User | null;
  /** The user's latest member in the conversation, or null. */
  readonly member: Member | null;
}

/** Conversations of an application. */
export interface ConversationRepository {
  /** Creates a conversation (a `NAM-` name when none is given); `conversation:error:duplicate-name`. */
  create(applicationId: string, conversation: NewConversation): Promise<Conversation>;
  get(applicationId: string, id: string): Promise<Conversation | null>;
  getByName(applicationId: string, name: string): Promise<Conversation | null>;
  /**
   * The conversation, the user named `userName` (no user when null) and that user's latest member in the
   * conversation, read together in one step (the access check of conversation-scoped requests).
   */
  getWithUser(applicationId: string, id: string, userName: string | null): Promise<ConversationWithUser>;
  /** Applies a patch; `conversation:error:not-found` or `conversation:error:duplicate-name`. */
  update(applicationId: string, id: string, patch: ConversationPatch): Promise<Conversation>;
  /** Deletes the conversation with its members, legs index, events and name. False when there was none. */
  delete(applicationId: string, id: string): Promise<boolean>;
  /** Conversations by creation time, optionally created within [dateStart, dateEnd] (ISO strings). */
  list(
    applicationId: string,
    page: PageRequest,
    filter?: { dateStart?: string; dateEnd?: string },
  ): Promise<Page<Conversation>>;
}

/** Members of conversations. */
export interface MemberRepository {
  /**
   * Creates a member. A user has at most one member per conversation: creating a second one fails with
   * `conversation:error:already-member` (or `member-already-joined` when the existing one is JOINED), unless
   * the existing member has LEFT.
   */
  create(applicationId: string, member: NewMember): Promise<Member>;
  get(applicationId: string, conversationId: string, memberId: string): Promise<Member | null>;
  /** The member of that user in the conversation (the latest one), or null. */
  getByUser(applicationId: string, conversationId: string, userId: string): Promise<Member | null>;
  update(
    applicationId: string,
    conversationId: string,
    memberId: string,
    patch: MemberPatch,
  ): Promise<Member>;
  /** Members of a conversation by creation time. */
  list(applicationId: string, conversationId: string, page: PageRequest): Promise<Page<Member>>;
  /** The conversations a user has a member in, each with that member, optionally filtered by member state. */
  listConversationsOfUser(
    applicationId: string,
    userId: string,
    page: PageRequest,
    filter?: { state?: MemberState },
  ): Promise<Page<{ conversation: Conversation; member: Member }>>;
}

/** A phone or SIP call's records, made together by {@link LegRepository.createCall}. */
export interface NewCall {
  /** The user the member belongs to: found by name, created (with only its name) when there is none. */
  readonly userName: string;
  /** The leg; give `id` when the member's channel names it. */
  readonly leg: Omit<NewLeg, 'conversationId' | 'memberId'>;
  /** The user's member in the new conversation. */
  readonly member: Omit<NewMember, 'conversationId' | 'userId'>;
}

/** What {@link LegRepository.createCall} made. */
export interface CreatedCall {
  readonly userId: string;
  readonly conversation: Conversation;
  readonly member: Member;
  readonly leg: Leg;
}

/** Legs (calls) of an application. */
export interface LegRepository {
  create(applicationId: string, leg: NewLeg): Promise<Leg>;
  /**
   * Creates, in one atomic step, a new conversation, the user named `userName` when there is none, the
   * user's member and the leg (naming the member, its status history empty: a call's first status is
   * recorded as an event).
   */
  createCall(applicationId: string, call: NewCall): Promise<CreatedCall>;
  get(applicationId: string, id: string): Promise<Leg | null>;
  update(applicationId: string, id: string, patch: LegPatch): Promise<Leg>;
  /** Legs by creation time, optionally of one conversation. */
  list(applicationId: string, page: PageRequest, filter?: { conversationId?: string }): Promise<Page<Leg>>;
}

/** Realtime sessions of client users; they lapse unless refreshed. */
export interface SessionRepository {
  create(applicationId: string, userId: string, ttlSeconds: number): Promise<Session>;
  get(applicationId: string, id: string): Promise<Session | null>;
  /** Pushes the expiry forward; false when the session has already lapsed. */
  refresh(applicationId: string, id: string, ttlSeconds: number): Promise<boolean>;
  delete(applicationId: string, id: string): Promise<boolean>;
  /** The live sessions of a user. */
  listByUser(applicationId: string, userId: string, page: PageRequest): Promise<Page<Session>>;
}

/** Filters of an event list. */
export interface EventFilter {
  startId?: number;
  endId?: number;
  eventType?: string;
  excludeDeleted?: boolean;
}

/** Reading the recorded events of a conversation (recording itself goes through {@link EventPort}). */
export interface EventRepository {
  get(applicationId: string, conversationId: string, eventId: number): Promise<ConversationEvent | null>;
  /**
   * Events by id. `lastId` is the conversation's sequence number when the caller has just read it (with the
   * conversation): the list then ends there instead of reading the number again.
   */
  list(
    applicationId: string,
    conversationId: string,
    page: PageRequest,
    filter?: EventFilter,
    lastId?: number,
  ): Promise<Page<ConversationEvent>>;
  /** Marks an event deleted and empties its body; false when there was none. */
  markDeleted(applicationId: string, conversationId: string, eventId: number): Promise<boolean>;
}

/**
 * The event pipeline as services see it. `emit` resolves once the event is durably recorded and visible
 * to readers, with its id and timestamp. Events emitted one after another by one caller for one
 * conversation are recorded in that order, even when the caller does not wait between them.
 */
export interface EventPort {
  emit(event: NewEvent): Promise<ConversationEvent>;
}

/** A request to an application URL that must not be lost (a voice event, say). */
export interface OutboundWebhook {
  readonly applicationId: string;
  /**
   * Requests of one stream (a call's uuid) are sent one at a time, in the order they were handed over; a
   * request waits until the one before it was delivered or given up.
   */
  readonly stream: string;
  readonly method: 'GET' | 'POST';
  /** Where it goes; a GET carries its parameters in the query string. */
  readonly url: string;
  /** The JSON body of a POST. */
  readonly body?: string;
}

/**
 * Durable webhook delivery (the events room implements it over Redis and BullMQ). `enqueue` resolves once
 * the request is stored; it is then sent signed with the application's secret, retried with backoff, and
 * kept as a dead letter when its attempts run out, across restarts of the process that handed it over.
 */
export interface WebhookOutbox {
  enqueue(webhook: OutboundWebhook): Promise<void>;
}
