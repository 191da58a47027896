import type { FastifyReply, FastifyRequest } from 'fastify';
import { Forbidden, OverLimit, Unauthorized } from '../common/errors.js';
import type { IdentityService } from '../identity/identity-service.js';
import { isProjectScoped, type AuthContext } from '../identity/types.js';
import type { RateLimiter } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

/** The authenticated caller of a /v1.0 route; the auth hook guarantees it is set. */
export function caller(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new Unauthorized('The request you have made requires authentication.');
  return request.auth;
}

/**
 * Every /v1.0/{project_id} route: a valid X-Auth-Token, a project in the path that is the
 * token's own, and the caller's rate allowance. Unscoped tokens: 403. Admins too name their own
 * project, as in Trove (its TenantBasedAuth): they reach other projects' resources through it and
 * /mgmt, so a path naming a project that does not exist is refused rather than listed as empty.
 */
export function projectAuthHook(identity: IdentityService, limiter: RateLimiter) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const header = request.headers['x-auth-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (!token) throw new Unauthorized('The request you have made requires authentication: send a token in X-Auth-Token.');
    const context = await identity.validate(token);
    if (!context) throw new Unauthorized('The token in X-Auth-Token is invalid or has expired: get a new one from /v3/auth/tokens.');
    // An unscoped token proves who the caller is but grants nothing on any project (Trove sees no tenant in it).
    if (!isProjectScoped(context)) throw new Forbidden('The token in X-Auth-Token is unscoped: get a project-scoped token from /v3/auth/tokens (scope.project).');
    const params = request.params as { tenant_id?: string };
    if (params.tenant_id !== undefined && params.tenant_id !== context.project.id) {
      throw new Forbidden(`User with project id ${context.project.id} cannot access project ${params.tenant_id}.`);
    }
    const wait = limiter.take(context.user.id, request.method);
    if (wait !== undefined) throw new OverLimit(`Rate limit reached for ${request.method} requests; retry in ${wait} s.`, wait);
    request.auth = context;
  };
}

/** Admin-only routes. */
export function requireAdmin(request: FastifyRequest): AuthContext {
  const context = caller(request);
  if (!context.isAdmin) throw new Forbidden('This operation is for administrators only.');
  return context;
}
