/**
 * The domain room: entities, identifiers, the error catalogue and the ports services work against.
 * It imports nothing; every other room may import it.
 */
export * from './ids.js';
export * from './errors.js';
export type * from './Application.js';
export type * from './User.js';
export * from './Conversation.js';
export * from './Member.js';
export * from './Leg.js';
export type * from './Session.js';
export * from './Event.js';
export type * from './Page.js';
export type * from './ports.js';
export * from './realtime.js';
