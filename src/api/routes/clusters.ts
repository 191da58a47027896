import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { BadRequest } from '../../common/errors.js';
import type { ClusterRootService } from '../../cluster/cluster-root.js';
import { MAX_CLUSTER_MEMBERS, type ClusterMemberInput, type ClusterService } from '../../cluster/cluster-service.js';
import type { ClusterTable } from '../../state/schema.js';
import { caller, requireAdmin } from '../auth.js';
import { baseUrl } from '../links.js';
import { pageLinks, paginate } from '../pagination.js';
import { ACCEPTED, COMMON_FAULTS, FaultSchema, INT32_MAX, LinksSchema, PageQuery, PlainText, ProjectParams, WholeNumber } from '../schemas.js';
import { ClusterSchema, clusterView } from '../views/cluster-view.js';
import { InstanceSchema, instanceView } from '../views/instance-view.js';

const PAGE_SIZE = 20;
const ClusterParams = Type.Object({ tenant_id: Type.String(), id: Type.String() });

const FlavorRef = Type.Union([Type.String({ minLength: 1, maxLength: 255 }), WholeNumber(1, INT32_MAX)], { description: 'a flavor id or link (see GET /flavors)' });

/** One member as troveclient's `--instance flavor=…,volume=…` sends it. */
const MemberBody = Type.Object({
  flavorRef: Type.Optional(FlavorRef),
  // troveclient sends the size as text ("1"), as Trove's schema allows.
  volume: Type.Optional(Type.Object({ size: Type.Optional(Type.Union([WholeNumber(1, INT32_MAX, 'a whole number of GB'), Type.String({ pattern: '^0*[1-9][0-9]{0,8}$' })])), type: Type.Optional(Type.Union([Type.String(), Type.Null()])) })),
  // troveclient's shell sends `type=` as a list.
  type: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 32 }), Type.Array(Type.String({ minLength: 1, maxLength: 32 }), { minItems: 1, maxItems: 4 })])),
  /** troveclient's grow sends it with a type (MongoDB's replica-set names); null when not given. */
  related_to: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  availability_zone: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  nics: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
  region_name: Type.Optional(Type.String()),
  /** What troveclient's shell sends for region_name. */
  region: Type.Optional(Type.String()),
  modules: Type.Optional(Type.Array(Type.Unknown(), { maxItems: 0, description: 'modules are not supported: leave this out' })),
});

const CreateBody = Type.Object({
  cluster: Type.Object({
    name: PlainText(1, 255),
    datastore: Type.Object({ type: Type.String({ minLength: 1 }), version: Type.Optional(Type.String({ minLength: 1 })) }),
    instances: Type.Array(MemberBody, { minItems: 1, maxItems: MAX_CLUSTER_MEMBERS }),
    locality: Type.Optional(Type.String()),
    extended_properties: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    configuration: Type.Optional(Type.String({ minLength: 1 })),
  }),
});

const KNOWN_ACTIONS = 'grow, shrink, restart, configuration_attach, configuration_detach and reset-status (admins); upgrade is not available on this server yet';

const ActionBody = Type.Object(
  {
    grow: Type.Optional(Type.Array(MemberBody, { minItems: 1, maxItems: MAX_CLUSTER_MEMBERS })),
    shrink: Type.Optional(Type.Array(Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }), { minItems: 1, maxItems: MAX_CLUSTER_MEMBERS })),
    'reset-status': Type.Optional(Type.Object({})),
    restart: Type.Optional(Type.Object({})),
    configuration_attach: Type.Optional(Type.Object({ configuration_id: Type.String({ minLength: 1, maxLength: 64 }) })),
    configuration_detach: Type.Optional(Type.Object({})),
    // Another key is answered by the handler, which names the actions there are.
  },
  { additionalProperties: true },
);

type MemberBody = Static<typeof MemberBody>;

