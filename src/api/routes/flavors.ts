import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { FlavorService } from '../../flavor/flavor-service.js';
import { baseUrl } from '../links.js';
import { pageLinks, paginate } from '../pagination.js';
import { COMMON_FAULTS, LinksSchema, PageQuery, ProjectParams } from '../schemas.js';
import { FlavorSchema, flavorView } from '../views/flavor-view.js';

const MAX_PAGE = 1000;

export const flavorRoutes: FastifyPluginAsyncTypebox<{ flavors: FlavorService; publicUrl: string }> = async (app, { flavors, publicUrl }) => {
  app.get(
    '/flavors',
    {
      schema: {
        tags: ['flavors'],
        summary: 'List flavors',
        params: ProjectParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ flavors: Type.Array(FlavorSchema), links: Type.Optional(LinksSchema) }), ...COMMON_FAULTS },
      },
    },
    async (request) => {
      const base = baseUrl(request, publicUrl);
      const { limit, marker } = request.query;
      const page = paginate(await flavors.list(), (f) => f.id, { limit: limit === undefined ? undefined : Number(limit), marker }, MAX_PAGE);
      const body: { flavors: ReturnType<typeof flavorView>[]; links?: ReturnType<typeof pageLinks> } = {
        flavors: page.items.map((f) => flavorView(f, base, request.params.tenant_id)),
      };
      if (page.next !== undefined) body.links = pageLinks(request.url, base, page.next);
      return body;
    },
  );

  app.get(
    '/flavors/:id',
    {
      schema: {
        tags: ['flavors'],
        summary: 'Show a flavor',
        params: Type.Object({ tenant_id: Type.String(), id: Type.String() }),
        response: { 200: Type.Object({ flavor: FlavorSchema }), ...COMMON_FAULTS },
      },
    },
    async (request) => ({ flavor: flavorView(await flavors.get(request.params.id), baseUrl(request, publicUrl), request.params.tenant_id) }),
  );
};
