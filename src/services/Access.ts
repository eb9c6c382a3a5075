import { ConfabError, type Conversation, type Member, type User } from '../domain/index.js';
import type { Caller } from './Caller.js';
import type { Repositories } from './ServiceTypes.js';

/** A conversation the caller may reach, with the caller's own member in it (null for an admin). */
export interface ReachableConversation {
  readonly conversation: Conversation;
  /** The client caller's own member (INVITED or JOINED); null for an admin. */
  readonly self: Member | null;
  /** The client caller's user; null for an admin. */
  readonly user: User | null;
}

/**
 * The access rules an ACL cannot express, in one place (the ACL itself is checked by the api room first):
 *
 * - An admin caller reaches everything of its application.
 * - A client caller reaches a conversation only while its user has a member there that is INVITED or
 *   JOINED. Anything else answers exactly as a missing conversation does (`conversation:error:not-found`),
 *   so that ids of other conversations cannot be probed.
 * - Operations reserved for admins answer `system:error:permission` (403) to clients.
 *
 * Every repository call is scoped by the caller's application id, so nothing of another application is
 * ever found.
 */
export class Access {
  readonly #repos: Repositories;

  /** @param repositories - the repositories to look users, conversations and members up in */
  constructor(repositories: Repositories) {
    this.#repos = repositories;
  }

  /** Refuses client callers with `system:error:permission`. */
  adminOnly(caller: Caller, what: string): void {
    if (caller.kind === 'client') {
      throw new ConfabError('system:error:permission', `Only an application token may ${what}.`);
    }
  }

  /** The user a client caller acts as, or null when no user of that name exists (or for an admin). */
  async userOf(caller: Caller): Promise<User | null> {
    if (caller.kind === 'admin') {
      return null;
    }

    return this.#repos.users.getByName(caller.applicationId, caller.userName);
  }

  /** The conversation when the caller may reach it; `conversation:error:not-found` otherwise. */
  async conversation(caller: Caller, conversationId: string): Promise<ReachableConversation> {
    // The conversation, the caller's user and its member there are read in one step.
    const { conversation, user, member } = await this.#repos.conversations.getWithUser(
      caller.applicationId,
      conversationId,
      caller.kind === 'admin' ? null : caller.userName,
    );
    if (conversation === null) {
      throw conversationNotFound(conversationId);
    }
    if (caller.kind === 'admin') {
      return { conversation, self: null, user: null };
    }
    if (user === null || member === null || member.state === 'LEFT') {
      throw conversationNotFound(conversationId);
    }

    return { conversation, self: member, user };
  }

  /** Refuses writes to a conversation that is not ACTIVE with `conversation:error:not-allowed`. */
  writable(conversation: Conversation): void {
    if (conversation.state !== 'ACTIVE') {
      throw new ConfabError(
        'conversation:error:not-allowed',
        `The conversation is ${conversation.state}. Only GET and DELETE actions are allowed.`,
      );
    }
  }
}

/** The error of a conversation that is missing or out of the caller's reach (the same on purpose). */
export function conversationNotFound(id: string): ConfabError {
  return new ConfabError(
    'conversation:error:not-found',
    `Conversation does not exist, or you do not have access [id:${id}].`,
  );
}
