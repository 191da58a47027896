import { TaskStatus } from '../state/task-status.js';
import type { RestorePlan, RestorePlanner } from '../backup/restore-planner.js';
import type { DatastoreCatalog } from '../catalog/registry.js';
import { BadRequest, Conflict, NotFound, NotImplementedFault, OverLimit, UnprocessableEntity } from '../common/errors.js';
import type { TaskManager } from '../control/task-manager.js';
import { newReplicationSecret } from '../control/replication-set.js';
import type { SecretBox } from '../common/secrets.js';
import type { CreateParams } from './tasks/instance-tasks.js';
import type { FlavorService } from '../flavor/flavor-service.js';
import type { AuthContext } from '../identity/types.js';
import type { QuotaService } from '../quota/quota-service.js';
import type { InstanceTable } from '../state/schema.js';
import type { ConfigurationService } from '../configuration-groups/configuration-service.js';
import type { InstanceRecords } from '../state/instance-records.js';
import type { Endpoint, PublicEndpoints } from '../control/public-endpoints.js';
import { accessColumns, accessFrom, canonicalCidr } from './access.js';
import { newInstanceRow } from './new-instance-row.js';
import { checkDatabases, checkUsers, type DatabaseInput, type UserInput } from './validation.js';

export interface CreateInstanceInput {
  name: string;
  /** Optional for a replica only, which then takes its source's flavor (the OpenStack client sends none). */
  flavorRef?: string | number;
  volume?: { size?: number };
  datastore?: { type?: string; version?: string; version_number?: string };
  databases?: DatabaseInput[];
  users?: Array<Omit<UserInput, 'databases'> & { databases?: Array<{ name: string }> }>;
  restorePoint?: { backupRef?: string };
  /** A configuration group to start with. */
  configuration?: string;
  /** The instance to replicate. */
  replica_of?: string;
  /** How many replicas of replica_of to create (default 1). */
  replica_count?: number;
  /** When this instance is a source and stays down, promote its most advanced replica without being asked. */
  auto_failover?: boolean;
  /** Who may reach it: private (the default) or public, and from which networks. */
  access?: AccessInput;
}

export interface AccessInput {
  is_public?: boolean;
  allowed_cidrs?: string[];
}

/** What starting a task charges to a project's quota. */
interface TaskCharge {
  projectId: string;
  deltas: Partial<Record<'ram' | 'volumes', number>>;
}

/** At most this many replicas are made by one request. */
export const MAX_REPLICA_COUNT = 5;

const GB = 1024 ** 3;

/** What the API can do with instances; every rule is checked before anything is written. */
export class InstanceService {
  constructor(
    private readonly instances: InstanceRecords,
    private readonly flavors: FlavorService,
    private readonly catalog: DatastoreCatalog,
    private readonly quotas: QuotaService,
    private readonly tasks: TaskManager,
    private readonly maxVolumeGb: number,
    private readonly restores: RestorePlanner,
    private readonly configurations: ConfigurationService,
    private readonly secrets: SecretBox,
    private readonly publicEndpoints: PublicEndpoints,
    /** The datastore of a request that names none (catalog.default_datastore). */
    private readonly defaultDatastore: string,
  ) {}

  private requirePublishable(isPublic: boolean): void {
    if (isPublic && !this.publicEndpoints.available) {
      throw new BadRequest('This server has no public address, so instances cannot be public: leave out "is_public" (or set it false), or ask the operator to set compute.public_address.');
    }
  }

