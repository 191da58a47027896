import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { BadRequest } from '../../common/errors.js';
import type { ConfigurationService } from '../../configuration-groups/configuration-service.js';
import { MAX_REPLICA_COUNT, type InstanceService } from '../../instance/instance-service.js';
import type { ReplicationService } from '../../instance/replication-service.js';
import type { InstanceTable } from '../../state/schema.js';
import { caller, requireAdmin } from '../auth.js';
import { baseUrl } from '../links.js';
import { pageLinks, paginate } from '../pagination.js';
import { ACCEPTED, COMMON_FAULTS, FaultSchema, INT32_MAX, LinksSchema, PageQuery, PlainText, ProjectParams, TroveBoolean, WholeNumber, isTrue } from '../schemas.js';
import { CIDR_PATTERN, MAX_ALLOWED_CIDRS } from '../../instance/access.js';
import { InstanceSchema, instanceView } from '../views/instance-view.js';

const PAGE_SIZE = 20;
const InstanceParams = Type.Object({ tenant_id: Type.String(), id: Type.String() });
const Name = PlainText(1, 255);

/** Trove's `access`: public or private, and the IPv4 networks that may connect. */
const AccessBody = Type.Object({
  is_public: Type.Optional(Type.Boolean()),
  allowed_cidrs: Type.Optional(Type.Array(Type.String({ pattern: CIDR_PATTERN, description: 'an IPv4 network: a.b.c.d or a.b.c.d/mask' }), { uniqueItems: true, maxItems: MAX_ALLOWED_CIDRS })),
});

/** Any value of `replica_of` (null, "", an id) asks to detach the replica from its source, as in Trove. */
const DetachField = Type.Optional(Type.Unknown({ description: 'present (any value): detach this replica from its source' }));
const ConfigurationField = Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()], { description: 'a group id to attach, or null to detach' }));
const UpdateFields = {
  name: Type.Optional(Name),
  configuration: ConfigurationField,
  replica_of: DetachField,
  datastore_version: Type.Optional(Type.String({ minLength: 1 })),
  /** This server's own: when the instance is a source and stays down, fail over to its most advanced replica. */
  auto_failover: Type.Optional(Type.Boolean()),
};
/** PUT: one attribute besides the name; `{"instance": {}}` detaches the configuration group, as troveclient's configuration-detach sends it. */
const PutBody = Type.Object({ instance: Type.Optional(Type.Object({ ...UpdateFields, access: Type.Optional(AccessBody) })), configuration: ConfigurationField });
/** PATCH: as PUT, with `slave_of` (replica_of's older name) and without access, as in Trove. */
const PatchBody = Type.Object({ instance: Type.Optional(Type.Object({ ...UpdateFields, slave_of: DetachField })), configuration: ConfigurationField });
type UpdateBody = Static<typeof PutBody> & Static<typeof PatchBody>;

/** A flavor's id (or its link); ids are whole numbers or strings, as Nova's are. */
const FlavorRef = Type.Union([Type.String({ minLength: 1, maxLength: 255 }), WholeNumber(1, INT32_MAX)], { description: `a flavor id or link (see GET /flavors): a string, or a whole number from 1 to ${INT32_MAX}` });
/** GB; the server's own maximum (a 413, as in Trove) is checked beyond this. */
const VolumeSize = WholeNumber(1, INT32_MAX, 'a whole number of GB');

