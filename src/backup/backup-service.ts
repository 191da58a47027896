import { TaskStatus } from '../state/task-status.js';
import type { DatastoreCatalog } from '../catalog/registry.js';
import { BadRequest, Conflict, NotFound, UnprocessableEntity } from '../common/errors.js';
import { newId } from '../common/ids.js';
import type { TaskManager } from '../control/task-manager.js';
import type { AuthContext } from '../identity/types.js';
import type { QuotaService } from '../quota/quota-service.js';
import { describeLocation, localLocation } from '../object-storage/store-spec.js';
import type { BackupStrategyTable, BackupTable, InstanceTable } from '../state/schema.js';
import type { BackupObjects } from '../object-storage/backup-objects.js';
import { RUNNING_STATES, type BackupRecords } from '../state/backup-records.js';

export interface CreateBackupInput {
  name: string;
  instance?: string;
  description?: string | null;
  parent_id?: string | null;
  incremental?: number | boolean;
  swift_container?: string | null;
}

export interface BackupFilter {
  instanceId?: string;
  datastore?: string;
  allProjects?: boolean;
}

const CONTAINER = /^[a-z0-9][a-z0-9._-]{2,62}$/;

function checkContainer(name: string): string {
  if (!CONTAINER.test(name)) throw new BadRequest(`Container name '${name}' is not valid: use 3 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.`);
  return name;
}

/**
 * Where a backup is, as users see it (locationRef). Nothing reads it back: restores name backups by
 * id. Backups recorded before the folder store had a URL form of its own carry the server's path
 * (file:///…/objects/…): they are shown in the store's form too.
 */
export function publicLocation(backup: Pick<BackupTable, 'location' | 'container' | 'object_key'>): string {
  return backup.location.startsWith('file://') ? localLocation(backup.container, backup.object_key) : backup.location;
}

/**
 * What backups need of instances. Instances sit above backups (an instance is restored from one),
 * so this side declares what it asks and app/services.ts hands it the instance service.
 */
export interface BackupInstances {
  /** The caller's instance; NotFound when the caller may not see it. */
  get(caller: AuthContext, projectId: string, instanceId: string): Promise<InstanceTable>;
  /** The instance's API status now (ACTIVE, BUILD, …). */
  statusOf(instance: InstanceTable): string;
}

/** What the API can do with backups and backup strategies; every rule is checked before anything is written. */
export class BackupService {
  constructor(
    private readonly backups: BackupRecords,
    private readonly instances: BackupInstances,
    private readonly catalog: DatastoreCatalog,
    private readonly quotas: QuotaService,
    private readonly tasks: TaskManager,
    private readonly storage: BackupObjects,
  ) {}

