import {
  ConfabError,
  type EventPort,
  type Initiator,
  type Member,
  type MemberChannel,
  type MemberMedia,
  type MemberState,
  type Page,
  type PageRequest,
  type User,
} from '../domain/index.js';
import type { Access } from './Access.js';
import type { Caller } from './Caller.js';
import type { MemberView, Repositories } from './ServiceTypes.js';
import { userNotFound } from './UserService.js';

/** A create-member request, already in domain terms (states upper case). */
export interface CreateMember {
  state: 'INVITED' | 'JOINED';
  user: { id?: string; name?: string };
  channel: MemberChannel;
  media?: MemberMedia;
  knockingId?: string;
  /** The member that invites (`member_id_inviting`). */
  invitedBy?: string;
}

/** An update-member request: join, or leave with an optional reason. */
export interface UpdateMember {
  state: 'JOINED' | 'LEFT';
  reason?: { code: string; text: string };
}

/**
 * Members of conversations. Every state change is recorded as an event (`member:invited`, `member:joined`,
 * `member:left`); the event's recording is what stamps the member's state and timestamp, so the member read
 * back afterwards carries the event's time.
 *
 * Transitions: INVITED → JOINED, INVITED → LEFT and JOINED → LEFT. Joining twice is
 * `conversation:error:member-already-joined`; anything from LEFT is `conversation:error:invalid-member-state`.
 *
 * Clients: a client member may invite other users (state INVITED only) once it has JOINED, and may change
 * only its own member.
 */
export class MemberService {
  readonly #repos: Repositories;
  readonly #access: Access;
  readonly #events: EventPort;

  /** @private Built by createServices. */
  constructor(repositories: Repositories, access: Access, eventPort: EventPort) {
    this.#repos = repositories;
    this.#access = access;
    this.#events = eventPort;
  }

  /** Members of a conversation, by creation time, with their users. */
  async list(caller: Caller, conversationId: string, page: PageRequest): Promise<Page<MemberView>> {
    await this.#access.conversation(caller, conversationId);
    const members = await this.#repos.members.list(caller.applicationId, conversationId, page);

    return { ...members, items: await this.#views(caller.applicationId, members.items) };
  }

  /** One member of a conversation; `member:error:not-found`. */
  async get(caller: Caller, conversationId: string, memberId: string): Promise<MemberView> {
    await this.#access.conversation(caller, conversationId);
    const member = await this.#member(caller, conversationId, memberId);

    return this.#view(caller.applicationId, member);
  }

  /** The caller's own member; an admin token has none (`member:error:not-found`). */
  async me(caller: Caller, conversationId: string): Promise<MemberView> {
    const { self } = await this.#access.conversation(caller, conversationId);
    if (self === null) {
      throw new ConfabError('member:error:not-found', 'An application token has no member of its own.');
    }

    return this.#view(caller.applicationId, self);
  }

  /** Creates a member and records `member:invited` or `member:joined`. */
  async create(caller: Caller, conversationId: string, input: CreateMember): Promise<MemberView> {
    const { conversation, self } = await this.#access.conversation(caller, conversationId);
    this.#access.writable(conversation);
    if (self !== null && (self.state !== 'JOINED' || input.state !== 'INVITED')) {
      throw new ConfabError(
        'system:error:permission',
        'A client may only invite, and only once it has joined.',
      );
    }
    const user = await this.#userOf(caller, input.user);
    const initiator = initiatorOf(self);
    const invitedBy = input.invitedBy ?? self?.id;
    if (
      invitedBy !== undefined &&
      (await this.#repos.members.get(caller.applicationId, conversationId, invitedBy)) === null
    ) {
      throw invalid('member_id_inviting', 'must be a member of the conversation');
    }
    const member = await this.#repos.members.create(caller.applicationId, {
      conversationId,
      userId: user.id,
      state: input.state,
      channel: input.channel,
      initiator: input.state === 'JOINED' ? { joined: initiator } : { invited: initiator },
      ...(input.media === undefined ? {} : { media: input.media }),
      ...(input.knockingId === undefined ? {} : { knockingId: input.knockingId }),
      ...(invitedBy === undefined ? {} : { invitedBy }),
    });
    const type = input.state === 'JOINED' ? 'member:joined' : 'member:invited';
    const body = changeBody(member, user, input.state, initiator);
    if (input.state === 'INVITED') {
      body.invited_by = invitedBy ?? null;
      body.conversation = {
        conversation_id: conversation.id,
        name: conversation.name,
        display_name: conversation.displayName,
        image_url: conversation.imageUrl,
      };
    }
    // A join comes from the member itself; an invitation from the inviting member, when there is one.
    const from = input.state === 'JOINED' ? member.id : (invitedBy ?? null);
    await this.#events.emit({ applicationId: caller.applicationId, conversationId, type, from, body });

    return this.#reread(caller, member, user);
  }

