import type { ConversationEvent } from './Event.js';

// Ports of the realtime App channel: the live feed of recorded events, and the one-time tickets with which
// a browser (which cannot set an Authorization header on a WebSocket) opens the channel.

/** What a {@link RealtimeFeed} tells one subscriber. */
export interface RealtimeListener {
  /** A recorded event of the application, in id order per conversation. */
  onEvent(event: ConversationEvent): void;
  /**
   * The feed may have missed events (its connection dropped and came back). Subscribers that need every
   * event should catch up from the event log for everything they follow.
   */
  onResync?(): void;
}

/**
 * The live feed of recorded events, per application. It is at most once and live only: an event recorded
 * while nobody follows (or while the feed's connection is away) is not replayed. Readers that need every
 * event catch up from the {@link EventRepository} by id, which is gap-free because ids are contiguous.
 */
export interface RealtimeFeed {
  /**
   * Follows one application's events. Resolves once the subscription is in place: every event recorded
   * after that reaches the listener. The returned function stops following; it is idempotent.
   */
  subscribe(applicationId: string, listener: RealtimeListener): Promise<() => void>;
  /** Stops every subscription and releases the feed's connection; idempotent. */
  close(): Promise<void>;
}

/** What a realtime ticket stands for: the client token it was exchanged for. */
export interface RealtimeTicketGrant {
  readonly applicationId: string;
  /** The user NAME of the client token (its `sub`). */
  readonly userName: string;
  /** The client token's `acl` claim as JSON, checked again when the socket posts events. */
  readonly acl: unknown;
}

/** One-time, short-lived tickets that open the realtime channel in place of a bearer token. */
export interface RealtimeTicketRepository {
  /** Stores a grant under a fresh unguessable ticket that lapses after `ttlSeconds`; returns the ticket. */
  issue(grant: RealtimeTicketGrant, ttlSeconds: number): Promise<string>;
  /** Takes the grant of a ticket and forgets the ticket: null when unknown, already used or lapsed. */
  redeem(ticket: string): Promise<RealtimeTicketGrant | null>;
}

/**
 * What a client token's ACL must allow to open the realtime channel or get a ticket for it: creating a
 * session (`/*\/sessions/**` in Vonage's client ACL), since each open socket is a Session of its user.
 */
export const REALTIME_SESSION_ACL = Object.freeze({ method: 'POST', path: '/v1/sessions' } as const);

/** How long a realtime ticket lives, in seconds, unless configured otherwise. */
export const REALTIME_TICKET_TTL_SECONDS = 30;
