import type { DatastoreDescriptor } from '../catalog/descriptor.js';
import type { DatastoreCatalog } from '../catalog/registry.js';
import type { Kysely } from 'kysely';
import type { ConfigurationTable, Database, InstanceTable } from '../state/schema.js';
import { evaluateFormula, flavorVariables } from '../catalog/formula.js';
import type { ParameterRule } from '../catalog/parameter-rules.js';
import { memoryBudget, valuesForFlavor, type ConfigurationValues, type MemoryBudget } from './values.js';
import { parseOwn } from '../common/json.js';

export function parseValues(json: string | null | undefined): ConfigurationValues {
  return json ? parseOwn<ConfigurationValues>(json) : {};
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

/** A flavor with what it comes to for one datastore's engine: its tuned settings, resolved from the descriptor's formulas. */
export interface TunedFlavor {
  ram_mb: number;
  vcpus: number;
  tuning: Record<string, number>;
}

/** The engine's tuned settings for a flavor (whole numbers, in each setting's unit): what the agent writes as they are. */
export function tuningFor(descriptor: Pick<DatastoreDescriptor, 'tuning'>, flavor: { ram_mb: number; vcpus: number }): Record<string, number> {
  const variables = flavorVariables(flavor.ram_mb, flavor.vcpus);
  return Object.fromEntries(Object.entries(descriptor.tuning).map(([name, formula]) => [name, Math.floor(evaluateFormula(formula, variables).number)]));
}

/** The flavor as the agent is sent it (prepare, resize, rebuild): with the datastore's tuning resolved for it. */
export function tunedFlavor(catalog: DatastoreCatalog, datastore: string, flavor: { ram_mb: number; vcpus: number }): TunedFlavor {
  return { ram_mb: flavor.ram_mb, vcpus: flavor.vcpus, tuning: tuningFor(catalog.get(datastore).descriptor, flavor) };
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
