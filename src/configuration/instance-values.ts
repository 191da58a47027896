import type { DatastoreCatalog } from '../catalog/registry.js';
import type { Kysely } from 'kysely';
import type { ConfigurationTable, Database, InstanceTable } from '../store/schema.js';
import { flavorVariables } from './formula.js';
import type { ParameterRule } from './parameter-rules.js';
import { memoryBudget, valuesForFlavor, type ConfigurationValues, type MemoryBudget } from './values.js';
import { parseOwn } from '../common/json.js';

export function parseValues(json: string | null | undefined): ConfigurationValues {
  return json ? (parseOwn<ConfigurationValues>(json)) : {};
}

/** The group attached to an instance (kept even if soft-deleted: an attached group cannot be deleted). */
export async function groupOf(db: Kysely<Database>, instance: Pick<InstanceTable, 'configuration_id'>): Promise<ConfigurationTable | undefined> {
  if (!instance.configuration_id) return undefined;
  return db.selectFrom('configurations').selectAll().where('id', '=', instance.configuration_id).executeTakeFirst();
}

export function rulesOf(catalog: DatastoreCatalog, datastore: string): ParameterRule[] {
  return catalog.get(datastore).descriptor.parameters;
}

/** A group's values for one flavor, as they are written to an instance: formulas evaluated, ranges checked. */
export function resolveForFlavor(catalog: DatastoreCatalog, group: Pick<ConfigurationTable, 'values' | 'datastore' | 'datastore_version'> | undefined, datastore: string, flavor: { ram_mb: number; vcpus: number }): ConfigurationValues {
  const rules = rulesOf(catalog, datastore);
  const variables = flavorVariables(flavor.ram_mb, flavor.vcpus);
  return group ? valuesForFlavor(rules, parseValues(group.values), variables, `${group.datastore} ${group.datastore_version}`) : {};
}

/** What resolved values come to in memory on a flavor (defaults of the flavor for what they leave out). */
export function budgetOf(catalog: DatastoreCatalog, datastore: string, resolved: ConfigurationValues, flavor: { ram_mb: number; vcpus: number }): MemoryBudget | undefined {
  return memoryBudget(rulesOf(catalog, datastore), resolved, flavorVariables(flavor.ram_mb, flavor.vcpus));
}

export interface ConfigurationChange {
  /** Parameters whose value changes (added, changed or removed). */
  changed: string[];
  /** Changed parameters the running engine takes now. */
  live: string[];
  /** Dynamic parameters no longer set, which the running engine goes back to what it starts with now. */
  revert: string[];
  /** True when some change waits for a restart: a restart-required parameter, set or removed. */
  restartRequired: boolean;
}

/** What going from the values last applied to `next` means for the running engine. */
export function changeBetween(rules: readonly ParameterRule[], applied: ConfigurationValues, next: ConfigurationValues): ConfigurationChange {
  const names = [...new Set([...Object.keys(applied), ...Object.keys(next)])].sort();
  const changed = names.filter((name) => applied[name] !== next[name]);
  const dynamic = (name: string) => rules.find((r) => r.name === name)?.restart_required === false;
  const live = changed.filter((name) => name in next && dynamic(name));
  const revert = changed.filter((name) => !(name in next) && dynamic(name));
  const restartRequired = changed.some((name) => !dynamic(name));
  return { changed, live, revert, restartRequired };
}

export function instanceFlavor(instance: InstanceTable): { ram_mb: number; vcpus: number } {
  return { ram_mb: instance.ram_mb, vcpus: instance.vcpus };
}
