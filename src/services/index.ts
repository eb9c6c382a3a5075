/**
 * The services room: use cases (users, conversations, members, events, legs) written against the
 * ports of the domain room. It never sees fastify, ws, bullmq or ioredis.
 */
export {};
