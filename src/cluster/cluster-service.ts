import { randomBytes } from 'node:crypto';
import type { DatastoreCatalog } from '../catalog/registry.js';
import { BadRequest, NotFound, OverLimit, UnprocessableEntity } from '../common/errors.js';
import { newId } from '../common/ids.js';
import type { SecretBox } from '../common/secrets.js';
import type { ConfigurationService } from '../configuration-groups/configuration-service.js';
import type { ConfigurationValues } from '../configuration-groups/values.js';
import type { TaskManager } from '../control/task-manager.js';
import type { FlavorService } from '../flavor/flavor-service.js';
import type { AuthContext } from '../identity/types.js';
import { newInstanceRow } from '../instance/new-instance-row.js';
import type { CreateParams } from '../instance/tasks/instance-tasks.js';
import type { QuotaService } from '../quota/quota-service.js';
import type { ClusterRecords } from '../state/cluster-records.js';
import { taskName } from './cluster-task-names.js';
import type { MembersParams } from './tasks/cluster-tasks.js';
import type { ClusterTable, InstanceTable } from '../state/schema.js';

export interface ClusterMemberInput {
  flavorRef?: string | number;
  volume?: { size?: number };
  /** The member types asked for (Trove ignores them at create; here they must be the datastore's one). */
  types?: string[];
}

export interface CreateClusterInput {
  name: string;
  datastore: { type: string; version?: string };
  instances: ClusterMemberInput[];
  configuration?: string;
  locality?: string;
  extended_properties?: Record<string, unknown>;
}

/** At most this many members are made by one request. */
export const MAX_CLUSTER_MEMBERS = 15;

/** What the API can do with clusters; every rule is checked before anything is written. */
export class ClusterService {
  constructor(
    private readonly clusters: ClusterRecords,
    private readonly flavors: FlavorService,
    private readonly catalog: DatastoreCatalog,
    private readonly quotas: QuotaService,
    private readonly tasks: TaskManager,
    private readonly secrets: SecretBox,
    private readonly maxVolumeGb: number,
    private readonly configurations: ConfigurationService,
  ) {}

  async create(caller: AuthContext, projectId: string, input: CreateClusterInput): Promise<ClusterTable> {
    const datastore = this.catalog.get(input.datastore.type, caller.isAdmin);
    const versionName = input.datastore.version;
    const version = versionName === undefined ? datastore.versions.find((v) => v.id === datastore.defaultVersionId) : datastore.versions.find((v) => v.name === versionName || v.id === versionName);
    if (!version) throw new BadRequest(`Datastore version '${versionName}' cannot be found for datastore '${datastore.name}'; see GET /datastores/${datastore.name}/versions.`);
    if (!version.active) throw new BadRequest(`Datastore version '${version.name}' is not active.`);
    const { descriptor } = datastore;
    const shape = descriptor.cluster;
    if (!descriptor.capabilities.clusters || !shape) throw new BadRequest(`Clusters not supported for ${datastore.name}-${version.name}; see GET /datastores for the datastores whose capabilities include clusters.`);
    if (!version.installed) throw new UnprocessableEntity(`Datastore version '${version.name}' is not installed on this host's compute driver.`);
    // What this server does not do for clusters yet is refused, not ignored.
    if (input.locality !== undefined) throw new UnprocessableEntity('This server places every member on its one host: create the cluster without "locality".');
    if (input.extended_properties !== undefined && Object.keys(input.extended_properties).length > 0) {
      throw new UnprocessableEntity(`${datastore.name} clusters take no extended properties; leave out "extended_properties".`);
    }

    const members = input.instances;
    const { flavor, size, types } = await this.checkMembers(datastore.name, members);
    const leading = types.filter((t) => t === shape.memberTypes[0]).length;
    if (leading < shape.minMembers)
      throw new BadRequest(
        shape.memberTypes.length === 1
          ? `The number of instances for your initial cluster must be at least ${shape.minMembers}; got ${members.length}.`
          : `A ${datastore.name} cluster needs at least ${shape.minMembers} instances of type '${shape.memberTypes[0]}'; got ${leading}.`,
      );
    const configuration = input.configuration === undefined ? undefined : await this.configurations.valuesForNewInstance(projectId, input.configuration, datastore.name, version.name, { ram_mb: flavor.ram, vcpus: flavor.vcpus });
    const now = new Date().toISOString();
    const cluster: ClusterTable = {
      id: newId(),
      project_id: projectId,
      name: input.name,
      datastore: datastore.name,
      datastore_version: version.name,
      task: 'BUILDING_INITIAL',
      secret: this.secrets.seal(randomBytes(24).toString('base64url')),
      fault_message: null,
      fault_created: null,
      deleted: 0,
      deleted_at: null,
      created_at: now,
      updated_at: now,
    };
    const rows = this.memberRows(cluster, types, flavor, size, 1, version.version, configuration);
    await this.clusters.db.transaction().execute(async (trx) => {
      // Every member counts, as an instance of its own would.
      await this.quotas.charge(trx, projectId, { instances: rows.length, volumes: size * rows.length, ram: flavor.ram * rows.length });
      await trx.insertInto('clusters').values(cluster).execute();
      for (const [i, row] of rows.entries()) {
        await trx.insertInto('instances').values(row).execute();
        // Built in parallel: the first starts the cluster and the others join it once it is ACTIVE,
        // or (members that start empty) each starts on its own and the cluster is formed of them all.
        const params: CreateParams = { flavor: { ram_mb: flavor.ram, vcpus: flavor.vcpus }, databases: [], users: [], cluster: { bootstrap: !shape.joinsRunningMember || i === 0 }, ...(configuration ? { configuration: configuration.values } : {}) };
        await this.tasks.enqueue(trx, 'instance.create', row.id, params);
      }
      await this.tasks.enqueue(trx, 'cluster.create', cluster.id, {});
    });
    this.tasks.nudge();
    return cluster;
  }

