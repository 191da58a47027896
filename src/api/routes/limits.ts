import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { QuotaService } from '../../quota/quota-service.js';
import { caller } from '../auth.js';
import type { RateLimiter } from '../rate-limit.js';
import { COMMON_FAULTS, ProjectParams } from '../schemas.js';

const AbsoluteLimits = Type.Object({
  verb: Type.Literal('ABSOLUTE'),
  max_instances: Type.Integer(),
  max_ram: Type.Integer(),
  max_volumes: Type.Integer(),
  max_backups: Type.Integer(),
});
const RateLimit = Type.Object({
  verb: Type.String(),
  value: Type.Integer(),
  remaining: Type.Integer(),
  unit: Type.String(),
  nextAvailable: Type.String(),
  uri: Type.String(),
  regex: Type.String(),
});

export const limitRoutes: FastifyPluginAsyncTypebox<{ quotas: QuotaService; limiter: RateLimiter }> = async (app, { quotas, limiter }) => {
  app.get(
    '/limits',
    {
      schema: {
        tags: ['limits'],
        summary: "The project's absolute limits (quotas) and the caller's rate limits",
        params: ProjectParams,
        response: { 200: Type.Object({ limits: Type.Array(Type.Union([AbsoluteLimits, RateLimit])) }), ...COMMON_FAULTS },
      },
    },
    async (request) => {
      const context = caller(request);
      const limits = await quotas.limits(request.params.tenant_id);
      const absolute = {
        verb: 'ABSOLUTE' as const,
        max_instances: limits.instances,
        max_ram: limits.ram,
        max_volumes: limits.volumes,
        max_backups: limits.backups,
      };
      const rates = limiter.state(context.user.id).map((s) => ({
        verb: s.verb,
        value: s.value,
        remaining: s.remaining,
        unit: 'MINUTE',
        nextAvailable: s.resetAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        uri: '*',
        regex: '.*',
      }));
      return { limits: [absolute, ...rates] };
    },
  );
};
