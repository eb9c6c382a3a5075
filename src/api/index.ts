/** The api room: the fastify HTTP server, health, readiness and metrics, and one plugin per resource. */
export { createHttpServer, type HttpServerOptions, type ReadinessCheck } from './server.js';
export { problem, type ProblemBody } from './problem.js';
export { conversationApi, type ConversationApiOptions } from './conversationApi.js';
export { realtimeTicketsApi, type RealtimeTicketsOptions } from './v1/realtime.js';