/** A member as the service takes it: the size as a number, the types as a list. */
function memberInput(m: MemberBody, region: string): ClusterMemberInput {
  const named = m.region_name ?? m.region;
  if (named !== undefined && named !== region) throw new BadRequest(`This server serves region '${region}', not '${named}'.`);
  // A replica follows the primary the engine's own tools choose (the one with the fewest): it is not named.
  if (m.related_to !== undefined && m.related_to !== null) throw new BadRequest(`"related_to" is not taken here: a new replica follows the primary that has the fewest replicas; leave it out.`);
  return {
    ...(m.flavorRef !== undefined ? { flavorRef: m.flavorRef } : {}),
    ...(m.volume ? { volume: m.volume.size === undefined ? {} : { size: Number(m.volume.size) } } : {}),
    ...(m.type !== undefined ? { types: typeof m.type === 'string' ? [m.type] : m.type } : {}),
  };
}

export const clusterRoutes: FastifyPluginAsyncTypebox<{ clusters: ClusterService; root: ClusterRootService; publicUrl: string; region: string }> = async (app, { clusters, root, publicUrl, region }) => {
  const views = async (request: FastifyRequest, list: ClusterTable[], detailed: boolean) => {
    const members = await clusters.membersOf(list.map((c) => c.id));
    const base = baseUrl(request, publicUrl);
    const projectId = (request.params as { tenant_id: string }).tenant_id;
    return list.map((c) => clusterView(c, members.get(c.id) ?? [], base, projectId, caller(request).isAdmin, detailed));
  };

  app.post('/clusters', { schema: { tags: ['clusters'], summary: 'Create a cluster', params: ProjectParams, body: CreateBody, response: { 200: Type.Object({ cluster: ClusterSchema }), ...COMMON_FAULTS, 422: FaultSchema } } }, async (request) => {
    const body = request.body.cluster;
    const cluster = await clusters.create(caller(request), request.params.tenant_id, {
      name: body.name,
      datastore: body.datastore,
      instances: body.instances.map((m) => memberInput(m, region)),
      ...(body.configuration !== undefined ? { configuration: body.configuration } : {}),
      ...(body.locality !== undefined ? { locality: body.locality } : {}),
      ...(body.extended_properties !== undefined ? { extended_properties: body.extended_properties } : {}),
    });
    return { cluster: (await views(request, [cluster], false))[0]! };
  });

  app.get(
    '/clusters',
    { schema: { tags: ['clusters'], summary: 'List clusters, newest first (20 a page)', params: ProjectParams, querystring: PageQuery, response: { 200: Type.Object({ clusters: Type.Array(ClusterSchema), links: LinksSchema }), ...COMMON_FAULTS } } },
    async (request) => {
      const all = await clusters.list(request.params.tenant_id);
      const { limit, marker } = request.query;
      const page = paginate(all, (c) => c.id, { limit: limit === undefined ? undefined : Number(limit), marker }, PAGE_SIZE);
      return { clusters: await views(request, page.items, false), links: pageLinks(request.url, baseUrl(request, publicUrl), page.next) };
    },
  );

  app.get('/clusters/:id', { schema: { tags: ['clusters'], summary: 'Show a cluster and its members', params: ClusterParams, response: { 200: Type.Object({ cluster: ClusterSchema }), ...COMMON_FAULTS } } }, async (request) => {
    const cluster = await clusters.get(caller(request), request.params.tenant_id, request.params.id);
    return { cluster: (await views(request, [cluster], true))[0]! };
  });

  app.delete('/clusters/:id', { schema: { tags: ['clusters'], summary: 'Delete a cluster and all its members (from any state)', params: ClusterParams, response: { ...ACCEPTED, ...COMMON_FAULTS } } }, async (request, reply) => {
    await clusters.delete(caller(request), request.params.tenant_id, request.params.id);
    return reply.code(202).send();
  });

  app.post(
    '/clusters/:id',
    {
      schema: {
        tags: ['clusters'],
        summary: 'Act on a cluster: grow, shrink, restart, configuration_attach, configuration_detach, reset-status (admins)',
        params: ClusterParams,
        body: ActionBody,
        response: { 202: Type.Object({ cluster: ClusterSchema }), ...COMMON_FAULTS, 422: FaultSchema },
      },
    },
    async (request, reply) => {
      const actions = Object.keys(request.body);
      if (actions.length !== 1) throw new BadRequest(`Send exactly one action; known actions are ${KNOWN_ACTIONS}; got ${actions.length === 0 ? 'none' : actions.join(', ')}.`);
      const { tenant_id: projectId, id } = request.params;
      const action = actions[0]!;
      const viewOf = async (cluster: ClusterTable) => ({ cluster: (await views(request, [cluster], false))[0]! });
      if (action === 'grow')
        return reply.code(202).send(
          await viewOf(
            await clusters.grow(
              caller(request),
              projectId,
              id,
              request.body.grow!.map((m) => memberInput(m, region)),
            ),
          ),
        );
      if (action === 'shrink')
        return reply.code(202).send(
          await viewOf(
            await clusters.shrink(
              caller(request),
              projectId,
              id,
              request.body.shrink!.map((m) => m.id),
            ),
          ),
        );
      if (action === 'restart') return reply.code(202).send(await viewOf(await clusters.restart(caller(request), projectId, id)));
      if (action === 'configuration_attach') return reply.code(202).send(await viewOf(await clusters.attachConfiguration(caller(request), projectId, id, request.body.configuration_attach!.configuration_id)));
      if (action === 'configuration_detach') return reply.code(202).send(await viewOf(await clusters.detachConfiguration(caller(request), projectId, id)));
      if (action === 'reset-status') {
        await clusters.resetStatus(requireAdmin(request), projectId, id);
        return reply.code(202).send(await viewOf(await clusters.get(caller(request), projectId, id)));
      }
      // The cluster must exist (404) before an action is refused for what it is.
      await clusters.get(caller(request), projectId, id);
      if (action === 'upgrade') {
        throw new BadRequest(`Action '${action}' not supported on this server yet; known actions are ${KNOWN_ACTIONS}.`);
      }
      throw new BadRequest(`Action ${action} not supported; known actions are ${KNOWN_ACTIONS}.`);
    },
  );

  app.get(
    '/clusters/:id/instances/:instance_id',
    {
      schema: {
        tags: ['clusters'],
        summary: 'Show one member of a cluster',
        params: Type.Object({ tenant_id: Type.String(), id: Type.String(), instance_id: Type.String() }),
        response: { 200: Type.Object({ instance: InstanceSchema }), ...COMMON_FAULTS },
      },
    },
    async (request) => {
      const { tenant_id: projectId, id, instance_id: instanceId } = request.params;
      const member = await clusters.member(caller(request), projectId, id, instanceId);
      return { instance: instanceView(member, baseUrl(request, publicUrl), projectId, region, caller(request).isAdmin) };
    },
  );

  app.get(
    '/clusters/:id/root',
    { schema: { tags: ['clusters'], summary: 'Whether root was ever enabled on the cluster', params: ClusterParams, response: { 200: Type.Object({ rootEnabled: Type.Boolean() }), ...COMMON_FAULTS, 422: FaultSchema } } },
    async (request) => ({
      rootEnabled: await root.enabled(caller(request), request.params.tenant_id, request.params.id),
    }),
  );

  app.post(
    '/clusters/:id/root',
    {
      schema: {
        tags: ['clusters'],
        summary: 'Enable root on every member with the given password, or a new random one (shown once)',
        params: ClusterParams,
        // troveclient posts a JSON null when no password is chosen.
        body: Type.Union([Type.Object({ password: Type.Optional(Type.String()) }), Type.Null()]),
        response: { 200: Type.Object({ user: Type.Object({ name: Type.String(), password: Type.String() }) }), ...COMMON_FAULTS, 422: FaultSchema },
      },
    },
    async (request) => ({ user: await root.enable(caller(request), request.params.tenant_id, request.params.id, request.body?.password) }),
  );

  app.delete(
    '/clusters/:id/root',
    { schema: { tags: ['clusters'], summary: 'Disable root on every member', params: ClusterParams, response: { 204: Type.Unknown({ description: 'Disabled (empty body)' }), ...COMMON_FAULTS, 422: FaultSchema } } },
    async (request, reply) => {
      await root.disable(caller(request), request.params.tenant_id, request.params.id);
      return reply.code(204).send();
    },
  );
};
