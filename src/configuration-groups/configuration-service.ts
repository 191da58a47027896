import type { DatastoreCatalog } from '../catalog/registry.js';
import { BadRequest, NotFound, UnprocessableEntity } from '../common/errors.js';
import { newId } from '../common/ids.js';
import { agentOf, type Runtime } from '../control/runtime.js';
import type { TaskManager } from '../control/task-manager.js';
import type { Logger } from '../common/log.js';
import type { ConfigurationTable, InstanceTable } from '../state/schema.js';
import { flavorVariables } from '../catalog/formula.js';
import { budgetOf, groupOf, instanceFlavor, parseValues, resolveForFlavor, rulesOf } from './instance-values.js';
import { ParameterError, TRUE_WORDS } from '../catalog/parameter-rules.js';
import { checkGroupValues, checkMemoryBudget, memoryBudget, valuesForFlavor, type ConfigurationValues } from './values.js';
import { routes } from '../agent/rpc/routes.js';

export interface ConfigurationInput {
  name?: string;
  description?: string | null;
  values?: Record<string, unknown>;
  datastore?: { type?: string; version?: string };
}

/** How long a change of values waits for its instances to take them before answering. */
const APPLY_WAIT_MS = 15_000;

/** Turns a rule violation into Trove's 422 with its message. */
function checked<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (err instanceof ParameterError) throw new UnprocessableEntity(err.message);
    throw err;
  }
}

/**
 * Configuration groups: named, validated parameter values for one datastore version, attached
 * to instances. Every change is checked for every attached instance's flavor before anything
 * is written; applying it is the instance.configure task's.
 */
export class ConfigurationService {
  constructor(
    private readonly runtime: Runtime,
    private readonly catalog: DatastoreCatalog,
    private readonly tasks: TaskManager,
    private readonly log: Logger,
    /** Refuse any configuration whose worst-case memory exceeds the flavor's RAM, not only its fixed buffers. */
    private readonly strictMemoryBudget = false,
  ) {}

  /** Logs what a change was accepted in spite of (the preview and the group's view show it too). */
  private advise(warnings: string[], context: Record<string, string>): void {
    for (const warning of warnings) this.log.warn(context, warning);
  }

  /** A group's values for a flavor, refused (422) if they break a rule; the memory budget's warnings beside them. */
  private fitted(group: Pick<ConfigurationTable, 'values' | 'datastore' | 'datastore_version'> | undefined, datastore: string, flavor: { ram_mb: number; vcpus: number }): { values: ConfigurationValues; warnings: string[] } {
    return checked(() => {
      const values = resolveForFlavor(this.catalog, group, datastore, flavor);
      return { values, warnings: checkMemoryBudget(budgetOf(this.catalog, datastore, values, flavor), this.strictMemoryBudget) };
    });
  }

  /** The memory warnings a group gives the instances it is attached to, each naming its instance. */
  async warningsOf(group: ConfigurationTable, attached?: InstanceTable[]): Promise<string[]> {
    const instances = attached ?? (await this.attachedInstances(group.id));
    return instances.flatMap((instance) => {
      try {
        return this.fitted(group, instance.datastore, instanceFlavor(instance)).warnings.map((w) => `Instance ${instance.id} (${instance.ram_mb} MB): ${w}`);
      } catch (err) {
        return [`Instance ${instance.id} (${instance.ram_mb} MB): ${(err as Error).message}`];
      }
    });
  }

  private get db() {
    return this.runtime.instances.db;
  }

  async get(projectId: string, id: string): Promise<ConfigurationTable> {
    const group = await this.db.selectFrom('configurations').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
    if (!group || group.project_id !== projectId) throw new NotFound(`Configuration group with ID ${id} could not be found.`);
    return group;
  }

  async list(projectId: string): Promise<ConfigurationTable[]> {
    return this.db.selectFrom('configurations').selectAll().where('project_id', '=', projectId).where('deleted', '=', 0).orderBy('created_at').orderBy('id').execute();
  }

