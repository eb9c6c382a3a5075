import type { FastifyInstance, RouteOptions } from 'fastify';
import { problem } from '../problem.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Collects the methods of every route added to a context, by URL pattern. */
export class RouteTable {
  readonly #methods = new Map<string, Set<string>>();

  /** The `onRoute` hook to add to the context whose routes are collected. */
  readonly onRoute = (route: RouteOptions): void => {
    const methods = this.#methods.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) {
      methods.add(method.toUpperCase());
      if (method.toUpperCase() === 'GET') {
        methods.add('HEAD');
      }
    }
    this.#methods.set(route.url, methods);
  };

  /**
   * Registers, for every collected URL pattern, a route for the methods it lacks that answers 405
   * `http:error:method-not-allowed` with an `Allow` header (fastify alone would answer 404). The guards are
   * hidden from the OpenAPI document.
   */
  registerGuards(app: FastifyInstance): void {
    for (const [url, methods] of [...this.#methods]) {
      const missing = METHODS.filter((method) => !methods.has(method));
      if (missing.length === 0) {
        continue;
      }
      const allow = METHODS.filter((method) => methods.has(method)).join(', ');
      app.route({
        method: missing,
        url,
        schema: { hide: true },
        handler: (request, reply) =>
          reply
            .code(405)
            .header('allow', allow)
            .type('application/json')
            .send(
              problem(
                'http:error:method-not-allowed',
                `${request.method} is not allowed here; use ${allow}.`,
              ),
            ),
      });
    }
  }
}
