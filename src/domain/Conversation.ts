/** The lifecycle states of a conversation. */
export const CONVERSATION_STATES = ['ACTIVE', 'INACTIVE', 'DELETED'] as const;

/** A conversation state. */
export type ConversationState = (typeof CONVERSATION_STATES)[number];

/** A container of communication between users: members, legs and an ordered log of events. */
export interface Conversation {
  /** `CON-` + UUID. */
  readonly id: string;
  readonly applicationId: string;
  /** Unique per application; generated as `NAM-` + UUID when the client gives none. */
  name: string;
  displayName: string | null;
  imageUrl: string | null;
  state: ConversationState;
  /** The id of the last recorded event (0 when none). */
  sequenceNumber: number;
  properties: ConversationProperties;
  /** Request-only `numbers` and `callback` are kept verbatim for the voice layer. */
  numbers: unknown[];
  callback: Record<string, unknown> | null;
  /** ISO-8601 timestamps. */
  readonly createdAt: string;
  updatedAt: string;
  destroyedAt: string | null;
}

/** The `properties` of a conversation. */
export interface ConversationProperties {
  ttl: number | null;
  type: string | null;
  customSortKey: string | null;
  customData: Record<string, unknown>;
}

/** Fields a client may give when creating or replacing a conversation. */
export type NewConversation = Partial<
  Pick<Conversation, 'name' | 'displayName' | 'imageUrl' | 'properties' | 'numbers' | 'callback'>
>;

/** Fields that may change after creation. */
export type ConversationPatch = Partial<
  Pick<
    Conversation,
    | 'name'
    | 'displayName'
    | 'imageUrl'
    | 'properties'
    | 'numbers'
    | 'callback'
    | 'state'
    | 'sequenceNumber'
    | 'destroyedAt'
  >
>;
