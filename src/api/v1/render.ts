import type {
  Conversation,
  ConversationEvent,
  Initiator,
  Leg,
  Member,
  MemberChannel,
  Session,
  User,
} from '../../domain/index.js';
import type { EventView, MemberView } from '../../services/index.js';

// Wire shapes of the Conversation API v1: snake_case keys, absolute `_links`. Each renderer takes the
// public base URL (no trailing slash) so links can be absolute.

/** A user in full. */
export function renderUser(base: string, user: User): Record<string, unknown> {
  return {
    id: user.id,
    name: user.name,
    display_name: user.displayName,
    image_url: user.imageUrl,
    properties: { custom_data: user.properties.customData, ttl: user.properties.ttl },
    channels: user.channels,
    _links: { self: { href: `${base}/v1/users/${user.id}` } },
  };
}

/** A user as a list item. */
export function renderUserLite(base: string, user: User): Record<string, unknown> {
  return {
    id: user.id,
    name: user.name,
    display_name: user.displayName,
    _links: { self: { href: `${base}/v1/users/${user.id}` } },
  };
}

function conversationLinks(base: string, id: string): Record<string, unknown> {
  return { self: { href: `${base}/v1/conversations/${id}` } };
}

function conversationTimestamp(conversation: Conversation): Record<string, unknown> {
  return {
    created: conversation.createdAt,
    updated: conversation.updatedAt,
    destroyed: conversation.destroyedAt,
  };
}

/** A conversation in full. */
export function renderConversation(base: string, conversation: Conversation): Record<string, unknown> {
  const { properties } = conversation;

  return {
    id: conversation.id,
    name: conversation.name,
    display_name: conversation.displayName,
    image_url: conversation.imageUrl,
    state: conversation.state,
    sequence_number: conversation.sequenceNumber,
    timestamp: conversationTimestamp(conversation),
    properties: {
      ttl: properties.ttl,
      type: properties.type,
      custom_sort_key: properties.customSortKey,
      custom_data: properties.customData,
    },
    _links: conversationLinks(base, conversation.id),
  };
}

/** A conversation as a list item. */
export function renderConversationLite(base: string, conversation: Conversation): Record<string, unknown> {
  return {
    id: conversation.id,
    name: conversation.name,
    display_name: conversation.displayName,
    image_url: conversation.imageUrl,
    timestamp: conversationTimestamp(conversation),
    _links: conversationLinks(base, conversation.id),
  };
}

/** A conversation of a user: the conversation without its state, plus the user's member in `_embedded`. */
export function renderUserConversation(
  base: string,
  conversation: Conversation,
  member: Member,
): Record<string, unknown> {
  const { state: _state, ...rest } = renderConversation(base, conversation);

  return { ...rest, _embedded: { id: member.id, state: member.state } };
}

function renderInitiator(initiator: Initiator | undefined): Record<string, unknown> | undefined {
  if (initiator === undefined) {
    return undefined;
  }

  return {
    is_system: initiator.isSystem,
    ...(initiator.userId === undefined ? {} : { user_id: initiator.userId }),
    ...(initiator.memberId === undefined ? {} : { member_id: initiator.memberId }),
  };
}

function renderChannel(channel: MemberChannel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(channel)) {
    out[key === 'legId' ? 'leg_id' : key] = value;
  }

  return out;
}

/** The `_embedded.user` of a member; the Node SDK requires it to be an object. */
function embeddedUser(base: string, view: MemberView): Record<string, unknown> {
  const { member, user } = view;

  return {
    id: member.userId,
    name: user?.name ?? null,
    display_name: user?.displayName ?? null,
    _links: { self: { href: `${base}/v1/users/${member.userId}` } },
  };
}

function memberLinks(base: string, member: Member): Record<string, unknown> {
  // The member's `_links` has no `self` wrapper, as in every SDK fixture.
  return { href: `${base}/v1/conversations/${member.conversationId}/members/${member.id}` };
}

/** A member in full. */
export function renderMember(base: string, view: MemberView): Record<string, unknown> {
  const { member } = view;
  const initiator: Record<string, unknown> = {};
  for (const field of ['invited', 'joined', 'left'] as const) {
    const rendered = renderInitiator(member.initiator[field]);
    if (rendered !== undefined) {
      initiator[field] = rendered;
    }
  }

  return {
    id: member.id,
    conversation_id: member.conversationId,
    state: member.state,
    _embedded: { user: embeddedUser(base, view) },
    timestamp: member.timestamps,
    initiator,
    channel: renderChannel(member.channel),
    media: {
      audio_settings: { ...member.media.audioSettings },
      audio: member.media.audio,
    },
    knocking_id: member.knockingId,
    invited_by: member.invitedBy,
    _links: memberLinks(base, member),
  };
}

/** A member as a list item. */
export function renderMemberLite(base: string, view: MemberView): Record<string, unknown> {
  return {
    id: view.member.id,
    state: view.member.state,
    _embedded: { user: embeddedUser(base, view) },
    _links: memberLinks(base, view.member),
  };
}

/** An event, with the member and user it comes from in `_embedded` when it has a sender. */
export function renderEvent(base: string, view: EventView): Record<string, unknown> {
  const { event, member, user } = view;
  const out: Record<string, unknown> = {
    id: event.id,
    type: event.type,
    ...(event.from === null ? {} : { from: event.from }),
    body: event.body,
    timestamp: event.timestamp,
  };
  if (event.from !== null) {
    out._embedded = {
      from_member: { id: event.from },
      ...(member === null
        ? {}
        : {
            from_user: {
              id: member.userId,
              name: user?.name ?? null,
              display_name: user?.displayName ?? null,
              image_url: user?.imageUrl ?? null,
              custom_data: user?.properties.customData ?? {},
            },
          }),
    };
  }
  out._links = { self: { href: eventHref(base, event) } };

  return out;
}

function eventHref(base: string, event: ConversationEvent): string {
  return `${base}/v1/conversations/${event.conversationId}/events/${event.id}`;
}

/** A session of a user; `api_key` carries the application id (confab has no API keys). */
export function renderSession(session: Session, user: User, now = Date.now()): Record<string, unknown> {
  const ttl = Math.max(0, Math.round((Date.parse(session.expiresAt) - now) / 1000));

  return {
    id: session.id,
    _embedded: { user: { id: user.id, name: user.name }, api_key: session.applicationId },
    properties: { ttl },
  };
}

/** A leg (confab's extension). */
export function renderLeg(base: string, leg: Leg): Record<string, unknown> {
  return {
    id: leg.id,
    conversation_id: leg.conversationId,
    member_id: leg.memberId,
    type: leg.type,
    direction: leg.direction,
    status: leg.status,
    from: leg.from,
    to: leg.to,
    status_history: leg.statusHistory.map((step) => ({
      status: step.status,
      date: step.date,
      ...(step.reason === undefined ? {} : { reason: step.reason }),
      ...(step.sipCode === undefined ? {} : { sip_code: step.sipCode }),
    })),
    timestamp: { created: leg.createdAt, updated: leg.updatedAt, ended: leg.endedAt },
    _links: { self: { href: `${base}/v1/legs/${leg.id}` } },
  };
}
