import {
  ConfabError,
  FINAL_LEG_STATUSES,
  nowIso,
  type EventPort,
  type Leg,
  type Page,
  type PageRequest,
} from '../domain/index.js';
import type { Access } from './Access.js';
import type { Caller } from './Caller.js';
import type { LegHangupHook, Repositories } from './ServiceTypes.js';

/**
 * Legs (calls) of an application: confab's extension of the v1 API, for admins only. Hanging a leg up
 * asks the hangup hook (the SIP layer, once calls exist) to end the call, then records a
 * `leg:status:update` to `completed`, whose recording sets the leg's status and end.
 */
export class LegService {
  readonly #repos: Repositories;
  readonly #access: Access;
  readonly #events: EventPort;
  readonly #hangup: LegHangupHook | undefined;

  /** @private Built by createServices. */
  constructor(
    repositories: Repositories,
    access: Access,
    eventPort: EventPort,
    hangup: LegHangupHook | undefined,
  ) {
    this.#repos = repositories;
    this.#access = access;
    this.#events = eventPort;
    this.#hangup = hangup;
  }

  /** Legs by creation time, optionally of one conversation. */
  async list(
    caller: Caller,
    page: PageRequest,
    filter: { conversationId?: string } = {},
  ): Promise<Page<Leg>> {
    this.#access.adminOnly(caller, 'list legs');

    return this.#repos.legs.list(caller.applicationId, page, filter);
  }

  /** One leg; `leg:error:not-found`. */
  async get(caller: Caller, id: string): Promise<Leg> {
    this.#access.adminOnly(caller, 'read legs');
    const leg = await this.#repos.legs.get(caller.applicationId, id);
    if (leg === null) {
      throw new ConfabError(
        'leg:error:not-found',
        `Leg does not exist, or you do not have access [id:${id}].`,
      );
    }

    return leg;
  }

  /** Hangs a leg up; `leg:error:complete` when it has already ended. Returns the completed leg. */
  async hangup(caller: Caller, id: string): Promise<Leg> {
    const leg = await this.get(caller, id);
    if (FINAL_LEG_STATUSES.includes(leg.status)) {
      throw new ConfabError(
        'leg:error:complete',
        `The leg has already ended [id:${id}, status:${leg.status}].`,
      );
    }
    if (this.#hangup !== undefined) {
      await this.#hangup(leg);
    }
    if ((await this.#repos.conversations.get(caller.applicationId, leg.conversationId)) === null) {
      // The conversation was deleted while the call was up: there is no log to record into, so the leg is
      // marked directly rather than leaving events behind under a conversation that no longer exists.
      const now = nowIso();

      return this.#repos.legs.update(caller.applicationId, id, {
        status: 'completed',
        endedAt: now,
        statusHistory: [...leg.statusHistory, { status: 'completed', date: now, reason: 'ok' }],
      });
    }
    await this.#events.emit({
      applicationId: caller.applicationId,
      conversationId: leg.conversationId,
      type: 'leg:status:update',
      body: {
        leg_id: leg.id,
        direction: leg.direction,
        type: leg.type,
        status: 'completed',
        state: { status: 'completed', successful: true, reason: 'ok' },
      },
    });

    return (await this.#repos.legs.get(caller.applicationId, id)) ?? leg;
  }
}