  async create(caller: AuthContext, projectId: string, input: CreateBackupInput): Promise<BackupTable> {
    if (!input.instance) throw new BadRequest('instance is missing: give the id of the instance to back up as "instance".');
    const instance = await this.instances.get(caller, projectId, input.instance);
    const { descriptor } = this.catalog.get(instance.datastore);
    if (!descriptor.capabilities.backup.full) throw new UnprocessableEntity(`Datastore '${instance.datastore}' does not support backups.`);
    const status = this.instances.statusOf(instance);
    if (status !== 'ACTIVE') throw new UnprocessableEntity(`Instance '${instance.id}' is ${status}; a backup needs it ACTIVE.`);

    let parent: BackupTable | undefined;
    if (input.parent_id) {
      parent = await this.backups.find(input.parent_id);
      if (!parent || parent.project_id !== instance.project_id) throw new NotFound(`Backup '${input.parent_id}' cannot be found.`);
      if (parent.instance_id !== instance.id) throw new BadRequest(`Backup '${parent.id}' is of instance '${parent.instance_id}'; an incremental backup builds on a backup of the same instance.`);
      if (parent.status !== 'COMPLETED') throw new BadRequest(`Backup '${parent.id}' is ${parent.status}; an incremental backup builds on a COMPLETED one.`);
    } else if (input.incremental) {
      // As Trove does: incremental on the newest completed backup, or a full one if there is none.
      parent = await this.backups.lastCompleted(instance.id);
    }
    if (parent && !descriptor.capabilities.backup.incremental) {
      throw new UnprocessableEntity(`Datastore '${instance.datastore}' does not support incremental backups; leave out parent_id and incremental for a full backup.`);
    }
    const container = checkContainer(input.swift_container || (await this.strategyContainer(instance.project_id, instance.id)) || this.storage.defaultContainer);

    const now = new Date().toISOString();
    const id = newId();
    const objectKey = `${id}/data.${parent ? 'incremental' : 'full'}.zst.enc`;
    const row: BackupTable = {
      id,
      project_id: instance.project_id,
      name: input.name,
      description: input.description ?? null,
      instance_id: instance.id,
      datastore: instance.datastore,
      datastore_version: instance.datastore_version,
      parent_id: parent?.id ?? null,
      kind: parent ? 'incremental' : 'full',
      status: 'NEW',
      container,
      object_key: objectKey,
      location: describeLocation(this.storage.spec, container, objectKey),
      size_bytes: null,
      progress_bytes: null,
      sha256: null,
      tool: null,
      positions: null,
      volume_used_bytes: null,
      parts: null,
      archive_floor: null,
      key_id: this.storage.keyring.current.id,
      fail_reason: null,
      deleted: 0,
      deleted_at: null,
      created_at: now,
      updated_at: now,
    };
    await this.backups.db.transaction().execute(async (trx) => {
      const claimed = await trx.updateTable('instances').set({ task_status: 'BACKUP', updated_at: now }).where('id', '=', instance.id).where('task_status', '=', TaskStatus.NONE).executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) throw new Conflict(`Instance '${instance.id}' is busy with another operation.`);
      await this.quotas.charge(trx, instance.project_id, { backups: 1 });
      await trx.insertInto('backups').values(row).execute();
      await this.tasks.enqueue(trx, 'backup.create', id, { instance_id: instance.id });
    });
    this.tasks.nudge();
    return row;
  }

  /** The caller's backup (admins: any project's). */
  async get(caller: AuthContext, projectId: string, id: string): Promise<BackupTable> {
    const backup = await this.backups.find(id);
    if (!backup || (backup.project_id !== projectId && !caller.isAdmin)) throw new NotFound(`Backup '${id}' cannot be found.`);
    return backup;
  }

  async list(caller: AuthContext, projectId: string, filter: BackupFilter): Promise<BackupTable[]> {
    let query = this.backups.db.selectFrom('backups').selectAll().where('deleted', '=', 0);
    if (!(filter.allProjects && caller.isAdmin)) query = query.where('project_id', '=', projectId);
    if (filter.instanceId) query = query.where('instance_id', '=', filter.instanceId);
    if (filter.datastore) query = query.where('datastore', '=', filter.datastore);
    return query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  }

  /** An instance's backups: 404 for an instance the caller cannot see, never an empty list that hides the mistake. */
  async listOfInstance(caller: AuthContext, projectId: string, instanceId: string): Promise<BackupTable[]> {
    const instance = await this.instances.get(caller, projectId, instanceId);
    return this.list(caller, instance.project_id, { instanceId: instance.id });
  }

  /** Deletes the backup and, as Trove does, every incremental built on it. */
  async delete(caller: AuthContext, projectId: string, id: string): Promise<void> {
    await this.get(caller, projectId, id);
    const doomed = await this.backups.withDescendants(id);
    const running = doomed.find((b) => RUNNING_STATES.includes(b.status));
    if (running) throw new UnprocessableEntity(`Backup '${running.id}' cannot be deleted because it is running; try again when it has finished.`);
    await this.backups.db.transaction().execute(async (trx) => {
      await this.tasks.enqueue(trx, 'backup.delete', id, { ids: doomed.map((b) => b.id) });
    });
    this.tasks.nudge();
  }

  private async strategyContainer(projectId: string, instanceId: string): Promise<string | undefined> {
    const rows = await this.backups.db.selectFrom('backup_strategies').selectAll().where('project_id', '=', projectId).where('instance_id', 'in', [instanceId, '']).execute();
    return (rows.find((r) => r.instance_id === instanceId) ?? rows.find((r) => r.instance_id === ''))?.container;
  }

  async listStrategies(caller: AuthContext, projectId: string, filter: { instanceId?: string; projectId?: string }): Promise<BackupStrategyTable[]> {
    const project = this.strategyProject(caller, projectId, filter.projectId);
    let query = this.backups.db.selectFrom('backup_strategies').selectAll().where('project_id', '=', project);
    if (filter.instanceId) query = query.where('instance_id', '=', filter.instanceId);
    return query.orderBy('instance_id').execute();
  }

  /** Creates or replaces where a project's (or one instance's) backups go. */
  async setStrategy(caller: AuthContext, projectId: string, input: { instance_id?: string; swift_container?: string }): Promise<BackupStrategyTable> {
    if (!input.swift_container) throw new BadRequest('swift_container is missing: name the container backups should go to.');
    const container = checkContainer(input.swift_container);
    const instanceId = input.instance_id ?? '';
    if (instanceId) await this.instances.get(caller, projectId, instanceId);
    const row: BackupStrategyTable = { project_id: projectId, instance_id: instanceId, backend: 'swift', container, created_at: new Date().toISOString() };
    await this.backups.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('backup_strategies').where('project_id', '=', projectId).where('instance_id', '=', instanceId).execute();
      await trx.insertInto('backup_strategies').values(row).execute();
    });
    return row;
  }

  async deleteStrategy(caller: AuthContext, projectId: string, filter: { instanceId?: string; projectId?: string }): Promise<void> {
    const project = this.strategyProject(caller, projectId, filter.projectId);
    await this.backups.db
      .deleteFrom('backup_strategies')
      .where('project_id', '=', project)
      .where('instance_id', '=', filter.instanceId ?? '')
      .execute();
  }

  private strategyProject(caller: AuthContext, projectId: string, asked: string | undefined): string {
    if (asked && asked !== projectId && !caller.isAdmin) throw new NotFound(`Project '${asked}' cannot be found.`);
    return asked || projectId;
  }
}
