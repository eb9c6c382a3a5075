import type {
  ConversationEvent,
  ConversationRepository,
  EventPort,
  EventRepository,
  Leg,
  LegRepository,
  Member,
  MemberRepository,
  SessionRepository,
  User,
  UserRepository,
} from '../domain/index.js';

/** The repositories the services work against (the store room implements them over Redis). */
export interface Repositories {
  readonly users: UserRepository;
  readonly conversations: ConversationRepository;
  readonly members: MemberRepository;
  readonly legs: LegRepository;
  readonly sessions: SessionRepository;
  readonly events: EventRepository;
}

/**
 * Called when an API client hangs a leg up, before the leg is marked completed. The SIP layer will supply
 * one that ends the call; until then legs are only marked.
 */
export type LegHangupHook = (leg: Leg) => Promise<void>;

/** A member together with its user (null when the user has since been deleted), for rendering. */
export interface MemberView {
  readonly member: Member;
  readonly user: User | null;
}

/** An event together with the member and user it comes from, when known, for rendering. */
export interface EventView {
  readonly event: ConversationEvent;
  readonly member: Member | null;
  readonly user: User | null;
}

/** What {@link createServices} needs. */
export interface ServiceDependencies {
  readonly repositories: Repositories;
  /** The event pipeline; every state change is recorded through it. */
  readonly eventPort: EventPort;
  /** Ends a leg's call when the API hangs the leg up; none until calls exist. */
  readonly hangup?: LegHangupHook;
}
