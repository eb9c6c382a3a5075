/** The states of a member, as the API writes them (requests compare case-insensitively). */
export const MEMBER_STATES = ['INVITED', 'JOINED', 'LEFT'] as const;

/** A member state. */
export type MemberState = (typeof MEMBER_STATES)[number];

/** Channel types a member or leg may use. */
export const CHANNEL_TYPES = [
  'app',
  'phone',
  'sip',
  'websocket',
  'vbc',
  'sms',
  'mms',
  'whatsapp',
  'viber',
  'messenger',
] as const;

/** A channel type. */
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** One end of a channel: its type plus the address fields of that type (`number`, `uri`, `user`, …). */
export interface ChannelEndpoint {
  type: ChannelType;
  [field: string]: unknown;
}

/** How a member takes part: `{type, from, to}` plus type-specific fields (a leg id once a call exists). */
export interface MemberChannel {
  type: ChannelType;
  from?: ChannelEndpoint;
  to?: ChannelEndpoint;
  legId?: string;
  [field: string]: unknown;
}

/** Who caused a member state change. */
export interface Initiator {
  isSystem: boolean;
  userId?: string;
  memberId?: string;
}

/** A user's participation in one conversation. */
export interface Member {
  /** `MEM-` + UUID. */
  readonly id: string;
  readonly applicationId: string;
  readonly conversationId: string;
  readonly userId: string;
  state: MemberState;
  timestamps: { invited?: string; joined?: string; left?: string };
  initiator: { invited?: Initiator; joined?: Initiator; left?: Initiator };
  channel: MemberChannel;
  media: MemberMedia;
  knockingId: string | null;
  invitedBy: string | null;
  /** Why the member left, when it has. */
  leftReason: { code: string; text: string } | null;
  readonly createdAt: string;
  updatedAt: string;
}

/** The audio settings of a member. */
export interface MemberMedia {
  audioSettings: { enabled: boolean; earmuffed: boolean; muted: boolean };
  audio: boolean;
}

/** Fields given when a member is created. */
export type NewMember = Pick<Member, 'conversationId' | 'userId' | 'state' | 'channel'> &
  Partial<Pick<Member, 'media' | 'knockingId' | 'invitedBy' | 'initiator' | 'timestamps'>>;

/** Fields that may change after creation. */
export type MemberPatch = Partial<
  Pick<Member, 'state' | 'timestamps' | 'initiator' | 'channel' | 'media' | 'leftReason'>
>;
