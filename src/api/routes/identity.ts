import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { BadRequest, Forbidden, NotFound, TroveFault, Unauthorized } from '../../common/errors.js';
import type { IdentityService } from '../../identity/identity-service.js';
import type { RequestedScope, TokenInfo } from '../../identity/types.js';
import { baseUrl } from '../links.js';
import { tokenView } from '../views/token-view.js';

const DomainRef = Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) });
const ProjectRef = Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()), domain: Type.Optional(DomainRef) });
const AuthBody = Type.Object({
  auth: Type.Object({
    identity: Type.Object({
      methods: Type.Array(Type.String(), { minItems: 1 }),
      password: Type.Optional(
        Type.Object({
          user: Type.Object({
            id: Type.Optional(Type.String()),
            name: Type.Optional(Type.String()),
            domain: Type.Optional(DomainRef),
            password: Type.String(),
          }),
        }),
      ),
      token: Type.Optional(Type.Object({ id: Type.String() })),
    }),
    // Keystone takes "unscoped" as a string, and {"unscoped": {}} from older keystoneauth.
    scope: Type.Optional(Type.Union([Type.Literal('unscoped'), Type.Object({ project: Type.Optional(ProjectRef), unscoped: Type.Optional(Type.Object({})) })])),
  }),
});
type AuthBody = Static<typeof AuthBody>;

/** Keystone's own token options (present without a value, as keystoneclient sends them). */
const TokenQuery = Type.Object({ nocatalog: Type.Optional(Type.String()), allow_expired: Type.Optional(Type.String()) });

const KeystoneError = Type.Object({ error: Type.Object({ code: Type.Integer(), title: Type.String(), message: Type.String() }) });

const TITLES: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests' };

/**
 * Keystone answers in its own error shape ({"error": {code, title, message}}), which is what
 * keystoneauth reads to tell the user why authentication failed.
 */
function keystoneError(reply: FastifyReply, status: number, message: string, headers: Record<string, string> = {}) {
  return reply
    .code(status)
    .headers(headers)
    .send({ error: { code: status, title: TITLES[status] ?? 'Error', message } });
}

/** Keystone's scope rules: a project, or "unscoped", or nothing (the default project, if any). */
function requestedScope(scope: AuthBody['auth']['scope']): RequestedScope {
  if (scope === undefined) return undefined;
  if (scope === 'unscoped') return 'unscoped';
  if ((scope.project ? 1 : 0) + (scope.unscoped ? 1 : 0) !== 1) throw new BadRequest('Expecting to find project or unscoped in scope, and only one of them.');
  return scope.project ? { project: scope.project } : 'unscoped';
}

/**
 * Keystone's token policy: an admin may check, read and revoke any token, any user their
 * own ones (the subject's user is the caller's); anyone else gets 403.
 */
function allowedOnSubject(caller: TokenInfo, subject: TokenInfo): boolean {
  return caller.isAdmin || caller.user.id === subject.user.id;
}

/** The Keystone v3 subset OpenStack clients use: discovery, issuing, validating and revoking tokens. */
export const identityRoutes: FastifyPluginAsyncTypebox<{ identity: IdentityService; publicUrl: string; region: string }> = async (app, { identity, publicUrl, region }) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof TroveFault) return keystoneError(reply, error.status, error.message, error.headers);
    if (error.validation) return keystoneError(reply, 400, `Invalid authentication request: ${error.message}.`);
    const status = error.statusCode ?? 500;
    if (status < 500) return keystoneError(reply, status, error.message);
    request.log.error({ err: error }, 'identity request failed');
    return keystoneError(reply, 500, `An unexpected error occurred (request ${request.id}).`);
  });

  const versionDoc = (request: FastifyRequest) => ({
    version: {
      id: 'v3.14',
      status: 'stable',
      updated: '2020-04-07T00:00:00Z',
      links: [{ rel: 'self', href: `${baseUrl(request, publicUrl)}/v3/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
    },
  });
  app.get('/v3', { schema: { tags: ['identity'], summary: 'Identity API version' } }, async (request) => versionDoc(request));

  app.post(
    '/v3/auth/tokens',
    {
      schema: {
        tags: ['identity'],
        summary: 'Issue a token (password or token method; project scope, or unscoped)',
        body: AuthBody,
        querystring: Type.Object({ nocatalog: Type.Optional(Type.String()) }),
        response: { 201: Type.Object({ token: Type.Record(Type.String(), Type.Unknown()) }, { description: 'Keystone v3 token body' }), 400: KeystoneError, 401: KeystoneError, 429: KeystoneError },
      },
    },
    async (request, reply) => {
      const { identity: id, scope } = request.body.auth;
      const methods = [...new Set(id.methods)];
      if (methods.length !== 1 || (methods[0] !== 'password' && methods[0] !== 'token')) {
        throw new Unauthorized('Attempted to authenticate with an unsupported method: use "password" or "token", one of them.');
      }
      const requested = requestedScope(scope);
      let issued;
      if (methods[0] === 'password') {
        if (!id.password) throw new BadRequest('Expecting to find password in identity.');
        const project = requested === 'unscoped' ? undefined : requested?.project;
        issued = await identity.authenticate({ user: id.password.user, password: id.password.user.password, project, unscoped: requested === 'unscoped', source: request.ip });
      } else {
        if (!id.token) throw new BadRequest('Expecting to find token in identity.');
        issued = await identity.authenticateWithToken({ token: id.token.id, scope: requested });
      }
      request.log.info({ user: issued.context.user.name, project: issued.context.project?.name ?? null, methods: issued.context.methods }, 'token issued');
      return reply
        .code(201)
        .header('X-Subject-Token', issued.token)
        .send(tokenView(issued.context, baseUrl(request, publicUrl), region));
    },
  );

  /** The subject token of a GET, HEAD or DELETE, once the caller's own token and the policy allow it. */
  const subject = async (request: FastifyRequest, action: string) => {
    const own = request.headers['x-auth-token'];
    const caller = typeof own === 'string' ? await identity.validate(own) : undefined;
    if (!caller) throw new Unauthorized('The request you have made requires authentication.');
    const subjectToken = request.headers['x-subject-token'];
    if (typeof subjectToken !== 'string') throw new NotFound('Send the token to check in X-Subject-Token.');
    const context = await identity.validate(subjectToken);
    // As in Keystone, an unknown token is 404 before any policy: there is nothing to protect.
    if (!context) throw new NotFound('Could not find token.');
    if (!allowedOnSubject(caller, context)) throw new Forbidden(`You are not authorized to perform the requested action: ${action}.`);
    return { token: subjectToken, context };
  };

  app.get('/v3/auth/tokens', { schema: { tags: ['identity'], summary: "Validate a token (its owner's or, for admins, any)", querystring: TokenQuery } }, async (request, reply) => {
    const { token, context } = await subject(request, request.method === 'HEAD' ? 'identity:check_token' : 'identity:validate_token');
    return reply.header('X-Subject-Token', token).send(tokenView(context, baseUrl(request, publicUrl), region));
  });

  app.delete('/v3/auth/tokens', { schema: { tags: ['identity'], summary: "Revoke a token (its owner's or, for admins, any)", querystring: TokenQuery } }, async (request, reply) => {
    const { token } = await subject(request, 'identity:revoke_token');
    if (!(await identity.revoke(token))) throw new NotFound('Could not find token.');
    return reply.code(204).send();
  });
};