  /** Group names by id, for the instance views. */
  async namesOf(ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('configurations')
      .select(['id', 'name'])
      .where('id', 'in', [...new Set(ids)])
      .execute();
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  async attachedInstances(groupId: string): Promise<InstanceTable[]> {
    return this.db.selectFrom('instances').selectAll().where('configuration_id', '=', groupId).where('deleted', '=', 0).orderBy('created_at').execute();
  }

  versionIdOf(group: Pick<ConfigurationTable, 'datastore' | 'datastore_version'>): string {
    return this.catalog.getVersion(this.catalog.get(group.datastore), group.datastore_version).id;
  }

  async create(projectId: string, input: ConfigurationInput): Promise<ConfigurationTable> {
    if (!input.name || input.name.length > 255) throw new BadRequest('A configuration group needs a name of 1 to 255 characters.');
    if (!input.values || typeof input.values !== 'object' || Array.isArray(input.values)) throw new BadRequest('A configuration group needs "values": an object of parameter names and values.');
    if (!input.datastore?.type) throw new BadRequest('A configuration group needs "datastore": {"type": name, "version": name}.');
    const datastore = this.catalog.get(input.datastore.type);
    const version = input.datastore.version ? this.catalog.getVersion(datastore, input.datastore.version) : datastore.versions.find((v) => v.id === datastore.defaultVersionId);
    if (!version) throw new BadRequest(`Datastore '${datastore.name}' has no default version; give "datastore": {"version": …}.`);
    if (!datastore.descriptor.capabilities.configuration) throw new UnprocessableEntity(`Datastore '${datastore.name}' has no configuration parameters.`);
    const values = checked(() => checkGroupValues(datastore.descriptor.parameters, input.values!, `${datastore.name} ${version.name}`));
    const now = new Date().toISOString();
    const row: ConfigurationTable = {
      id: newId(),
      project_id: projectId,
      name: input.name,
      description: input.description ?? null,
      datastore: datastore.name,
      datastore_version: version.name,
      values: JSON.stringify(values),
      deleted: 0,
      deleted_at: null,
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto('configurations').values(row).execute();
    return row;
  }

  /** PUT replaces the values, PATCH merges into them; attached instances get the result. */
  async update(projectId: string, id: string, input: ConfigurationInput, mode: 'replace' | 'merge'): Promise<void> {
    const group = await this.get(projectId, id);
    if (input.values !== undefined && (typeof input.values !== 'object' || input.values === null || Array.isArray(input.values))) throw new BadRequest('"values" must be an object of parameter names and values.');
    if (mode === 'replace' && input.values === undefined) throw new BadRequest('PUT replaces the group\'s values: give "values" (PATCH merges instead).');
    // A group's values are checked against its own datastore version: naming another is a mistake to hear of, not to ignore.
    if (input.datastore !== undefined && ((input.datastore.type !== undefined && input.datastore.type !== group.datastore) || (input.datastore.version !== undefined && input.datastore.version !== group.datastore_version))) {
      throw new BadRequest(`Configuration group ${group.id} is for ${group.datastore} ${group.datastore_version}; its datastore cannot change (leave "datastore" out, or name that one).`);
    }
    const rules = rulesOf(this.catalog, group.datastore);
    const given = checked(() => checkGroupValues(rules, input.values ?? {}, `${group.datastore} ${group.datastore_version}`));
    const values = mode === 'replace' ? given : { ...parseValues(group.values), ...given };
    const next = { ...group, values: JSON.stringify(values) };
    const attached = await this.attachedInstances(group.id);
    // Every attached instance must take the new values (ranges of formulas, memory) before any is changed.
    for (const instance of attached) this.advise(this.fitted(next, instance.datastore, instanceFlavor(instance)).warnings, { configuration: group.id, instance: instance.id });
    const taskIds = await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('configurations')
        .set({ values: next.values, updated_at: new Date().toISOString(), ...(input.name ? { name: input.name } : {}), ...(input.description !== undefined ? { description: input.description } : {}) })
        .where('id', '=', group.id)
        .execute();
      const alone = attached.filter((instance) => instance.cluster_id === null);
      // A cluster's members take a change together, restarting one at a time where it needs a restart.
      const clusters = [...new Set(attached.flatMap((instance) => (instance.cluster_id === null ? [] : [instance.cluster_id])))];
      for (const cluster of clusters) await trx.updateTable('clusters').set({ task: 'UPDATING_CLUSTER', updated_at: new Date().toISOString() }).where('id', '=', cluster).where('task', '=', 'NONE').execute();
      return Promise.all([...alone.map((instance) => this.tasks.enqueue(trx, 'instance.configure', instance.id, {})), ...clusters.map((cluster) => this.tasks.enqueue(trx, 'cluster.configure', cluster, {}))]);
    });
    await this.putInForce(taskIds);
  }

