import {
  ConfabError,
  newId,
  type Conversation,
  type Member,
  type MemberState,
  type NewUser,
  type Page,
  type PageRequest,
  type Session,
  type User,
  type UserPatch,
  type UserProperties,
} from '../domain/index.js';
import type { Access } from './Access.js';
import type { Caller } from './Caller.js';
import type { Repositories } from './ServiceTypes.js';

/** A user's create request: like {@link NewUser}, but the name may be left to confab. */
export type CreateUser = Partial<NewUser>;

/** A user's update request: the properties given are merged into the current ones. */
export type UpdateUser = Omit<UserPatch, 'properties'> & { properties?: Partial<UserProperties> };

/**
 * Users of an application. Admins manage them; a client may read users (to find whom to invite), change
 * only its own user, and list only its own conversations and sessions. Creating and deleting users is for
 * admins (OWASP API5: no function-level escalation through a client token).
 */
export class UserService {
  readonly #repos: Repositories;
  readonly #access: Access;

  /** @private Built by createServices. */
  constructor(repositories: Repositories, access: Access) {
    this.#repos = repositories;
    this.#access = access;
  }

  /** Users by creation time, optionally only the one with that name. */
  async list(caller: Caller, page: PageRequest, filter: { name?: string } = {}): Promise<Page<User>> {
    return this.#repos.users.list(caller.applicationId, page, filter);
  }

  /** Creates a user; a `NAM-` name is generated when none is given. */
  async create(caller: Caller, input: CreateUser): Promise<User> {
    this.#access.adminOnly(caller, 'create users');

    return this.#repos.users.create(caller.applicationId, {
      ...input,
      name: input.name ?? newId('conversationName'),
    });
  }

  /** The user; `user:error:not-found`. */
  async get(caller: Caller, id: string): Promise<User> {
    const user = await this.#repos.users.get(caller.applicationId, id);
    if (user === null) {
      throw userNotFound(id);
    }

    return user;
  }

  /** Changes a user; a client only its own. */
  async update(caller: Caller, id: string, input: UpdateUser): Promise<User> {
    const current = await this.#own(caller, id, 'change other users');
    const { properties, ...rest } = input;
    const patch: UserPatch =
      properties === undefined ? rest : { ...rest, properties: { ...current.properties, ...properties } };

    return this.#repos.users.update(caller.applicationId, id, patch);
  }

  /** Deletes a user (its members stay in their conversations); `user:error:not-found`. */
  async delete(caller: Caller, id: string): Promise<void> {
    this.#access.adminOnly(caller, 'delete users');
    if (!(await this.#repos.users.delete(caller.applicationId, id))) {
      throw userNotFound(id);
    }
  }

  /** The conversations a user has a member in, each with that member; a client only its own. */
  async conversations(
    caller: Caller,
    userId: string,
    page: PageRequest,
    filter: { state?: MemberState } = {},
  ): Promise<Page<{ conversation: Conversation; member: Member }>> {
    await this.#own(caller, userId, "list other users' conversations");

    return this.#repos.members.listConversationsOfUser(caller.applicationId, userId, page, filter);
  }

  /** The live sessions of a user, with the user; a client only its own. */
  async sessions(
    caller: Caller,
    userId: string,
    page: PageRequest,
  ): Promise<{ user: User; page: Page<Session> }> {
    const user = await this.#own(caller, userId, "list other users' sessions");

    return { user, page: await this.#repos.sessions.listByUser(caller.applicationId, userId, page) };
  }

  /** The user; for a client, only when it is the caller's own user (`system:error:permission` otherwise). */
  async #own(caller: Caller, id: string, what: string): Promise<User> {
    const user = await this.get(caller, id);
    if (caller.kind === 'client' && user.name !== caller.userName) {
      throw new ConfabError('system:error:permission', `A client token may not ${what}.`);
    }

    return user;
  }
}

/** The error of a missing user. */
export function userNotFound(id: string): ConfabError {
  return new ConfabError(
    'user:error:not-found',
    `User does not exist, or you do not have access [id:${id}].`,
  );
}
