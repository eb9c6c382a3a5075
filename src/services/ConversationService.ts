import {
  type Conversation,
  type EventPort,
  type NewConversation,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import { conversationNotFound, type Access } from './Access.js';
import type { Caller } from './Caller.js';
import type { Repositories } from './ServiceTypes.js';

/** Date filters of a conversation list (ISO-8601 text; `2018-01-01 10:00:00` is read as UTC). */
export interface ConversationListFilter {
  dateStart?: string;
  dateEnd?: string;
}

/**
 * Conversations of an application. Listing, creating, replacing and deleting are for admins; a client
 * reads a conversation only while it is a member (see {@link Access}). A replace records
 * `conversation:updated`; a delete removes the conversation with its members and events (the repository
 * does that in one atomic step).
 */
export class ConversationService {
  readonly #repos: Repositories;
  readonly #access: Access;
  readonly #events: EventPort;

  /** @private Built by createServices. */
  constructor(repositories: Repositories, access: Access, eventPort: EventPort) {
    this.#repos = repositories;
    this.#access = access;
    this.#events = eventPort;
  }

  /** Conversations by creation time, optionally created within the dates. */
  async list(
    caller: Caller,
    page: PageRequest,
    filter: ConversationListFilter = {},
  ): Promise<Page<Conversation>> {
    this.#access.adminOnly(caller, 'list every conversation');
    const dates: ConversationListFilter = {};
    if (filter.dateStart !== undefined) {
      dates.dateStart = asIsoDate(filter.dateStart);
    }
    if (filter.dateEnd !== undefined) {
      dates.dateEnd = asIsoDate(filter.dateEnd);
    }

    return this.#repos.conversations.list(caller.applicationId, page, dates);
  }

  /** Creates a conversation (`conversation:error:duplicate-name` when the name is taken). */
  async create(caller: Caller, input: NewConversation): Promise<Conversation> {
    this.#access.adminOnly(caller, 'create conversations');

    return this.#repos.conversations.create(caller.applicationId, input);
  }

  /** The conversation, when the caller may reach it. */
  async get(caller: Caller, id: string): Promise<Conversation> {
    return (await this.#access.conversation(caller, id)).conversation;
  }

  /** Replaces the given fields of a conversation and records `conversation:updated`. */
  async replace(caller: Caller, id: string, input: NewConversation): Promise<Conversation> {
    this.#access.adminOnly(caller, 'change conversations');
    const { conversation: current } = await this.#access.conversation(caller, id);
    this.#access.writable(current);
    const updated = await this.#repos.conversations.update(caller.applicationId, id, input);
    const recorded = await this.#events.emit({
      applicationId: caller.applicationId,
      conversationId: id,
      type: 'conversation:updated',
      body: {
        id: updated.id,
        name: updated.name,
        display_name: updated.displayName,
        image_url: updated.imageUrl,
        state: updated.state,
        timestamp: { created: updated.createdAt, updated: updated.updatedAt, destroyed: updated.destroyedAt },
      },
    });

    return { ...updated, sequenceNumber: Math.max(updated.sequenceNumber, recorded.id) };
  }

  /** Deletes a conversation with its members and events; `conversation:error:not-found`. */
  async delete(caller: Caller, id: string): Promise<void> {
    this.#access.adminOnly(caller, 'delete conversations');
    if (!(await this.#repos.conversations.delete(caller.applicationId, id))) {
      throw conversationNotFound(id);
    }
  }
}

/**
 * Reads the date format of the list filters: ISO-8601, or the Java SDK's `2018-01-01 10:00:00` (UTC, a
 * space for the `T` and no zone). Anything else is passed on for the repository to refuse.
 */
function asIsoDate(text: string): string {
  const spaced = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d(?::\d\d(?:\.\d+)?)?)$/.exec(text.trim());

  return spaced === null ? text : `${spaced[1]}T${spaced[2]}Z`;
}