  /** Joins or leaves; records `member:joined` or `member:left` (with the reason). */
  async update(
    caller: Caller,
    conversationId: string,
    memberId: string,
    input: UpdateMember,
  ): Promise<MemberView> {
    const { conversation, self } = await this.#access.conversation(caller, conversationId);
    const member = await this.#member(caller, conversationId, memberId);
    if (self !== null && self.id !== member.id) {
      throw new ConfabError('system:error:permission', 'A client may only change its own member.');
    }
    checkTransition(member.state, input.state);
    if (input.state === 'JOINED') {
      this.#access.writable(conversation);
    }
    const initiator = initiatorOf(self);
    const field = input.state === 'JOINED' ? 'joined' : 'left';
    await this.#repos.members.update(caller.applicationId, conversationId, memberId, {
      initiator: { ...member.initiator, [field]: initiator },
    });
    const user = await this.#repos.users.get(caller.applicationId, member.userId);
    const body = changeBody(member, user, input.state, initiator);
    if (input.reason !== undefined) {
      body.reason = input.reason;
    }
    await this.#events.emit({
      applicationId: caller.applicationId,
      conversationId,
      type: `member:${field}`,
      from: member.id,
      body,
    });

    return this.#reread(caller, member, user);
  }

  async #member(caller: Caller, conversationId: string, memberId: string): Promise<Member> {
    const member = await this.#repos.members.get(caller.applicationId, conversationId, memberId);
    if (member === null) {
      throw new ConfabError(
        'member:error:not-found',
        `Member does not exist, or you do not have access [id:${memberId}].`,
      );
    }

    return member;
  }

  async #userOf(caller: Caller, ref: { id?: string; name?: string }): Promise<User> {
    const { users } = this.#repos;
    const user =
      ref.id !== undefined
        ? await users.get(caller.applicationId, ref.id)
        : ref.name !== undefined
          ? await users.getByName(caller.applicationId, ref.name)
          : null;
    if (user === null || (ref.name !== undefined && user.name !== ref.name)) {
      throw userNotFound(ref.id ?? ref.name ?? '');
    }

    return user;
  }

  async #reread(caller: Caller, member: Member, user: User | null): Promise<MemberView> {
    const fresh = await this.#repos.members.get(caller.applicationId, member.conversationId, member.id);

    return { member: fresh ?? member, user };
  }

  async #view(applicationId: string, member: Member): Promise<MemberView> {
    return { member, user: await this.#repos.users.get(applicationId, member.userId) };
  }

  async #views(applicationId: string, members: readonly Member[]): Promise<MemberView[]> {
    const ids = [...new Set(members.map((member) => member.userId))];
    const users = await Promise.all(ids.map((id) => this.#repos.users.get(applicationId, id)));
    const byId = new Map(ids.map((id, index) => [id, users[index] ?? null]));

    return members.map((member) => ({ member, user: byId.get(member.userId) ?? null }));
  }
}

/** Who causes a change: the system for an admin token, else the caller's user and member. */
function initiatorOf(self: Member | null): Initiator {
  return self === null ? { isSystem: true } : { isSystem: false, userId: self.userId, memberId: self.id };
}

/** Refuses a state change the member's lifecycle does not have. */
function checkTransition(from: MemberState, to: 'JOINED' | 'LEFT'): void {
  if (from === 'JOINED' && to === 'JOINED') {
    throw new ConfabError('conversation:error:member-already-joined', 'The member has already joined.');
  }
  if (from === 'LEFT') {
    throw new ConfabError(
      'conversation:error:invalid-member-state',
      `A member that has LEFT cannot become ${to}.`,
    );
  }
}

/** The body of a `member:*` event, in the wire's shape (event bodies spell `isSystem` in camel case). */
function changeBody(
  member: Member,
  user: User | null,
  state: MemberState,
  initiator: Initiator,
): Record<string, unknown> {
  const field = state === 'INVITED' ? 'invited' : state === 'JOINED' ? 'joined' : 'left';

  return {
    member_id: member.id,
    user: {
      id: member.userId,
      name: user?.name ?? null,
      display_name: user?.displayName ?? null,
      image_url: user?.imageUrl ?? null,
    },
    channel: member.channel,
    timestamp: member.timestamps,
    initiator: {
      [field]: {
        isSystem: initiator.isSystem,
        ...(initiator.memberId === undefined ? {} : { member_id: initiator.memberId }),
        ...(initiator.userId === undefined ? {} : { user_id: initiator.userId }),
      },
    },
  };
}

/** A validation failure naming one parameter. */
function invalid(name: string, reason: string): ConfabError {
  return new ConfabError('http:error:validation-fail', `${name} ${reason}.`, [{ name, reason }]);
}
