import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { RateLimiter, type TokenVerifier } from '../auth/index.js';
import type { HttpConfig } from '../config/index.js';
import type { Services } from '../services/index.js';
import type { CallsService } from '../voice/index.js';
import type { ApiContext } from './v1/ApiContext.js';
import { authHook } from './v1/authHook.js';
import { callsPlugin } from './v1/calls.js';
import { conversationsPlugin } from './v1/conversations.js';
import { eventsPlugin } from './v1/events.js';
import { legsPlugin } from './v1/legs.js';
import { membersPlugin } from './v1/members.js';
import { RouteTable } from './v1/methodGuard.js';
import { problemSchema } from './v1/schemas.js';
import { usersPlugin } from './v1/users.js';

/** What {@link conversationApi} is built with. */
export interface ConversationApiOptions {
  /** `http.publicUrl` (absolute links) and `http.rateLimit` (per-token budget). */
  readonly http: Pick<HttpConfig, 'publicUrl' | 'rateLimit'>;
  /** The use cases, from `createServices`. */
  readonly services: Services;
  /** Verifies the bearer JWTs of the configured applications. */
  readonly verifier: TokenVerifier;
  /**
   * The per-token rate limiter.
   * @defaultValue one built from `http.rateLimit`
   */
  readonly rateLimiter?: RateLimiter;
  /**
   * The Voice API's Calls resource (`/v1/calls`, conversation talk and stream); none leaves those routes out.
   * @defaultValue null
   */
  readonly calls?: CallsService | null;
}

/**
 * The Conversation API v1 as one fastify plugin, for `createHttpServer({ plugins: [...] })`:
 * - `/v1/users`, `/v1/conversations` (with members and events) and `/v1/legs`, one plugin per resource,
 *   every route behind the auth hook (JWT, ACL, rate limit) and described by JSON Schemas;
 * - 405 with `Allow` for a known path with another method;
 * - the OpenAPI 3.1 document generated from the route schemas at `/openapi.json`, browsable at `/docs`.
 */
export function conversationApi(options: ConversationApiOptions): (app: FastifyInstance) => Promise<void> {
  const context: ApiContext = {
    services: options.services,
    publicUrl: options.http.publicUrl.replace(/\/+$/, ''),
  };
  const rateLimiter =
    options.rateLimiter ??
    new RateLimiter({ ratePerSecond: options.http.rateLimit.perSecond, burst: options.http.rateLimit.burst });

  return async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'confab Conversation API',
          version: '1.0.0',
          description:
            'Wire-compatible with the Vonage Conversation API v1. Errors use the catalogue body (docs/errors.md).',
        },
        servers: [{ url: context.publicUrl }],
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
        security: [{ bearer: [] }],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
    app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());

    app.addSchema(problemSchema);
    const routes = new RouteTable();
    await app.register(async (v1) => {
      v1.addHook('onRoute', routes.onRoute);
      v1.addHook('onRoute', documentErrors);
      // Request bodies are JSON only: any other media type is 415 rather than a string the schemas refuse.
      v1.removeContentTypeParser('text/plain');
      // Every request of this scope gets its caller from the auth hook before any handler runs.
      v1.decorateRequest('caller', null as never);
      v1.addHook('onRequest', authHook({ verifier: options.verifier, rateLimiter }));
      for (const plugin of [usersPlugin, conversationsPlugin, membersPlugin, eventsPlugin, legsPlugin]) {
        await v1.register(plugin(context));
      }
      if (options.calls !== undefined && options.calls !== null) {
        await v1.register(callsPlugin(context, options.calls));
      }
    });
    routes.registerGuards(app);
  };
}

/** Documents the catalogue's error body as every /v1 route's 4xx and 5xx response. */
function documentErrors(route: RouteOptions): void {
  const schema = (route.schema ??= {});
  const response = (schema.response ??= {}) as Record<string, unknown>;
  response['4XX'] ??= { $ref: 'Problem#' };
  response['5XX'] ??= { $ref: 'Problem#' };
}
