import type { ChannelEndpoint } from './Member.js';

/** Leg types: which channel carries the leg's media. */
export const LEG_TYPES = ['app', 'phone', 'sip', 'websocket', 'vbc'] as const;

/** A leg type. */
export type LegType = (typeof LEG_TYPES)[number];

/** Leg statuses, as `leg:status:update` events and the Voice API report them. */
export const LEG_STATUSES = [
  'started',
  'ringing',
  'answered',
  'completed',
  'machine',
  'failed',
  'busy',
  'timeout',
  'cancelled',
  'rejected',
  // A WebSocket leg whose application closed the socket (Vonage's status for that case).
  'disconnected',
  // A WebSocket leg whose socket dropped and is being redialled (confab's own; not final, and followed by
  // `answered` again when a retry connects, or by `disconnected` when every retry failed).
  'reconnecting',
] as const;

/** A leg status. */
export type LegStatus = (typeof LEG_STATUSES)[number];

/** Statuses after which a leg carries no more media. */
export const FINAL_LEG_STATUSES: readonly LegStatus[] = [
  'completed',
  'failed',
  'busy',
  'timeout',
  'cancelled',
  'rejected',
  'disconnected',
];

/** One step of a leg's history. */
export interface LegStatusChange {
  status: LegStatus;
  date: string;
  reason?: string;
  sipCode?: number;
}

/** One call path (a SIP dialog, a WebSocket, an app connection) attached to a conversation. */
export interface Leg {
  /** A UUID, the Voice API's call `uuid`. */
  readonly id: string;
  readonly applicationId: string;
  conversationId: string;
  memberId: string | null;
  readonly type: LegType;
  readonly direction: 'inbound' | 'outbound';
  status: LegStatus;
  readonly from: ChannelEndpoint;
  readonly to: ChannelEndpoint;
  statusHistory: LegStatusChange[];
  readonly createdAt: string;
  updatedAt: string;
  /** Set when the leg reaches a final status. */
  endedAt: string | null;
}

/** Fields given when a leg is created. */
export type NewLeg = Pick<Leg, 'conversationId' | 'type' | 'direction' | 'from' | 'to'> &
  Partial<Pick<Leg, 'id' | 'memberId' | 'status'>>;

/** Fields that may change after creation. */
export type LegPatch = Partial<
  Pick<Leg, 'conversationId' | 'memberId' | 'status' | 'statusHistory' | 'endedAt'>
>;