const CreateBody = Type.Object({
  instance: Type.Object({
    name: Name,
    /** Required, except for a replica (which then has its source's flavor). */
    flavorRef: Type.Optional(FlavorRef),
    volume: Type.Optional(Type.Object({ size: Type.Optional(VolumeSize), type: Type.Optional(Type.Union([Type.String(), Type.Null()])) })),
    datastore: Type.Optional(Type.Object({ type: Type.Optional(Type.String()), version: Type.Optional(Type.String()), version_number: Type.Optional(Type.String()) })),
    databases: Type.Optional(Type.Array(Type.Object({ name: Type.String(), character_set: Type.Optional(Type.String()), collate: Type.Optional(Type.String()) }), { maxItems: 100 })),
    users: Type.Optional(Type.Array(Type.Object({ name: Type.String(), password: Type.String(), host: Type.Optional(Type.String()), databases: Type.Optional(Type.Array(Type.Object({ name: Type.String() }))) }), { maxItems: 100 })),
    availability_zone: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    nics: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    locality: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    configuration: Type.Optional(Type.String({ minLength: 1 })),
    replica_of: Type.Optional(Type.String({ minLength: 1 })),
    replica_count: Type.Optional(WholeNumber(1, MAX_REPLICA_COUNT)),
    /** This server's own: when the instance is a source and stays down, fail over to its most advanced replica. */
    auto_failover: Type.Optional(Type.Boolean()),
    /** What `trove create --backup` sends; `restoreFrom` is accepted as another name for it. */
    restorePoint: Type.Optional(Type.Object({ backupRef: Type.Optional(Type.String()) })),
    restoreFrom: Type.Optional(Type.Object({ backupRef: Type.Optional(Type.String()) })),
    access: Type.Optional(AccessBody),
    /** What troveclient sends with --region: it must be this server's region. */
    region_name: Type.Optional(Type.String()),
  }),
});

const KNOWN_ACTIONS = 'restart, resize, promote_to_replica_source, eject_replica_source and reset_status';

const ActionBody = Type.Object(
  {
    restart: Type.Optional(Type.Object({})),
    reset_status: Type.Optional(Type.Object({})),
    promote_to_replica_source: Type.Optional(Type.Object({})),
    eject_replica_source: Type.Optional(Type.Object({})),
    resize: Type.Optional(
      Type.Object({
        flavorRef: Type.Optional(FlavorRef),
        volume: Type.Optional(Type.Object({ size: Type.Optional(VolumeSize) })),
      }),
    ),
    // Another key is answered by the handler, which names the actions there are.
  },
  { additionalProperties: true },
);