  async delete(projectId: string, id: string): Promise<void> {
    const group = await this.get(projectId, id);
    const attached = await this.attachedInstances(group.id);
    if (attached.length > 0) {
      throw new BadRequest(`Configuration group ${group.id} is attached to ${attached.length} instance(s) (${attached.map((i) => i.id).join(', ')}); detach it before deleting it.`);
    }
    const now = new Date().toISOString();
    await this.db.updateTable('configurations').set({ deleted: 1, deleted_at: now, updated_at: now }).where('id', '=', group.id).execute();
  }

  /** A group by id, or by its name when that names one group (`trove create --configuration` sends what it is given). */
  async find(projectId: string, ref: string): Promise<ConfigurationTable> {
    const byId = await this.db.selectFrom('configurations').selectAll().where('id', '=', ref).where('project_id', '=', projectId).where('deleted', '=', 0).executeTakeFirst();
    if (byId) return byId;
    const byName = await this.db.selectFrom('configurations').selectAll().where('name', '=', ref).where('project_id', '=', projectId).where('deleted', '=', 0).execute();
    if (byName.length > 1) throw new BadRequest(`${byName.length} configuration groups are named '${ref}'; give the id of one.`);
    if (byName.length === 0) throw new NotFound(`Configuration group with ID ${ref} could not be found.`);
    return byName[0]!;
  }

  /** What an instance built with a group starts with: the group's values for the flavor. */
  async valuesForNewInstance(projectId: string, ref: string, datastore: string, version: string, flavor: { ram_mb: number; vcpus: number }): Promise<{ id: string; values: ConfigurationValues }> {
    const group = await this.find(projectId, ref);
    this.requireSameVersion(group, datastore, version, 'the new instance');
    const { values, warnings } = this.fitted(group, datastore, flavor);
    this.advise(warnings, { configuration: group.id, flavor: `${flavor.ram_mb} MB` });
    return { id: group.id, values };
  }

  /** Checks that an instance's group fits a new flavor (resize), before the resize starts. */
  checkFlavor(instance: InstanceTable, group: ConfigurationTable | undefined, flavor: { ram_mb: number; vcpus: number }): void {
    this.advise(this.fitted(group, instance.datastore, flavor).warnings, { instance: instance.id, flavor: `${flavor.ram_mb} MB` });
  }

  groupOf(instance: InstanceTable): Promise<ConfigurationTable | undefined> {
    return groupOf(this.db, instance);
  }

  private requireSameVersion(group: ConfigurationTable, datastore: string, version: string, what: string): void {
    if (this.catalog.get(group.datastore).descriptor.engine !== this.catalog.get(datastore).descriptor.engine || group.datastore_version !== version) {
      throw new BadRequest(`Configuration group ${group.id} is for ${group.datastore} ${group.datastore_version}; ${what} is ${datastore} ${version}.`);
    }
  }

  async attach(instance: InstanceTable, groupId: string): Promise<void> {
    if (instance.cluster_id !== null) throw new BadRequest(`Operation not supported for instances that are part of a cluster: instance '${instance.name}' is a member of cluster ${instance.cluster_id}; a configuration group cannot be attached to one member.`);
    if (instance.configuration_id) throw new BadRequest(`Instance ${instance.id} already has a Configuration Group attached: ${instance.configuration_id}.`);
    const group = await this.get(instance.project_id, groupId);
    this.requireSameVersion(group, instance.datastore, instance.datastore_version, `instance ${instance.id}`);
    const { warnings } = this.fitted(group, instance.datastore, instanceFlavor(instance));
    this.advise(warnings, { configuration: group.id, instance: instance.id });
    await this.setGroup(instance, group.id);
  }

  async detach(instance: InstanceTable): Promise<void> {
    if (!instance.configuration_id) throw new BadRequest(`Instance ${instance.id} has no configuration group attached.`);
    await this.setGroup(instance, null);
  }

