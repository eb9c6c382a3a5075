import type { FastifyInstance } from 'fastify';
import { aclAllows, TokenRejectedError, type RateLimiter, type TokenVerifier } from '../../auth/index.js';
import {
  ConfabError,
  REALTIME_SESSION_ACL,
  REALTIME_TICKET_TTL_SECONDS,
  type RealtimeTicketRepository,
} from '../../domain/index.js';
import { problem } from '../problem.js';

/** What {@link realtimeTicketsApi} is built with. */
export interface RealtimeTicketsOptions {
  readonly verifier: TokenVerifier;
  readonly tickets: RealtimeTicketRepository;
  /** The public base URL; the answer's `url` is its WebSocket form plus `/v1/realtime?ticket=…`. */
  readonly publicUrl: string;
  /**
   * Per-token budget (share the REST API's limiter so tickets cost from the same budget).
   * @defaultValue none
   */
  readonly rateLimiter?: RateLimiter | null;
  /**
   * Ticket lifetime in seconds.
   * @defaultValue 30
   */
  readonly ttlSeconds?: number;
}

/**
 * `POST /v1/realtime/tickets`: exchanges a client token for a one-time ticket that opens the realtime
 * channel (`GET /v1/realtime?ticket=…`), for browsers, which cannot set headers on a WebSocket. The ticket
 * lives `ttlSeconds` and works once.
 *
 * It sits outside the `/v1` ACL hook on purpose: the ACL is checked against `POST /v1/sessions` (opening
 * the socket opens a Session), which Vonage's client ACL grants, rather than against this path, which no
 * Vonage-shaped ACL names. Admin tokens are refused with 403, as the channel refuses them.
 */
export function realtimeTicketsApi(options: RealtimeTicketsOptions): (app: FastifyInstance) => Promise<void> {
  const ttl = options.ttlSeconds ?? REALTIME_TICKET_TTL_SECONDS;
  if (!Number.isFinite(ttl) || ttl < 1) {
    throw new TypeError('realtime ticket ttlSeconds must be at least 1');
  }
  const socketBase = options.publicUrl.replace(/\/+$/, '').replace(/^http/, 'ws');

  return (app) => {
    app.post(
      '/v1/realtime/tickets',
      {
        schema: {
          tags: ['realtime'],
          summary: 'Get a one-time ticket for the realtime socket (201: ticket, expires_in, url)',
        },
      },
      async (request, reply) => {
        const principal = await options.verifier
          .verify(request.headers.authorization)
          .catch((error: unknown) => {
            if (error instanceof TokenRejectedError) {
              request.log.info({ reason: error.reason }, 'token rejected');
            }
            throw error;
          });
        if (principal.kind === 'admin') {
          throw new ConfabError(
            'system:error:permission',
            'Realtime tickets are for client (user) tokens only.',
          );
        }
        if (!aclAllows(principal.acl, REALTIME_SESSION_ACL.method, REALTIME_SESSION_ACL.path)) {
          throw new ConfabError('system:error:permission', 'The token ACL does not allow opening a session.');
        }
        if (options.rateLimiter !== undefined && options.rateLimiter !== null) {
          const decision = options.rateLimiter.take(
            principal.tokenId ?? `${principal.applicationId}\n${principal.userName}`,
          );
          if (!decision.allowed) {
            return reply
              .code(429)
              .header('retry-after', String(decision.retryAfterSeconds))
              .type('application/json')
              .send(problem('http:error:too-many-requests', `Retry after ${decision.retryAfterSeconds} s.`));
          }
        }
        const ticket = await options.tickets.issue(
          { applicationId: principal.applicationId, userName: principal.userName, acl: principal.acl },
          ttl,
        );

        return reply.code(201).send({
          ticket,
          expires_in: Math.ceil(ttl),
          url: `${socketBase}/v1/realtime?ticket=${ticket}`,
        });
      },
    );

    return Promise.resolve();
  };
}