export const instanceRoutes: FastifyPluginAsyncTypebox<{ instances: InstanceService; replication: ReplicationService; configurations: ConfigurationService; publicUrl: string; region: string }> = async (
  app,
  { instances, replication, configurations, publicUrl, region },
) => {
  const views = async (request: FastifyRequest, list: InstanceTable[]) => {
    const ids = list.map((i) => i.id);
    const [names, pending, replicas, endpoints] = await Promise.all([configurations.namesOf(list.flatMap((i) => (i.configuration_id ? [i.configuration_id] : []))), instances.pendingTasks(ids), replication.replicaIds(ids), instances.endpointsOf(ids)]);
    const base = baseUrl(request, publicUrl);
    const projectId = (request.params as { tenant_id: string }).tenant_id;
    return list.map((i) =>
      instanceView(i, base, projectId, region, caller(request).isAdmin, {
        ...(i.configuration_id ? { configurationName: names.get(i.configuration_id) } : {}),
        pendingTasks: pending.get(i.id) ?? [],
        replicaIds: replicas.get(i.id) ?? [],
        ...(endpoints.has(i.id) ? { publicEndpoint: endpoints.get(i.id)! } : {}),
      }),
    );
  };
  const oneView = async (request: FastifyRequest, instance: InstanceTable) => (await views(request, [instance]))[0]!;

  const listHandler = async (request: FastifyRequest<{ Params: { tenant_id: string }; Querystring: { limit?: string; marker?: string; include_clustered?: string } }>) => {
    const { limit, marker, include_clustered: includeClustered } = request.query;
    // Cluster members are listed with their cluster, and here only when asked for, as in Trove.
    const all = (await instances.list(request.params.tenant_id)).filter((i) => i.cluster_id === null || isTrue(includeClustered));
    const page = paginate(all, (i) => i.id, { limit: limit === undefined ? undefined : Number(limit), marker }, PAGE_SIZE);
    return { instances: await views(request, page.items), links: pageLinks(request.url, baseUrl(request, publicUrl), page.next) };
  };
  const listSchema = {
    tags: ['instances'],
    params: ProjectParams,
    querystring: Type.Object({ ...PageQuery.properties, include_clustered: Type.Optional(TroveBoolean) }),
    response: { 200: Type.Object({ instances: Type.Array(InstanceSchema), links: LinksSchema }), ...COMMON_FAULTS },
  };
  app.get('/instances', { schema: { ...listSchema, summary: 'List instances, newest first (20 a page)' } }, listHandler);
  app.get('/instances/detail', { schema: { ...listSchema, summary: 'List instances with details' } }, listHandler);

  app.post('/instances', { schema: { tags: ['instances'], summary: 'Create an instance', params: ProjectParams, body: CreateBody, response: { 200: Type.Object({ instance: InstanceSchema }), ...COMMON_FAULTS, 422: FaultSchema } } }, async (request) => {
    const { restorePoint, restoreFrom, region_name: regionName, ...body } = request.body.instance;
    if (regionName !== undefined && regionName !== region) throw new BadRequest(`This server serves region '${region}', not '${regionName}'.`);
    const restore = restorePoint ?? restoreFrom;
    const instance = await instances.create(caller(request), request.params.tenant_id, { ...body, ...(restore ? { restorePoint: restore } : {}) });
    return { instance: await oneView(request, instance) };
  });

  app.get('/instances/:id', { schema: { tags: ['instances'], summary: 'Show an instance', params: InstanceParams, response: { 200: Type.Object({ instance: InstanceSchema }), ...COMMON_FAULTS } } }, async (request) => ({
    instance: await oneView(request, await instances.get(caller(request), request.params.tenant_id, request.params.id)),
  }));

  app.delete('/instances/:id', { schema: { tags: ['instances'], summary: 'Delete an instance (from any state)', params: InstanceParams, response: { ...ACCEPTED, ...COMMON_FAULTS } } }, async (request, reply) => {
    await instances.delete(caller(request), request.params.tenant_id, request.params.id);
    return reply.code(202).send();
  });

  const update = async (request: FastifyRequest<{ Params: { tenant_id: string; id: string }; Body: UpdateBody }>, reply: FastifyReply) => {
    const { tenant_id: projectId, id } = request.params;
    const who = caller(request);
    const instance = await instances.get(who, projectId, id);
    const body: UpdateBody['instance'] & object = request.body.instance ?? {};
    const group = 'configuration' in body ? body.configuration : request.body.configuration;
    const asked = [...Object.keys(body).filter((k) => k !== 'name' && k !== 'configuration'), ...(group !== undefined || 'configuration' in body ? ['configuration'] : [])];
    if (asked.length > 1) throw new BadRequest(`Only one attribute (except 'name') is allowed to update; got ${asked.join(', ')}.`);
    if (body.name !== undefined) await instances.rename(who, projectId, id, body.name);
    if ('replica_of' in body || 'slave_of' in body) await replication.detach(who, projectId, id);
    if (body.access !== undefined) await instances.updateAccess(who, projectId, id, body.access);
    if (body.auto_failover !== undefined) await instances.setAutoFailover(who, projectId, id, body.auto_failover);
    if (body.datastore_version !== undefined) instances.requireCurrentVersion(instance, body.datastore_version);
    if (typeof group === 'string') await configurations.attach(instance, group);
    // troveclient's configuration-detach sends {"instance": {}} by PUT.
    else if ((group === null || (request.method === 'PUT' && asked.length === 0 && body.name === undefined)) && instance.configuration_id !== null) await configurations.detach(instance);
    return reply.code(202).send();
  };
  app.patch(
    '/instances/:id',
    { schema: { tags: ['instances'], summary: 'Update an instance (Trove’s older form): rename, detach a replica, attach or detach a configuration group', params: InstanceParams, body: PatchBody, response: { ...ACCEPTED, ...COMMON_FAULTS } } },
    update,
  );
  app.put(
    '/instances/:id',
    { schema: { tags: ['instances'], summary: 'Update an instance: rename, access, detach a replica, attach or detach a configuration group', params: InstanceParams, body: PutBody, response: { ...ACCEPTED, ...COMMON_FAULTS } } },
    update,
  );

  app.post(
    '/instances/:id/action',
    { schema: { tags: ['instances'], summary: 'Act on an instance: restart, resize (flavor or volume), reset_status (admin)', params: InstanceParams, body: ActionBody, response: { ...ACCEPTED, ...COMMON_FAULTS, 422: FaultSchema } } },
    async (request, reply) => {
      const actions = Object.keys(request.body as object);
      if (actions.length !== 1) throw new BadRequest(`Send exactly one action; known actions are ${KNOWN_ACTIONS}, got ${actions.length === 0 ? 'none' : actions.join(', ')}.`);
      const { tenant_id: projectId, id } = request.params;
      switch (actions[0]) {
        case 'restart':
          await instances.restart(caller(request), projectId, id);
          break;
        case 'promote_to_replica_source':
          await replication.promote(caller(request), projectId, id);
          break;
        case 'eject_replica_source':
          await replication.eject(caller(request), projectId, id);
          break;
        case 'reset_status':
          await instances.resetStatus(requireAdmin(request), projectId, id);
          break;
        case 'resize': {
          const resize = request.body.resize!;
          if (resize.volume !== undefined && resize.flavorRef === undefined) await instances.resizeVolume(caller(request), projectId, id, resize.volume.size);
          else if (resize.flavorRef !== undefined && resize.volume === undefined) await instances.resizeFlavor(caller(request), projectId, id, resize.flavorRef);
          else throw new BadRequest('Resize either the volume ({"resize": {"volume": {"size": GB}}}) or the flavor ({"resize": {"flavorRef": id}}), one at a time.');
          break;
        }
        default:
          throw new BadRequest(`Unknown action '${actions[0]}'; known actions are ${KNOWN_ACTIONS}.`);
      }
      return reply.code(202).send();
    },
  );

  app.get(
    '/instances/:id/configuration',
    {
      schema: {
        tags: ['configurations'],
        summary: "The values in effect on the instance's engine",
        params: InstanceParams,
        response: { 200: Type.Object({ instance: Type.Object({ configuration: Type.Record(Type.String(), Type.String()) }) }), ...COMMON_FAULTS, 422: FaultSchema },
      },
    },
    async (request) => ({ instance: { configuration: await configurations.effective(await instances.get(caller(request), request.params.tenant_id, request.params.id)) } }),
  );
  app.post(
    '/instances/:id/configuration/preview',
    {
      schema: {
        tags: ['configurations'],
        summary: 'Dry run: what attaching a group (or setting values) would change, which changes need a restart, and the memory budget',
        params: InstanceParams,
        body: Type.Object({ configuration: Type.Optional(Type.String()), values: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false }),
        response: { 200: Type.Object({ preview: Type.Unknown() }), ...COMMON_FAULTS, 422: FaultSchema },
      },
    },
    async (request) => ({ preview: await configurations.preview(await instances.get(caller(request), request.params.tenant_id, request.params.id), request.body) }),
  );

  app.post(
    '/mgmt/instances/:id/action',
    {
      schema: {
        tags: ['instances'],
        summary: 'Admins: rebuild the guest from an image, keeping the volume and its data',
        params: InstanceParams,
        body: Type.Object({ rebuild: Type.Object({ image_id: Type.String({ minLength: 1, maxLength: 64, description: "the image of the instance's datastore version (its admin view shows it)" }) }) }),
        response: { ...ACCEPTED, ...COMMON_FAULTS, 422: FaultSchema },
      },
    },
    async (request, reply) => {
      await instances.rebuild(requireAdmin(request), request.params.tenant_id, request.params.id, request.body.rebuild.image_id);
      return reply.code(202).send();
    },
  );

  app.get(
    '/mgmt/instances',
    {
      schema: {
        tags: ['instances'],
        summary: 'All projects’ instances, or one project’s (admin), 20 a page',
        params: ProjectParams,
        // What `openstack database instance list --all-projects` sends.
        querystring: Type.Object({
          ...PageQuery.properties,
          include_clustered: Type.Optional(TroveBoolean),
          deleted: Type.Optional(TroveBoolean),
          project_id: Type.Optional(Type.String({ minLength: 1 })),
        }),
        response: { 200: Type.Object({ instances: Type.Array(InstanceSchema), links: LinksSchema }), ...COMMON_FAULTS },
      },
    },
    async (request) => {
      requireAdmin(request);
      const { limit, marker, deleted, project_id: projectId, include_clustered: includeClustered } = request.query;
      const all = (await instances.listAll({ deleted: isTrue(deleted), ...(projectId !== undefined ? { projectId } : {}) })).filter((i) => i.cluster_id === null || isTrue(includeClustered));
      const page = paginate(all, (i) => i.id, { limit: limit === undefined ? undefined : Number(limit), marker }, PAGE_SIZE);
      return { instances: await views(request, page.items), links: pageLinks(request.url, baseUrl(request, publicUrl), page.next) };
    },
  );
};