  private async setGroup(instance: InstanceTable, groupId: string | null): Promise<void> {
    if (instance.task_status === 'DELETING' || instance.task_status === 'BUILDING') throw new UnprocessableEntity(`Instance ${instance.id} is ${instance.task_status.toLowerCase()}; its configuration cannot change now.`);
    const taskId = await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('instances').set({ configuration_id: groupId, updated_at: new Date().toISOString() }).where('id', '=', instance.id).execute();
      return this.tasks.enqueue(trx, 'instance.configure', instance.id, {});
    });
    await this.putInForce([taskId]);
  }

  /**
   * Answers once the values are in force (or wait for a restart), as Trove's attach does: clients
   * read the engine's value right after the call. A slow engine only delays the answer so long;
   * the task finishes either way.
   */
  private async putInForce(taskIds: string[]): Promise<void> {
    this.tasks.nudge();
    await this.tasks.settled(taskIds, APPLY_WAIT_MS);
  }

  /** The running engine's values of every catalog parameter: what the instance has in effect. */
  async effective(instance: InstanceTable): Promise<Record<string, string>> {
    const names = rulesOf(this.catalog, instance.datastore).map((r) => r.name);
    try {
      return (await agentOf(this.runtime, instance.id).call(routes.configurationRead, { names })).values;
    } catch (err) {
      throw new UnprocessableEntity(`The configuration of instance ${instance.id} cannot be read now (${(err as Error).message}); try again when it is ACTIVE.`);
    }
  }

  /**
   * A dry run: what attaching a group (or setting these values) would change on the instance,
   * against what is in effect now, which changes wait for a restart, and the memory budget.
   */
  async preview(instance: InstanceTable, proposal: { configuration?: string; values?: Record<string, unknown> }) {
    const rules = rulesOf(this.catalog, instance.datastore);
    let raw: ConfigurationValues;
    if (proposal.configuration !== undefined && proposal.values !== undefined) throw new BadRequest('Give either {"configuration": group id} or {"values": {…}} to preview, not both.');
    if (proposal.configuration !== undefined) {
      const group = await this.get(instance.project_id, proposal.configuration);
      this.requireSameVersion(group, instance.datastore, instance.datastore_version, `instance ${instance.id}`);
      raw = parseValues(group.values);
    } else if (proposal.values && typeof proposal.values === 'object') {
      raw = checked(() => checkGroupValues(rules, proposal.values!, `${instance.datastore} ${instance.datastore_version}`));
    } else {
      throw new BadRequest('Give {"configuration": group id} or {"values": {…}} to preview.');
    }
    const flavor = flavorVariables(instance.ram_mb, instance.vcpus);
    // The budget is reported here, not enforced: a dry run shows what attaching would warn of or refuse.
    const resolved = checked(() => valuesForFlavor(rules, raw, flavor, `${instance.datastore} ${instance.datastore_version}`));
    const current = await this.effective(instance);
    const changes = Object.entries(resolved)
      .filter(([name, value]) => !sameValue(current[name], value))
      .map(([name, value]) => ({ name, current: current[name] ?? null, proposed: value, restart_required: rules.find((r) => r.name === name)!.restart_required }));
    const removed = Object.keys(parseValues(instance.applied_configuration)).filter((name) => !(name in resolved));
    const budget = memoryBudget(rules, resolved, flavor);
    let warnings: string[];
    let refused = false;
    try {
      warnings = checkMemoryBudget(budget, this.strictMemoryBudget);
    } catch (err) {
      if (!(err instanceof ParameterError)) throw err;
      warnings = [`${err.message} Attaching these values would be refused.`];
      refused = true;
    }
    return {
      changes,
      reverted: removed,
      restart_required: changes.some((c) => c.restart_required) || removed.some((name) => rules.find((r) => r.name === name)?.restart_required !== false),
      ...(budget ? { memory: { fits: budget.fits, refused, total_bytes: budget.total_bytes, fixed_bytes: budget.fixed_bytes, ram_bytes: budget.ram_bytes, arithmetic: budget.arithmetic } } : {}),
      warnings,
    };
  }
}

/** The engine's spelling of a value against a checked one (ON/1/true, sizes in its unit). */
function sameValue(current: string | undefined, value: number | string | boolean): boolean {
  if (current === undefined) return false;
  if (typeof value === 'boolean') return TRUE_WORDS.includes(current.toLowerCase()) === value;
  if (typeof value === 'number') return Number(current) === value;
  return current.toLowerCase() === value.toLowerCase();
}
