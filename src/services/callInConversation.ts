import {
  ConfabError,
  isConfabError,
  newLegId,
  type ChannelEndpoint,
  type Conversation,
  type Leg,
  type LegType,
  type Member,
  type MemberChannel,
  type User,
} from '../domain/index.js';
import type { Repositories } from './ServiceTypes.js';

/** The repositories the helpers below write. */
type CallRepos = Pick<Repositories, 'users' | 'conversations' | 'members' | 'legs'>;

/** A leg to create in an existing conversation, with the member of its far party. */
export interface LegInConversation {
  readonly applicationId: string;
  readonly conversationId: string;
  readonly type: LegType;
  readonly direction: 'inbound' | 'outbound';
  readonly from: ChannelEndpoint;
  readonly to: ChannelEndpoint;
  /** The far party's user, by name. */
  readonly userName: string;
  /** Create the user when the name has none (phone and SIP parties); otherwise `user:error:not-found`. */
  readonly createUser: boolean;
}

/** What {@link startInConversation} made. */
export interface StartedInConversation {
  readonly conversation: Conversation;
  readonly member: Member;
  readonly leg: Leg;
  readonly user: User;
}

/** The user named `name`, created when there is none and `create` allows (a race is settled by reading again). */
async function userNamed(
  repos: CallRepos,
  applicationId: string,
  name: string,
  create: boolean,
): Promise<User> {
  const existing = await repos.users.getByName(applicationId, name);
  if (existing !== null) {
    return existing;
  }
  if (!create) {
    throw new ConfabError('user:error:not-found', `User does not exist [name:${name}].`);
  }
  try {
    return await repos.users.create(applicationId, { name });
  } catch (error) {
    const again = await repos.users.getByName(applicationId, name);
    if (again === null) {
      throw error;
    }

    return again;
  }
}

/**
 * The user's member in the conversation for a leg: a new INVITED one whose channel names the leg, or the
 * user's member already there when it has not LEFT (a user has one member per conversation; its legs share
 * it).
 */
async function memberFor(
  repos: CallRepos,
  applicationId: string,
  conversationId: string,
  user: User,
  channel: MemberChannel,
): Promise<Member> {
  try {
    return await repos.members.create(applicationId, {
      conversationId,
      userId: user.id,
      state: 'INVITED',
      channel,
      initiator: { invited: { isSystem: true } },
    });
  } catch (error) {
    if (!isConfabError(error)) {
      throw error;
    }
    const existing = await repos.members.getByUser(applicationId, conversationId, user.id);
    if (existing === null || existing.state === 'LEFT') {
      throw error;
    }

    return existing;
  }
}

/**
 * Creates a leg directly in an existing conversation (a `connect`'s callee, an app user being rung), with
 * the member of its far party (INVITED, its channel naming the leg). The leg's history starts empty: its
 * first status is recorded as an event, in that conversation. `conversation:error:not-found` when the
 * conversation does not exist.
 */
export async function startInConversation(
  repos: CallRepos,
  request: LegInConversation,
): Promise<StartedInConversation> {
  const { applicationId, conversationId } = request;
  const conversation = await repos.conversations.get(applicationId, conversationId);
  if (conversation === null) {
    throw new ConfabError(
      'conversation:error:not-found',
      `Conversation does not exist [id:${conversationId}].`,
    );
  }
  const user = await userNamed(repos, applicationId, request.userName, request.createUser);
  const legId = newLegId();
  const channel: MemberChannel = { type: request.type, from: request.from, to: request.to, legId };
  const member = await memberFor(repos, applicationId, conversationId, user, channel);
  const created = await repos.legs.create(applicationId, {
    id: legId,
    conversationId,
    memberId: member.id,
    type: request.type,
    direction: request.direction,
    from: request.from,
    to: request.to,
    status: 'started',
  });
  const leg = await repos.legs.update(applicationId, created.id, { statusHistory: [] });

  return { conversation, member, leg, user };
}

/** What {@link moveLegRecords} made: the leg in its new conversation, and the user's member there. */
export interface MovedLeg {
  readonly conversation: Conversation;
  readonly member: Member;
  readonly leg: Leg;
  readonly user: User | null;
}

/**
 * Moves a leg's records to another conversation (the NCCO `conversation` action): the leg's user gets a
 * member there (a new one, or its member already there unless LEFT) whose channel names the leg, and the
 * leg is re-indexed under that conversation naming that member. The caller records `member:left` in the
 * old conversation and `member:joined` in the new one.
 */
export async function moveLegRecords(
  repos: CallRepos,
  applicationId: string,
  legId: string,
  from: Member,
  conversationId: string,
): Promise<MovedLeg> {
  const conversation = await repos.conversations.get(applicationId, conversationId);
  if (conversation === null) {
    throw new ConfabError(
      'conversation:error:not-found',
      `Conversation does not exist [id:${conversationId}].`,
    );
  }
  const user = await repos.users.get(applicationId, from.userId);
  const channel: MemberChannel = { ...from.channel, legId };
  let member: Member;
  try {
    member = await repos.members.create(applicationId, {
      conversationId,
      userId: from.userId,
      state: 'INVITED',
      channel,
      initiator: { invited: { isSystem: true } },
    });
  } catch (error) {
    const existing = isConfabError(error)
      ? await repos.members.getByUser(applicationId, conversationId, from.userId)
      : null;
    if (existing === null || existing.state === 'LEFT') {
      throw error;
    }
    member = existing;
  }
  const leg = await repos.legs.update(applicationId, legId, { conversationId, memberId: member.id });

  return { conversation, member, leg, user };
}
