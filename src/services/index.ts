/**
 * The services room: use cases (users, conversations, members, events, legs) written against the
 * ports of the domain room. It never sees fastify, ws, bullmq or ioredis. Access rules that depend on
 * membership live here (see Access.ts); ACLs are checked by the api room before a service is called.
 */
export { createServices, type Services } from './createServices.js';
export type { Caller, AdminCaller, ClientCaller } from './Caller.js';
export type {
  Repositories,
  ServiceDependencies,
  LegHangupHook,
  MemberView,
  EventView,
} from './ServiceTypes.js';
export { Access, type ReachableConversation } from './Access.js';
export { UserService, type CreateUser, type UpdateUser } from './UserService.js';
export { ConversationService, type ConversationListFilter } from './ConversationService.js';
export { MemberService, type CreateMember, type UpdateMember } from './MemberService.js';
export { EventService, type CreateEvent } from './EventService.js';
export { LegService } from './LegService.js';
export {
  CallService,
  type StartCall,
  type StartAppCall,
  type CallRecords,
  type LegRecords,
  type StartWebSocketLeg,
  type StatusDetail,
} from './CallService.js';
