import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { Forbidden } from '../../common/errors.js';
import type { IdentityService } from '../../identity/identity-service.js';
import type { QuotaService } from '../../quota/quota-service.js';
import { caller, requireAdmin } from '../auth.js';
import { COMMON_FAULTS, INT32_MAX, WholeNumber } from '../schemas.js';

const QuotaParams = Type.Object({ tenant_id: Type.String(), project_id: Type.String({ description: 'The project whose quotas to show or set' }) });

export const quotaRoutes: FastifyPluginAsyncTypebox<{ quotas: QuotaService; identity: IdentityService }> = async (app, { quotas, identity }) => {
  app.get(
    '/mgmt/quotas/:project_id',
    {
      schema: {
        tags: ['quotas'],
        summary: "A project's quotas with usage (own project, or any for admins)",
        params: QuotaParams,
        response: {
          200: Type.Object({
            quotas: Type.Array(Type.Object({ resource: Type.String(), in_use: Type.Integer(), reserved: Type.Integer(), limit: Type.Integer() })),
          }),
          ...COMMON_FAULTS,
        },
      },
    },
    async (request) => {
      const context = caller(request);
      if (request.params.project_id !== context.project.id && !context.isAdmin) {
        throw new Forbidden(`User with project id ${context.project.id} cannot see the quotas of project ${request.params.project_id}.`);
      }
      const project = await identity.requireProject(request.params.project_id);
      return { quotas: await quotas.usage(project.id) };
    },
  );

  app.put(
    '/mgmt/quotas/:project_id',
    {
      schema: {
        tags: ['quotas'],
        summary: "Set a project's quota limits (admin); -1 means unlimited",
        params: QuotaParams,
        body: Type.Object({
          quotas: Type.Record(Type.String(), WholeNumber(-1, INT32_MAX, 'a whole number', '-1: unlimited'), { description: 'resource → limit: instances, ram (MB), volumes (GB), backups; leave a resource out to keep its limit' }),
        }),
        response: { 200: Type.Object({ quotas: Type.Record(Type.String(), Type.Integer()) }), ...COMMON_FAULTS },
      },
    },
    async (request) => {
      requireAdmin(request);
      const project = await identity.requireProject(request.params.project_id);
      return { quotas: await quotas.update(project.id, request.body.quotas) };
    },
  );
};