  /**
   * New members, at create or grow: one flavor and one volume size for all (a member is a copy of
   * the others), of the datastore's member type.
   */
  private async checkMembers(datastoreName: string, members: ClusterMemberInput[]) {
    const { descriptor } = this.catalog.get(datastoreName);
    const shape = descriptor.cluster!;
    if (members.length > MAX_CLUSTER_MEMBERS) throw new BadRequest(`A cluster is made with at most ${MAX_CLUSTER_MEMBERS} instances; got ${members.length}.`);
    const flavorRefs = new Set(members.map((m) => (m.flavorRef === undefined ? '' : String(m.flavorRef).replace(/^.*\/flavors\//, ''))));
    if (flavorRefs.has('')) throw new BadRequest('Each instance of a cluster needs a flavor: add "flavorRef" to every one (see GET /flavors).');
    if (flavorRefs.size > 1) throw new BadRequest('The flavor for each instance in a cluster must be the same.');
    const sizes = new Set(members.map((m) => m.volume?.size));
    if (sizes.has(undefined)) throw new BadRequest('A volume size is required for each instance in the cluster: add "volume": {"size": GB} to every one.');
    if (sizes.size > 1) throw new BadRequest('The volume size for each instance in a cluster must be the same.');
    const size = [...sizes][0]!;
    if (!Number.isInteger(size) || size < 1) throw new BadRequest(`Volume size must be a whole number of GB, at least 1; got ${size}.`);
    if (size > this.maxVolumeGb) throw new OverLimit(`Volume 'size' cannot exceed maximum of ${this.maxVolumeGb} GB, ${size} cannot be accepted.`);
    const known = shape.memberTypes.map((t) => `'${t}'`).join(' or ');
    const types = members.map((m) => {
      const asked = [...new Set(m.types ?? [])];
      if (asked.length > 1) throw new BadRequest(`A member has one type (${known}); got ${asked.map((t) => `'${t}'`).join(' and ')}.`);
      const type = asked[0] ?? shape.memberTypes[0];
      if (!shape.memberTypes.includes(type)) throw new BadRequest(`Members of a ${datastoreName} cluster are of type ${known}; got '${type}'.`);
      return type;
    });
    const flavorId = [...flavorRefs][0]!;
    const flavor = await this.flavors.find(flavorId);
    if (!flavor) throw new BadRequest(`Flavor '${flavorId}' cannot be found; see GET /flavors for the ones there are.`);
    if (flavor.ram < descriptor.minRamMb) throw new BadRequest(`Flavor '${flavor.id}' has ${flavor.ram} MB of RAM; ${datastoreName} needs at least ${descriptor.minRamMb} MB.`);

    return { flavor, size, types };
  }

  private memberRows(cluster: ClusterTable, types: string[], flavor: { id: string; ram: number; vcpus: number }, size: number, firstIndex: number, versionFull: string, configuration: { id: string; values: ConfigurationValues } | undefined): InstanceTable[] {
    const now = new Date().toISOString();
    return types.map((type, i) =>
      newInstanceRow(
        {
          project_id: cluster.project_id,
          name: `${cluster.name}-member-${firstIndex + i}`,
          flavor_id: flavor.id,
          ram_mb: flavor.ram,
          vcpus: flavor.vcpus,
          volume_size: size,
          datastore: cluster.datastore,
          datastore_version: cluster.datastore_version,
          datastore_version_full: versionFull,
          ...(configuration ? { configuration } : {}),
          cluster_id: cluster.id,
          cluster_member_type: type,
        },
        now,
      ),
    );
  }

  async get(caller: AuthContext, projectId: string, id: string): Promise<ClusterTable> {
    const cluster = await this.clusters.find(id);
    if (!cluster || (cluster.project_id !== projectId && !caller.isAdmin)) throw new NotFound(`Cluster '${id}' cannot be found.`);
    return cluster;
  }

  list(projectId: string): Promise<ClusterTable[]> {
    return this.clusters.list(projectId);
  }

  members(clusterId: string): Promise<InstanceTable[]> {
    return this.clusters.members(clusterId);
  }

  membersOf(clusterIds: string[]): Promise<Map<string, InstanceTable[]>> {
    return this.clusters.membersOf(clusterIds);
  }

  async member(caller: AuthContext, projectId: string, id: string, instanceId: string): Promise<InstanceTable> {
    const cluster = await this.get(caller, projectId, id);
    const member = (await this.clusters.members(cluster.id)).find((m) => m.id === instanceId);
    if (!member) throw new NotFound(`Instance '${instanceId}' is not a member of cluster '${id}'.`);
    return member;
  }

  /** Actions other than delete and reset wait until the cluster's task is over, as in Trove. */
  requireNoTask(cluster: ClusterTable): void {
    if (cluster.task !== 'NONE') throw new UnprocessableEntity(`This action cannot be performed on the cluster while the current cluster task is '${taskName(cluster.task)}'.`);
  }

  /** New members join the running cluster, each receiving its data from a member that keeps serving. */
  async grow(caller: AuthContext, projectId: string, id: string, input: ClusterMemberInput[]): Promise<ClusterTable> {
    const cluster = await this.get(caller, projectId, id);
    this.requireNoTask(cluster);
    if (input.length === 0) throw new BadRequest('Name at least one instance to add: {"grow": [{"flavorRef": …, "volume": {"size": GB}}]}.');
    const { descriptor } = this.catalog.get(cluster.datastore);
    const version = this.catalog.getVersion(this.catalog.get(cluster.datastore), cluster.datastore_version);
    const { flavor, size, types } = await this.checkMembers(cluster.datastore, input);
    const members = await this.clusters.members(cluster.id);
    if (members.length + input.length > MAX_CLUSTER_MEMBERS) throw new BadRequest(`A cluster has at most ${MAX_CLUSTER_MEMBERS} members; it has ${members.length}, and ${input.length} more were asked for.`);
    const next = Math.max(0, ...members.map((m) => Number(/-member-(\d+)$/.exec(m.name)?.[1] ?? 0))) + 1;
    // A new member starts with the cluster's configuration group, as the others run it.
    const groupId = members.find((m) => m.configuration_id !== null)?.configuration_id;
    const configuration = groupId ? await this.configurations.valuesForNewInstance(projectId, groupId, cluster.datastore, cluster.datastore_version, { ram_mb: flavor.ram, vcpus: flavor.vcpus }) : undefined;
    const rows = this.memberRows(cluster, types, flavor, size, next, version.version, configuration);
    // A member that starts empty starts on its own; the grow task brings it in.
    const bootstrap = !descriptor.cluster!.joinsRunningMember;
    await this.clusters.db.transaction().execute(async (trx) => {
      const started = await trx.updateTable('clusters').set({ task: 'GROWING_CLUSTER', fault_message: null, fault_created: null, updated_at: new Date().toISOString() }).where('id', '=', cluster.id).where('task', '=', 'NONE').executeTakeFirst();
      if (Number(started.numUpdatedRows) !== 1) throw new UnprocessableEntity('This action cannot be performed on the cluster while another one runs.');
      await this.quotas.charge(trx, projectId, { instances: rows.length, volumes: size * rows.length, ram: flavor.ram * rows.length });
      for (const row of rows) {
        await trx.insertInto('instances').values(row).execute();
        const params: CreateParams = { flavor: { ram_mb: flavor.ram, vcpus: flavor.vcpus }, databases: [], users: [], cluster: { bootstrap }, ...(configuration ? { configuration: configuration.values } : {}) };
        await this.tasks.enqueue(trx, 'instance.create', row.id, params);
      }
      await this.tasks.enqueue(trx, 'cluster.grow', cluster.id, { members: rows.map((r) => r.id) } satisfies MembersParams);
    });
    this.tasks.nudge();
    return (await this.clusters.find(cluster.id))!;
  }

  /** Members leave the cluster cleanly, one by one, and are deleted; the others keep serving. */
  async shrink(caller: AuthContext, projectId: string, id: string, ids: string[]): Promise<ClusterTable> {
    const cluster = await this.get(caller, projectId, id);
    this.requireNoTask(cluster);
    const unique = [...new Set(ids)];
    if (unique.length === 0) throw new BadRequest('Name at least one member to remove: {"shrink": [{"id": …}]}.');
    const members = await this.clusters.members(cluster.id);
    const strangers = unique.filter((i) => !members.some((m) => m.id === i));
    if (strangers.length > 0) throw new NotFound(`Instance '${strangers[0]}' is not a member of cluster '${cluster.id}'.`);
    const { minMembers, memberTypes } = this.catalog.get(cluster.datastore).descriptor.cluster!;
    // Members' types are the engine's current view of them (the reconciler keeps them); one that does
    // not serve now (a primary that failed over and is still away) is not counted as keeping the cluster up.
    const counted = (ms: InstanceTable[]) => ms.filter((m) => (m.cluster_member_type ?? memberTypes[0]) === memberTypes[0] && m.service_status === 'HEALTHY').length;
    const left = counted(members) - counted(members.filter((m) => unique.includes(m.id)));
    const kind = memberTypes.length === 1 ? 'members' : `members of type '${memberTypes[0]}'`;
    if (left < minMembers) throw new BadRequest(`A ${cluster.datastore} cluster keeps at least ${minMembers} ${kind}, so that losing one keeps a majority; this shrink would leave ${left}.`);
    await this.clusters.db.transaction().execute(async (trx) => {
      const started = await trx.updateTable('clusters').set({ task: 'SHRINKING_CLUSTER', fault_message: null, fault_created: null, updated_at: new Date().toISOString() }).where('id', '=', cluster.id).where('task', '=', 'NONE').executeTakeFirst();
      if (Number(started.numUpdatedRows) !== 1) throw new UnprocessableEntity('This action cannot be performed on the cluster while another one runs.');
      await this.tasks.enqueue(trx, 'cluster.shrink', cluster.id, { members: unique } satisfies MembersParams);
    });
    this.tasks.nudge();
    return (await this.clusters.find(cluster.id))!;
  }

  /** Deleting works from any state, and again while deleting (202 both times), as for instances. */
  /** Every member takes the group; the members whose changes need a restart restart one at a time. */
  async attachConfiguration(caller: AuthContext, projectId: string, id: string, groupId: string): Promise<ClusterTable> {
    const cluster = await this.get(caller, projectId, id);
    this.requireNoTask(cluster);
    const members = await this.clusters.members(cluster.id);
    const attached = members.find((m) => m.configuration_id !== null)?.configuration_id;
    if (attached && attached !== groupId) throw new BadRequest(`Cluster ${cluster.id} already has a Configuration Group attached: ${attached}; detach it first.`);
    const first = members[0];
    if (!first) throw new UnprocessableEntity(`Cluster ${cluster.id} has no members to configure.`);
    // The group must be the project's and fit the members' datastore version and flavor.
    const group = await this.configurations.valuesForNewInstance(projectId, groupId, cluster.datastore, cluster.datastore_version, { ram_mb: first.ram_mb, vcpus: first.vcpus });
    return this.setConfiguration(cluster, group.id);
  }

  async detachConfiguration(caller: AuthContext, projectId: string, id: string): Promise<ClusterTable> {
    const cluster = await this.get(caller, projectId, id);
    this.requireNoTask(cluster);
    if (!(await this.clusters.members(cluster.id)).some((m) => m.configuration_id !== null)) throw new BadRequest(`Cluster ${cluster.id} has no configuration group attached.`);
    return this.setConfiguration(cluster, null);
  }

  /** Trove's rolling restart: every member restarts in turn, the others serving meanwhile. */
  async restart(caller: AuthContext, projectId: string, id: string): Promise<ClusterTable> {
    const cluster = await this.get(caller, projectId, id);
    this.requireNoTask(cluster);
    await this.clusters.db.transaction().execute(async (trx) => {
      const started = await trx.updateTable('clusters').set({ task: 'RESTARTING_CLUSTER', fault_message: null, fault_created: null, updated_at: new Date().toISOString() }).where('id', '=', cluster.id).where('task', '=', 'NONE').executeTakeFirst();
      if (Number(started.numUpdatedRows) !== 1) throw new UnprocessableEntity('This action cannot be performed on the cluster while another one runs.');
      await trx.updateTable('instances').set({ restart_required: 1, updated_at: new Date().toISOString() }).where('cluster_id', '=', cluster.id).where('deleted', '=', 0).execute();
      await this.tasks.enqueue(trx, 'cluster.restart', cluster.id, {});
    });
    this.tasks.nudge();
    return (await this.clusters.find(cluster.id))!;
  }

  private async setConfiguration(cluster: ClusterTable, groupId: string | null): Promise<ClusterTable> {
    await this.clusters.db.transaction().execute(async (trx) => {
      const started = await trx.updateTable('clusters').set({ task: 'UPDATING_CLUSTER', fault_message: null, fault_created: null, updated_at: new Date().toISOString() }).where('id', '=', cluster.id).where('task', '=', 'NONE').executeTakeFirst();
      if (Number(started.numUpdatedRows) !== 1) throw new UnprocessableEntity('This action cannot be performed on the cluster while another one runs.');
      await trx.updateTable('instances').set({ configuration_id: groupId, updated_at: new Date().toISOString() }).where('cluster_id', '=', cluster.id).where('deleted', '=', 0).execute();
      await this.tasks.enqueue(trx, 'cluster.configure', cluster.id, {});
    });
    this.tasks.nudge();
    return (await this.clusters.find(cluster.id))!;
  }

  async delete(caller: AuthContext, projectId: string, id: string): Promise<void> {
    const cluster = await this.get(caller, projectId, id);
    if (cluster.task === 'DELETING') return;
    await this.clusters.db.transaction().execute(async (trx) => {
      await trx.updateTable('clusters').set({ task: 'DELETING', updated_at: new Date().toISOString() }).where('id', '=', cluster.id).execute();
      await this.tasks.enqueue(trx, 'cluster.delete', cluster.id, {});
    });
    this.tasks.nudge();
  }

  /** Admins: the cluster's task ends (its running task is cancelled) and its fault is cleared; members keep their own state. */
  async resetStatus(caller: AuthContext, projectId: string, id: string): Promise<void> {
    const cluster = await this.get(caller, projectId, id);
    await this.clusters.db.transaction().execute(async (trx) => {
      await trx.updateTable('tasks').set({ state: 'cancelled', updated_at: new Date().toISOString() }).where('target_id', '=', cluster.id).where('state', 'in', ['pending', 'running']).execute();
      await trx.updateTable('clusters').set({ task: 'NONE', fault_message: null, fault_created: null, updated_at: new Date().toISOString() }).where('id', '=', cluster.id).execute();
    });
  }
}
