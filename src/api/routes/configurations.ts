import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ConfigurationService } from '../../configuration-groups/configuration-service.js';
import { troveTime } from '../../common/time.js';
import type { ConfigurationTable } from '../../state/schema.js';
import type { FastifyRequest } from 'fastify';
import { caller } from '../auth.js';
import { baseUrl } from '../links.js';
import { pageLinks, paginate } from '../pagination.js';
import { ACCEPTED, COMMON_FAULTS, FaultSchema, LinksSchema, PageQuery, PlainText, ProjectParams } from '../schemas.js';
import { parseOwn } from '../../common/json.js';

const GroupParams = Type.Object({ tenant_id: Type.String(), id: Type.String() });
const Values = Type.Record(Type.String(), Type.Unknown());
const GroupBody = Type.Object({
  configuration: Type.Object({
    name: Type.Optional(PlainText(1, 255)),
    description: Type.Optional(Type.Union([PlainText(0, 1024), Type.Null()])),
    values: Type.Optional(Values),
    datastore: Type.Optional(Type.Object({ type: Type.Optional(Type.String()), version: Type.Optional(Type.String()) })),
  }),
});

const PAGE_SIZE = 20;

export const configurationRoutes: FastifyPluginAsyncTypebox<{ configurations: ConfigurationService; publicUrl: string }> = async (app, { configurations, publicUrl }) => {
  /** Trove's paging (troveclient sends limit and marker here): a `links` entry when there is a next page. */
  const page = <T extends { id: string }>(request: FastifyRequest, items: T[]) => {
    const { limit, marker } = request.query as { limit?: string; marker?: string };
    const selected = paginate(items, (item) => item.id, { limit: limit === undefined ? undefined : Number(limit), marker }, PAGE_SIZE);
    return { items: selected.items, ...(selected.next !== undefined ? { links: pageLinks(request.url, baseUrl(request, publicUrl), selected.next) } : {}) };
  };
  const summary = (group: ConfigurationTable) => ({
    id: group.id,
    name: group.name,
    description: group.description,
    created: troveTime(new Date(group.created_at)),
    updated: troveTime(new Date(group.updated_at)),
    datastore_name: group.datastore,
    datastore_version_id: configurations.versionIdOf(group),
    datastore_version_name: group.datastore_version,
  });
  const detail = async (group: ConfigurationTable) => {
    const attached = await configurations.attachedInstances(group.id);
    const warnings = await configurations.warningsOf(group, attached);
    return {
      ...summary(group),
      values: parseOwn<Record<string, unknown>>(group.values),
      instance_count: attached.length,
      datastore_version_number: group.datastore_version,
      // What the group's values come to in memory on the flavors of the instances it is attached to.
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  };

  app.get(
    '/configurations',
    {
      schema: {
        tags: ['configurations'],
        summary: 'List configuration groups (20 a page)',
        params: ProjectParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ configurations: Type.Array(Type.Unknown()), links: Type.Optional(LinksSchema) }), ...COMMON_FAULTS },
      },
    },
    async (request) => {
      caller(request);
      const { items, ...links } = page(request, await configurations.list(request.params.tenant_id));
      return { configurations: items.map(summary), ...links };
    },
  );
  app.post(
    '/configurations',
    {
      schema: {
        tags: ['configurations'],
        summary: 'Create a configuration group; values are checked against the datastore version’s parameters',
        params: ProjectParams,
        body: GroupBody,
        response: { 200: Type.Object({ configuration: Type.Unknown() }), ...COMMON_FAULTS, 422: FaultSchema },
      },
    },
    async (request) => {
      caller(request);
      return { configuration: await detail(await configurations.create(request.params.tenant_id, request.body.configuration)) };
    },
  );
  app.get('/configurations/:id', { schema: { tags: ['configurations'], summary: 'Show a configuration group', params: GroupParams, response: { 200: Type.Object({ configuration: Type.Unknown() }), ...COMMON_FAULTS } } }, async (request) => {
    caller(request);
    return { configuration: await detail(await configurations.get(request.params.tenant_id, request.params.id)) };
  });
  app.get(
    '/configurations/:id/instances',
    {
      schema: {
        tags: ['configurations'],
        summary: 'Instances the group is attached to (20 a page)',
        params: GroupParams,
        querystring: PageQuery,
        response: { 200: Type.Object({ instances: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })), links: Type.Optional(LinksSchema) }), ...COMMON_FAULTS },
      },
    },
    async (request) => {
      caller(request);
      const group = await configurations.get(request.params.tenant_id, request.params.id);
      const { items, ...links } = page(request, await configurations.attachedInstances(group.id));
      return { instances: items.map((i) => ({ id: i.id, name: i.name })), ...links };
    },
  );
  for (const [method, mode] of [
    ['PUT', 'replace'],
    ['PATCH', 'merge'],
  ] as const) {
    app.route({
      method,
      url: '/configurations/:id',
      schema: {
        tags: ['configurations'],
        summary: mode === 'replace' ? 'Replace a group’s values (applied to its instances)' : 'Merge values into a group (applied to its instances)',
        params: GroupParams,
        body: GroupBody,
        // Trove answers PUT with 202 and PATCH with 200, both with an empty body.
        response: { 200: Type.Unknown({ description: 'PATCH: empty body, as Trove answers' }), 202: Type.Unknown({ description: 'PUT: accepted (empty body), as Trove answers' }), ...COMMON_FAULTS, 422: FaultSchema },
      },
      handler: async (request, reply) => {
        caller(request);
        await configurations.update(request.params.tenant_id, request.params.id, request.body.configuration, mode);
        return reply.code(mode === 'replace' ? 202 : 200).send();
      },
    });
  }
  app.delete('/configurations/:id', { schema: { tags: ['configurations'], summary: 'Delete a configuration group (refused while attached)', params: GroupParams, response: { ...ACCEPTED, ...COMMON_FAULTS } } }, async (request, reply) => {
    caller(request);
    await configurations.delete(request.params.tenant_id, request.params.id);
    return reply.code(202).send();
  });
};
