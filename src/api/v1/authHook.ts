import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  aclAllows,
  TokenRejectedError,
  type Principal,
  type RateLimiter,
  type TokenVerifier,
} from '../../auth/index.js';
import { ConfabError } from '../../domain/index.js';
import type { Caller } from '../../services/index.js';
import { problem } from '../problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller of a /v1 request (set by the auth hook before anything else runs). */
    caller: Caller;
  }
}

/** What the auth hook needs. */
export interface AuthHookOptions {
  readonly verifier: TokenVerifier;
  /** Per-token request budget; none disables rate limiting. */
  readonly rateLimiter: RateLimiter | null;
}

/**
 * Builds the `onRequest` hook of every /v1 route. In order:
 * 1. The bearer token is verified; any failure is the one uniform 401 body (the reason is only logged).
 * 2. A client token must have an ACL entry allowing the method on the path, else 403 `system:error:permission`.
 * 3. The token's request budget is charged (keyed by `jti`, else by application and subject), else 429 with
 *    `Retry-After`.
 * It runs before the body is read, so nothing of an unauthenticated request is parsed.
 */
export function authHook(
  options: AuthHookOptions,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async (request, reply) => {
    let principal: Principal;
    try {
      principal = await options.verifier.verify(request.headers.authorization);
    } catch (error) {
      if (error instanceof TokenRejectedError) {
        request.log.info({ reason: error.reason }, 'token rejected');
      }
      throw error;
    }
    if (principal.kind === 'client' && !aclAllows(principal.acl, request.method, request.url)) {
      throw new ConfabError('system:error:permission', 'The token ACL does not allow this request.');
    }
    if (options.rateLimiter !== null) {
      const key =
        principal.tokenId ??
        `${principal.applicationId}\n${principal.kind === 'client' ? principal.userName : ''}`;
      const decision = options.rateLimiter.take(key);
      if (!decision.allowed) {
        return reply
          .code(429)
          .header('retry-after', String(decision.retryAfterSeconds))
          .type('application/json')
          .send(problem('http:error:too-many-requests', `Retry after ${decision.retryAfterSeconds} s.`));
      }
    }
    request.caller =
      principal.kind === 'admin'
        ? { kind: 'admin', applicationId: principal.applicationId }
        : { kind: 'client', applicationId: principal.applicationId, userName: principal.userName };

    return undefined;
  };
}
