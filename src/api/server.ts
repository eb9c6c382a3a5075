import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyError,
} from 'fastify';
import type { HttpConfig } from '../config/index.js';
import { ERRORS, isConfabError } from '../domain/index.js';
import type { Logger, MetricsRegistry } from '../log/index.js';
import { problem } from './problem.js';

/** A named readiness probe: resolves true when its part of confab can serve. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<boolean>;
}

/** Options of {@link createHttpServer}. */
export interface HttpServerOptions {
  readonly http: HttpConfig;
  readonly logger: Logger;
  readonly metrics: MetricsRegistry;
  /** What `GET /ready` asks (Redis answers, roles running, …). */
  readonly readiness: readonly ReadinessCheck[];
  /** Registers the API's resource plugins (added by later parts of confab). */
  readonly plugins?: readonly ((app: FastifyInstance) => Promise<void>)[];
}

/**
 * Builds the HTTP server: `GET /health` (the process is up), `GET /ready` (every readiness check passes),
 * `GET /metrics` (Prometheus text), the API's resource plugins, and error handling that always answers
 * with the error catalogue's JSON body.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // The widening keeps the instance's type the plain FastifyInstance other rooms register plugins on.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    bodyLimit: options.http.bodyLimitBytes,
    // Requests are logged once, at debug level, by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    requestIdHeader: 'x-request-id',
    // A trailing slash reaches the same route (`/v1/conversations/` and `/v1/conversations`).
    routerOptions: { ignoreTrailingSlash: true },
  });

  app.addHook('onResponse', (request, reply, done) => {
    // Checked first, so that a server not logging at debug level builds nothing per request.
    if (request.log.level !== 'debug' && request.log.level !== 'trace') {
      done();

      return;
    }
    request.log.debug(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
    done();
  });

  app.get('/health', (_request, reply) => reply.send({ status: 'up' }));

  app.get('/ready', async (_request, reply) => {
    const results = await Promise.all(
      options.readiness.map(async (probe) => {
        try {
          return [probe.name, await probe.check()] as const;
        } catch {
          return [probe.name, false] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const ready = results.every(([, ok]) => ok);

    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await options.metrics.metrics();

    return reply.type(options.metrics.contentType).send(text);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .type('application/json')
      .send(problem('http:error:not-found', `No route for ${request.method} ${request.url}.`));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isConfabError(error)) {
      if (error.status >= 500) {
        request.log.error({ err: error, cause: error.cause }, 'request failed');
      }

      return reply
        .code(error.status)
        .type('application/json')
        .send(problem(error.code, error.message, error.invalidParameters));
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).type('application/json').send(problem('http:error:payload-too-large'));
    }
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.code(415).type('application/json').send(problem('http:error:unsupported-media-type'));
    }
    if (error.validation !== undefined) {
      const invalid = error.validation.map((issue) => ({
        name: fieldName(issue.instancePath, issue.params.missingProperty, error.validationContext),
        reason: issue.message ?? 'invalid',
      }));

      return reply
        .code(400)
        .type('application/json')
        .send(problem('http:error:validation-fail', undefined, invalid));
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      return reply
        .code(error.statusCode)
        .type('application/json')
        .send(problem('http:error:validation-fail', error.message));
    }
    request.log.error({ err: error }, 'unhandled error');

    return reply
      .code(500)
      .type('application/json')
      .send(problem('system:error:internal-error', ERRORS['system:error:internal-error'].title));
  });

  // Plugins come after the handlers, so that their routes inherit the catalogue's error and 404 bodies.
  for (const plugin of options.plugins ?? []) {
    await app.register(plugin);
  }

  return app;
}

/**
 * Names the offending field of a schema validation failure: `body.user.name` for bodies, and the bare
 * parameter name (`page_size`, `conversation_id`) for query and path parameters, as Vonage's bodies do.
 */
function fieldName(instancePath: string, missingProperty: unknown, context: string | undefined): string {
  const parameter = context === 'querystring' || context === 'params' || context === 'headers';
  const parts = [
    ...(parameter ? [] : [context ?? 'body']),
    ...instancePath.split('/').filter((part) => part !== ''),
  ];
  if (typeof missingProperty === 'string') {
    parts.push(missingProperty);
  }

  return parts.join('.');
}
