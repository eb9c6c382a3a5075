import { Access } from './Access.js';
import { ConversationService } from './ConversationService.js';
import { EventService } from './EventService.js';
import { guardEventPort } from './guardEventPort.js';
import { LegService } from './LegService.js';
import { MemberService } from './MemberService.js';
import type { ServiceDependencies } from './ServiceTypes.js';
import { UserService } from './UserService.js';

/** The use cases of the Conversation API, sharing one set of access rules. */
export interface Services {
  readonly users: UserService;
  readonly conversations: ConversationService;
  readonly members: MemberService;
  readonly events: EventService;
  readonly legs: LegService;
}

/**
 * Builds the services over the repositories and the event pipeline. A failing pipeline surfaces as
 * `system:error:unavailable` (see {@link guardEventPort}).
 */
export function createServices(deps: ServiceDependencies): Services {
  const { repositories } = deps;
  const eventPort = guardEventPort(deps.eventPort);
  const access = new Access(repositories);

  return Object.freeze({
    users: new UserService(repositories, access),
    conversations: new ConversationService(repositories, access, eventPort),
    members: new MemberService(repositories, access, eventPort),
    events: new EventService(repositories, access, eventPort),
    legs: new LegService(repositories, access, eventPort, deps.hangup),
  });
}