  async create(caller: AuthContext, projectId: string, input: CreateInstanceInput): Promise<InstanceTable> {
    const source = input.replica_of !== undefined ? await this.replicaSource(caller, projectId, input) : undefined;
    if (input.flavorRef === undefined && !source) throw new BadRequest('No flavor was given: add "flavorRef" (see GET /flavors).');
    const flavorId = input.flavorRef === undefined ? source!.flavor_id : String(input.flavorRef).replace(/^.*\/flavors\//, '');
    const flavor = await this.flavors.find(flavorId);
    if (!flavor) throw new BadRequest(`Flavor '${flavorId}' cannot be found; see GET /flavors for the ones there are.`);
    const count = input.replica_count ?? 1;
    if (!source && input.replica_count !== undefined) throw new BadRequest('replica_count needs replica_of: the instance to replicate.');
    if (!Number.isInteger(count) || count < 1 || count > MAX_REPLICA_COUNT) throw new BadRequest(`replica_count must be a whole number from 1 to ${MAX_REPLICA_COUNT}; got ${count}.`);
    const size = input.volume?.size ?? source?.volume_size;
    if (size === undefined) throw new BadRequest('Volume size was not specified: add "volume": {"size": GB}.');
    if (!Number.isInteger(size) || size < 1) throw new BadRequest(`Volume size must be a whole number of GB, at least 1; got ${size}.`);
    if (size > this.maxVolumeGb) throw new OverLimit(`Volume 'size' cannot exceed maximum of ${this.maxVolumeGb} GB, ${size} cannot be accepted.`);
    if (source) {
      const needed = Math.max(1, Math.ceil((source.volume_used_bytes ?? 0) / GB));
      if (size < needed) throw new BadRequest(`Volume size ${size} GB is too small for a replica of '${source.name}', which uses ${((source.volume_used_bytes ?? 0) / GB).toFixed(2)} GB; ask for at least ${needed} GB.`);
    }

    let restore: RestorePlan | undefined;
    let requested = source ? { type: source.datastore, version: source.datastore_version } : input.datastore;
    if (input.restorePoint !== undefined) {
      if (!input.restorePoint.backupRef) throw new BadRequest('restorePoint needs backupRef: the id of the backup to restore.');
      const { backup, plan } = await this.restores.plan(caller, projectId, input.restorePoint.backupRef);
      if (requested?.type !== undefined && this.catalog.get(requested.type, caller.isAdmin).descriptor.engine !== this.catalog.get(backup.datastore).descriptor.engine) {
        throw new BadRequest(`Backup '${backup.id}' is of datastore '${backup.datastore}'; it cannot be restored as '${requested.type}'.`);
      }
      if (requested?.version !== undefined && requested.version !== backup.datastore_version) {
        throw new BadRequest(`Backup '${backup.id}' is of ${backup.datastore} ${backup.datastore_version}; it cannot be restored as version ${requested.version}.`);
      }
      const needed = Math.max(1, Math.ceil((backup.volume_used_bytes ?? 0) / GB));
      if (size < needed) throw new BadRequest(`Volume size ${size} GB is too small to restore backup '${backup.id}': its instance used ${((backup.volume_used_bytes ?? 0) / GB).toFixed(2)} GB; ask for at least ${needed} GB.`);
      requested = { type: requested?.type ?? backup.datastore, version: backup.datastore_version };
      restore = plan;
    }
    const datastore = this.catalog.get(requested?.type ?? this.defaultDatastore, caller.isAdmin);
    const versionName = requested?.version;
    const version = versionName === undefined ? datastore.versions.find((v) => v.id === datastore.defaultVersionId) : datastore.versions.find((v) => v.name === versionName || v.id === versionName);
    if (!version) throw new BadRequest(`Datastore version '${versionName}' cannot be found for datastore '${datastore.name}'; see GET /datastores/${datastore.name}/versions.`);
    if (!version.active) throw new BadRequest(`Datastore version '${version.name}' is not active.`);
    const versionNumber = input.datastore?.version_number;
    if (versionNumber !== undefined && versionNumber !== version.version) throw new BadRequest(`Datastore version ${datastore.name} ${version.name} is ${version.version} on this server, not ${versionNumber}.`);
    if (!version.installed) throw new UnprocessableEntity(`Datastore version '${version.name}' is not installed on this host's compute driver.`);
    const { descriptor } = datastore;
    if (flavor.ram < descriptor.minRamMb) throw new BadRequest(`Flavor '${flavor.id}' has ${flavor.ram} MB of RAM; ${datastore.name} needs at least ${descriptor.minRamMb} MB.`);

    const databases = input.databases ?? [];
    const users: UserInput[] = (input.users ?? []).map((u) => ({ name: u.name, password: u.password, ...(u.host ? { host: u.host } : {}), databases: (u.databases ?? []).map((d) => d.name) }));
    if (databases.length > 0 && !descriptor.capabilities.databases) throw new UnprocessableEntity(`Datastore '${datastore.name}' has no databases to create.`);
    if (users.length > 0 && !descriptor.capabilities.users) throw new UnprocessableEntity(`Datastore '${datastore.name}' does not support users.`);
    if (!descriptor.capabilities.databases && users.some((u) => u.databases.length > 0)) throw new UnprocessableEntity(`Datastore '${datastore.name}' has no databases; create its users without "databases".`);
    checkDatabases(databases, [descriptor.names]);
    checkUsers(users, [descriptor.names], new Set(databases.map((d) => d.name)));

    const access = accessFrom(input.access);
    this.requirePublishable(access.isPublic);

    const configuration = input.configuration ? await this.configurations.valuesForNewInstance(projectId, input.configuration, datastore.name, version.name, { ram_mb: flavor.ram, vcpus: flavor.vcpus }) : undefined;

    const now = new Date().toISOString();
    const secret = source ? (source.replication_secret ?? newReplicationSecret(this.secrets)) : null;
    const rows: InstanceTable[] = Array.from({ length: count }, (_, i) =>
      newInstanceRow(
        {
          project_id: projectId,
          name: count > 1 ? `${input.name}-${i + 1}` : input.name,
          flavor_id: flavor.id,
          ram_mb: flavor.ram,
          vcpus: flavor.vcpus,
          volume_size: size,
          datastore: datastore.name,
          datastore_version: version.name,
          datastore_version_full: version.version,
          ...(configuration ? { configuration } : {}),
          replica_of_id: source?.id ?? null,
          replication_secret: secret,
          auto_failover: input.auto_failover ? 1 : 0,
          ...accessColumns(access),
        },
        now,
      ),
    );
    const params: CreateParams = {
      flavor: { ram_mb: flavor.ram, vcpus: flavor.vcpus },
      databases,
      users,
      ...(restore ? { restore } : {}),
      ...(configuration ? { configuration: configuration.values } : {}),
      ...(source ? { replica_of: source.id } : {}),
      ...(access.allowedCidrs.length > 0 ? { allowed_cidrs: access.allowedCidrs.map(canonicalCidr) } : {}),
    };
    await this.instances.db.transaction().execute(async (trx) => {
      await this.quotas.charge(trx, projectId, { instances: count, volumes: size * count, ram: flavor.ram * count });
      // The set's password lives on every member, so any of them can become the source.
      if (source && !source.replication_secret) await trx.updateTable('instances').set({ replication_secret: secret }).where('id', '=', source.id).execute();
      for (const row of rows) {
        await trx.insertInto('instances').values(row).execute();
        await this.tasks.enqueue(trx, 'instance.create', row.id, params);
      }
    });
    this.tasks.nudge();
    return rows[0]!;
  }

  /** The instance a new replica will follow: one of a datastore that replicates, itself a source, and running. */
  private async replicaSource(caller: AuthContext, projectId: string, input: CreateInstanceInput): Promise<InstanceTable> {
    const source = await this.get(caller, projectId, input.replica_of!);
    this.requireStandalone(source, 'have replicas');
    const { replication } = this.catalog.get(source.datastore, caller.isAdmin).descriptor.capabilities;
    if (!replication) throw new UnprocessableEntity(`Datastore '${source.datastore}' does not support replication, so instance '${source.name}' cannot have replicas.`);
    if (source.replica_of_id) throw new BadRequest(`Instance '${source.name}' is itself a replica (of ${source.replica_of_id}); replicate its source instead.`);
    if (source.task_status !== TaskStatus.NONE || source.service_status !== 'HEALTHY')
      throw new UnprocessableEntity(`Instance '${source.name}' must be ACTIVE to be replicated; it is ${source.task_status === TaskStatus.NONE ? source.service_status : source.task_status}.`);
    if (input.restorePoint !== undefined) throw new BadRequest('A replica is built from its source; leave out restorePoint.');
    if ((input.databases ?? []).length > 0 || (input.users ?? []).length > 0) throw new BadRequest("A replica has its source's databases and users; leave out databases and users.");
    if (input.datastore?.type !== undefined && this.catalog.get(input.datastore.type, caller.isAdmin).name !== source.datastore) throw new BadRequest(`A replica has its source's datastore (${source.datastore}); leave out datastore or give that one.`);
    if (input.datastore?.version !== undefined && input.datastore.version !== source.datastore_version) throw new BadRequest(`A replica has its source's datastore version (${source.datastore_version}); leave out the version or give that one.`);
    return source;
  }

  /** The caller's instance (admins: any project's); others' instances do not exist for them. */
  async get(caller: AuthContext, projectId: string, id: string): Promise<InstanceTable> {
    const instance = await this.instances.find(id);
    if (!instance || (instance.project_id !== projectId && !caller.isAdmin)) throw new NotFound(`Instance '${id}' cannot be found.`);
    return instance;
  }

  async list(projectId: string): Promise<InstanceTable[]> {
    return this.instances.db.selectFrom('instances').selectAll().where('project_id', '=', projectId).where('deleted', '=', 0).orderBy('created_at', 'desc').orderBy('id').execute();
  }

  /** What is still to be done to each instance (task kinds such as instance.configure). */
  pendingTasks(ids: string[]): Promise<Map<string, string[]>> {
    return this.tasks.unfinishedKinds(ids);
  }

  /** Every project's instances (or one project's), the live ones or the deleted ones. */
  async listAll(filter: { projectId?: string; deleted?: boolean } = {}): Promise<InstanceTable[]> {
    let query = this.instances.db
      .selectFrom('instances')
      .selectAll()
      .where('deleted', '=', filter.deleted ? 1 : 0);
    if (filter.projectId !== undefined) query = query.where('project_id', '=', filter.projectId);
    return query.orderBy('created_at', 'desc').orderBy('id').execute();
  }

  /** Public endpoints of instances, for views. */
  endpointsOf(ids: string[]): Promise<Map<string, Endpoint>> {
    return this.publicEndpoints.of(ids);
  }

  /** A new `access` for a running instance: recorded at once, put in force by a task (no restart). */
  async updateAccess(caller: AuthContext, projectId: string, id: string, input: AccessInput): Promise<void> {
    const instance = await this.get(caller, projectId, id);
    this.requireStandalone(instance, 'change its access');
    // Trove's update takes what it is sent as the whole of access: what is left out goes back to its default.
    const access = accessFrom({ is_public: input.is_public ?? false, allowed_cidrs: input.allowed_cidrs ?? [] });
    this.requirePublishable(access.isPublic);
    this.requireIdle(instance, 'change its access');
    await this.instances.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('instances')
        .set({ ...accessColumns(access), task_status: 'UPDATING', updated_at: new Date().toISOString() })
        .where('id', '=', instance.id)
        .where('task_status', '=', TaskStatus.NONE)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) throw new Conflict(`Instance '${id}' is busy with another operation.`);
      await this.tasks.enqueue(trx, 'instance.update_access', instance.id, {});
    });
    this.tasks.nudge();
  }

  /**
   * `datastore_version` on update: the version the instance runs is a no-op, as in Trove; another
   * one would be an upgrade, which this server does not do yet.
   */
  requireCurrentVersion(instance: InstanceTable, versionRef: string): void {
    const datastore = this.catalog.get(instance.datastore);
    const version = this.catalog.getVersion(datastore, versionRef);
    if (version.name === instance.datastore_version) return;
    throw new NotImplementedFault(`Instance '${instance.name}' runs ${datastore.name} ${instance.datastore_version}; upgrading it to ${version.name} is not available on this server yet.`);
  }

  async setAutoFailover(caller: AuthContext, projectId: string, id: string, on: boolean): Promise<void> {
    const instance = await this.get(caller, projectId, id);
    if (on && !this.catalog.get(instance.datastore).descriptor.capabilities.replication) throw new UnprocessableEntity(`Datastore '${instance.datastore}' does not support replication, so there is nothing to fail over to.`);
    await this.instances.update(instance.id, { auto_failover: on ? 1 : 0 });
  }

  async rename(caller: AuthContext, projectId: string, id: string, name: string): Promise<void> {
    const instance = await this.get(caller, projectId, id);
    await this.instances.update(instance.id, { name });
  }

  /** Deleting works from any state, and again while deleting (Trove answers 202 both times). */
  async delete(caller: AuthContext, projectId: string, id: string): Promise<void> {
    const instance = await this.get(caller, projectId, id);
    this.requireStandalone(instance, 'be deleted');
    if (instance.task_status === 'DELETING') return;
    const replica = (await this.instances.replicasOf(instance.id)).find((r) => r.task_status !== 'DELETING');
    if (replica) throw new BadRequest(`Instance '${instance.name}' is the source of replicas (${replica.id} …); delete or detach its replicas first.`);
    await this.instances.db.transaction().execute(async (trx) => {
      await trx.updateTable('instances').set({ task_status: 'DELETING', updated_at: new Date().toISOString() }).where('id', '=', instance.id).execute();
      await this.tasks.enqueue(trx, 'instance.delete', instance.id, {});
    });
    this.tasks.nudge();
  }

  async restart(caller: AuthContext, projectId: string, id: string): Promise<void> {
    const instance = await this.get(caller, projectId, id);
    this.requireStandalone(instance, 'be restarted');
    this.requireIdle(instance, 'be restarted');
    await this.startTask(instance.id, 'REBOOTING', 'instance.restart', {});
  }

  /** Starts a task that needs the instance idle, atomically: two requests cannot both start one. */
  private startTask(id: string, taskStatus: TaskStatus, kind: string, params: object, charge?: TaskCharge): Promise<void> {
    return this.startTasks([{ id, taskStatus, kind, params, ...(charge ? { charge } : {}) }]);
  }

  /** Starts tasks on several instances that all need to be idle: all of them start, or none. */
  private async startTasks(starts: Array<{ id: string; taskStatus: TaskStatus; kind: string; params: object; charge?: TaskCharge }>): Promise<void> {
    await this.instances.db.transaction().execute(async (trx) => {
      for (const { id, taskStatus, kind, params, charge } of starts) {
        const updated = await trx.updateTable('instances').set({ task_status: taskStatus, updated_at: new Date().toISOString() }).where('id', '=', id).where('task_status', '=', TaskStatus.NONE).executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) throw new Conflict(`Instance '${id}' is busy with another operation.`);
        if (charge) await this.quotas.charge(trx, charge.projectId, charge.deltas);
        await this.tasks.enqueue(trx, kind, id, params);
      }
    });
    this.tasks.nudge();
  }

  /** A cluster member is changed through its cluster: alone it would break the others. */
  private requireStandalone(instance: InstanceTable, what: string): void {
    if (instance.cluster_id !== null) {
      throw new BadRequest(
        `Operation not supported for instances that are part of a cluster: instance '${instance.name}' is a member of cluster ${instance.cluster_id}, so it cannot ${what} on its own; act on the cluster (/clusters/${instance.cluster_id}) instead.`,
      );
    }
  }

  private requireIdle(instance: InstanceTable, what: string): void {
    if (instance.task_status !== TaskStatus.NONE) throw new UnprocessableEntity(`Instance '${instance.id}' cannot ${what} while ${instance.task_status.toLowerCase()}; wait until it is ACTIVE.`);
  }

  /** A source's replicas grow with it, as in Trove: they hold the same data, and a replica that runs out of room stops following. */
  async resizeVolume(caller: AuthContext, projectId: string, id: string, size: unknown): Promise<void> {
    const instance = await this.get(caller, projectId, id);
    this.requireStandalone(instance, 'resize its volume');
    if (typeof size !== 'number' || !Number.isInteger(size)) throw new BadRequest(`The new volume size must be a whole number of GB, got ${JSON.stringify(size)}.`);
    if (size <= instance.volume_size) throw new BadRequest(`The new volume size (${size} GB) must be larger than the current one (${instance.volume_size} GB); volumes only grow.`);
    if (size > this.maxVolumeGb) throw new OverLimit(`Volume 'size' cannot exceed maximum of ${this.maxVolumeGb} GB, ${size} cannot be accepted.`);
    this.requireIdle(instance, 'resize its volume');
    const replicas = (await this.instances.replicasOf(instance.id)).filter((r) => r.volume_size < size);
    for (const replica of replicas) this.requireIdle(replica, `resize its volume with its source '${instance.name}'`);
    await this.startTasks(
      [instance, ...replicas].map((target) => ({
        id: target.id,
        taskStatus: 'RESIZING',
        kind: 'instance.resize_volume',
        params: { from: target.volume_size, to: size },
        charge: { projectId: target.project_id, deltas: { volumes: size - target.volume_size } },
      })),
    );
  }

  async resizeFlavor(caller: AuthContext, projectId: string, id: string, flavorRef: unknown): Promise<void> {
    const instance = await this.get(caller, projectId, id);
    this.requireStandalone(instance, 'change its flavor');
    if (typeof flavorRef !== 'string' && typeof flavorRef !== 'number') throw new BadRequest('Give the new flavor as {"resize": {"flavorRef": id}}.');
    const flavorId = String(flavorRef).replace(/^.*\/flavors\//, '');
    const flavor = await this.flavors.find(flavorId);
    if (!flavor) throw new BadRequest(`Flavor '${flavorId}' cannot be found; see GET /flavors for the ones there are.`);
    if (flavor.id === instance.flavor_id) throw new BadRequest(`The instance already has flavor '${flavor.id}'.`);
    const { descriptor } = this.catalog.get(instance.datastore);
    if (flavor.ram < descriptor.minRamMb) throw new BadRequest(`Flavor '${flavor.id}' has ${flavor.ram} MB of RAM; ${instance.datastore} needs at least ${descriptor.minRamMb} MB.`);
    this.requireIdle(instance, 'change its flavor');
    // The group's formulas and memory budget must hold for the new flavor too.
    this.configurations.checkFlavor(instance, await this.configurations.groupOf(instance), { ram_mb: flavor.ram, vcpus: flavor.vcpus });
    const from = { id: instance.flavor_id, ram_mb: instance.ram_mb, vcpus: instance.vcpus };
    const to = { id: flavor.id, ram_mb: flavor.ram, vcpus: flavor.vcpus };
    await this.startTask(instance.id, 'RESIZING', 'instance.resize_flavor', { from, to }, { projectId: instance.project_id, deltas: { ram: flavor.ram - instance.ram_mb } });
  }

  /** Admins: a new guest from the image of the instance's datastore version, on the same volume and data. */
  async rebuild(caller: AuthContext, projectId: string, id: string, imageId: string): Promise<void> {
    const instance = await this.get(caller, projectId, id);
    this.requireStandalone(instance, 'be rebuilt');
    const datastore = this.catalog.get(instance.datastore);
    const version = this.catalog.getVersion(datastore, instance.datastore_version);
    if (!version.image) throw new UnprocessableEntity(`Datastore version ${datastore.name} ${version.name} has no image to rebuild from.`);
    if (imageId !== version.image) throw new BadRequest(`Image '${imageId}' cannot be found for ${datastore.name} ${version.name}; its guests are built from image '${version.image}' (see the admin view of the datastore version).`);
    this.requireIdle(instance, 'be rebuilt');
    await this.startTask(instance.id, 'REBUILDING', 'instance.rebuild', {});
  }

  /** Admins: stop whatever task holds the instance and clear its fault; the reconciler then observes it afresh. */
  async resetStatus(caller: AuthContext, projectId: string, id: string): Promise<void> {
    const instance = await this.get(caller, projectId, id);
    await this.instances.db.transaction().execute(async (trx) => {
      await trx.updateTable('tasks').set({ state: 'cancelled', updated_at: new Date().toISOString() }).where('target_id', '=', instance.id).where('state', 'in', ['pending', 'running']).execute();
      await trx.updateTable('instances').set({ task_status: TaskStatus.NONE, fault_message: null, fault_details: null, fault_created: null, updated_at: new Date().toISOString() }).where('id', '=', instance.id).execute();
    });
  }
}
