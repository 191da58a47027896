import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { maxHeaderSize } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Services } from '../app/services.js';
import type { Logger } from '../common/log.js';
import { projectAuthHook } from './auth.js';
import { makeErrorHandler } from './faults.js';
import { clientErrorHandler, frameworkErrorHandler, MAX_PATH_PARAMETER, notFoundHandler, trackAllowedMethods } from './http-edge.js';
import { registerJsonBodyParser } from './json-body.js';
import { refuseControlCharactersInQuery, refuseUnknownFields, refuseUnknownQueryParameters } from './strict-schemas.js';
import { BadRequest } from '../common/errors.js';
import { RateLimiter } from './rate-limit.js';
import { backupRoutes } from './routes/backups.js';
import { computeRoutes } from './routes/compute.js';
import { configurationRoutes } from './routes/configurations.js';
import { datastoreRoutes } from './routes/datastores.js';
import { flavorRoutes } from './routes/flavors.js';
import { guestDataRoutes } from './routes/guest-data.js';
import { guestLogRoutes } from './routes/guest-logs.js';
import { instanceRoutes } from './routes/instances.js';
import { clusterRoutes } from './routes/clusters.js';
import { identityRoutes } from './routes/identity.js';
import { limitRoutes } from './routes/limits.js';
import { quotaRoutes } from './routes/quotas.js';
import { versionRoutes } from './routes/versions.js';

export interface ApiOptions {
  logger: Logger;
}

/** The HTTP edge: Keystone v3 subset under /v3, Trove v1.0 under /v1.0/{project_id}, a read-only compute view under /compute. */
export async function buildApi(services: Services, options: ApiOptions): Promise<FastifyInstance> {
  const { settings } = services;
  const publicUrl = settings.server.public_url;
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: settings.server.body_limit_bytes,
    // Bodies are taken as sent: "5" is not a volume size, and unknown fields are not dropped silently.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, verbose: true } },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PATH_PARAMETER },
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler: clientErrorHandler(maxHeaderSize),
    requestIdHeader: 'x-openstack-request-id',
    genReqId: () => `req-${crypto.randomUUID()}`,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const allowedMethods = trackAllowedMethods(app);
  registerJsonBodyParser(app);
  refuseUnknownFields(app);
  refuseUnknownQueryParameters(app);
  refuseControlCharactersInQuery(app, (name) => new BadRequest(`Query parameter '${name.slice(0, 100)}' holds a control character (NUL, newline…): no value this API takes does.`));
  app.decorateRequest('auth', null);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-openstack-request-id', request.id);
  });
  // Counted by the route's template (/v1.0/:tenant_id/instances/:id): ids would make a series each.
  app.addHook('onResponse', async (request, reply) => {
    services.metrics.requestAnswered(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  app.setErrorHandler(makeErrorHandler(settings.server.body_limit_bytes));
  app.setNotFoundHandler(notFoundHandler(allowedMethods));

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Trove Database-as-a-Service API', version: '1.0', description: "OpenStack Trove's v1.0 API and the Keystone v3 subset its clients need." },
      components: { securitySchemes: { token: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' } } },
      security: [{ token: [] }],
    },
  });

  const limiter = new RateLimiter(settings.rate_limits);
  await app.register(versionRoutes, { publicUrl });
  await app.register(identityRoutes, { identity: services.identity, publicUrl, region: settings.server.region });
  await app.register(
    async (project) => {
      project.addHook('onRequest', projectAuthHook(services.identity, limiter));
      await project.register(flavorRoutes, { flavors: services.flavors, publicUrl });
      await project.register(datastoreRoutes, { catalog: services.catalog, flavors: services.flavors, publicUrl });
      await project.register(limitRoutes, { quotas: services.quotas, limiter });
      await project.register(quotaRoutes, { quotas: services.quotas, identity: services.identity });
      await project.register(instanceRoutes, { instances: services.instances, replication: services.replication, configurations: services.configurations, publicUrl, region: settings.server.region });
      await project.register(clusterRoutes, { clusters: services.clusters, root: services.clusterRoot, publicUrl, region: settings.server.region });
      await project.register(guestDataRoutes, { data: services.guestData, publicUrl });
      await project.register(guestLogRoutes, { logs: services.guestLogs });
      await project.register(backupRoutes, { backups: services.backups, catalog: services.catalog, publicUrl });
      await project.register(configurationRoutes, { configurations: services.configurations, publicUrl });
    },
    { prefix: '/v1.0/:tenant_id' },
  );
  await app.register(computeRoutes, { instances: services.instances, catalog: services.catalog, identity: services.identity, limiter, publicUrl, prefix: '/compute' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
