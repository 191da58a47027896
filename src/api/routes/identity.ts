import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { BadRequest, NotFound, TroveFault, Unauthorized } from '../../common/errors.js';
import type { IdentityService } from '../../identity/identity-service.js';
import { baseUrl } from '../links.js';
import { tokenView } from '../views/token-view.js';

const DomainRef = Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()) });
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
    }),
    scope: Type.Optional(
      Type.Object({
        project: Type.Optional(Type.Object({ id: Type.Optional(Type.String()), name: Type.Optional(Type.String()), domain: Type.Optional(DomainRef) })),
      }),
    ),
  }),
});

const KeystoneError = Type.Object({ error: Type.Object({ code: Type.Integer(), title: Type.String(), message: Type.String() }) });

/**
 * Keystone answers in its own error shape ({"error": {code, title, message}}), which is what
 * keystoneauth reads to tell the user why authentication failed.
 */
function keystoneError(reply: FastifyReply, status: number, message: string) {
  const titles: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found' };
  return reply.code(status).send({ error: { code: status, title: titles[status] ?? 'Error', message } });
}

/** The Keystone v3 subset OpenStack clients use: discovery, issuing, validating and revoking tokens. */
export const identityRoutes: FastifyPluginAsyncTypebox<{ identity: IdentityService; publicUrl: string; region: string }> = async (app, { identity, publicUrl, region }) => {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof TroveFault) return keystoneError(reply, error.status, error.message);
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
    { schema: { tags: ['identity'], summary: 'Issue a token (password method, project scope)', body: AuthBody, response: { 201: Type.Object({ token: Type.Record(Type.String(), Type.Unknown()) }, { description: 'Keystone v3 token body' }), 400: KeystoneError, 401: KeystoneError } } },
    async (request, reply) => {
      const { identity: id, scope } = request.body.auth;
      if (!id.methods.includes('password') || !id.password) throw new BadRequest('Only the password authentication method is supported.');
      const issued = await identity.authenticate({ user: id.password.user, password: id.password.user.password, project: scope?.project });
      request.log.info({ user: issued.context.user.name, project: issued.context.project.name }, 'token issued');
      return reply.code(201).header('X-Subject-Token', issued.token).send(tokenView(issued.context, baseUrl(request, publicUrl), region));
    },
  );

  const subject = async (request: FastifyRequest) => {
    const own = request.headers['x-auth-token'];
    const subjectToken = request.headers['x-subject-token'];
    if (typeof own !== 'string' || !(await identity.validate(own))) throw new Unauthorized('The request you have made requires authentication.');
    if (typeof subjectToken !== 'string') throw new NotFound('Send the token to check in X-Subject-Token.');
    return subjectToken;
  };

  app.get('/v3/auth/tokens', { schema: { tags: ['identity'], summary: 'Validate a token' } }, async (request, reply) => {
    const token = await subject(request);
    const context = await identity.validate(token);
    if (!context) throw new NotFound('Could not find token.');
    return reply.header('X-Subject-Token', token).send(tokenView(context, baseUrl(request, publicUrl), region));
  });

  app.delete('/v3/auth/tokens', { schema: { tags: ['identity'], summary: 'Revoke a token' } }, async (request, reply) => {
    const token = await subject(request);
    if (!(await identity.revoke(token))) throw new NotFound('Could not find token.');
    return reply.code(204).send();
  });
};
