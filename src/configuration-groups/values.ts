import { evaluateFormula, type FlavorVariables } from '../catalog/formula.js';
import { bytesPerUnit, checkWrittenType, normalizeValue, ParameterError, type ParameterRule, type ParameterValue } from '../catalog/parameter-rules.js';

export type ConfigurationValues = Record<string, ParameterValue>;

/** Looks a parameter up in a datastore version's rules, refusing names it does not have. */
function ruleFor(rules: readonly ParameterRule[], name: string, datastoreLabel: string): ParameterRule {
  const rule = rules.find((r) => r.name === name);
  if (!rule) throw new ParameterError(`The configuration parameter ${name} is not supported for this datastore: ${datastoreLabel}.`);
  return rule;
}

/** Checks a group's values as a tenant wrote them (JSON types as the rules say, formulas kept as formulas): what create, PUT, PATCH and a preview take. */
export function checkGroupValues(rules: readonly ParameterRule[], values: Record<string, unknown>, datastoreLabel: string): ConfigurationValues {
  const names = Object.keys(values);
  if (names.length > 200) throw new ParameterError('A configuration group holds at most 200 parameters.');
  const checked: ConfigurationValues = {};
  for (const name of names.sort()) {
    const rule = ruleFor(rules, name, datastoreLabel);
    checkWrittenType(rule, values[name]);
    checked[name] = normalizeValue(rule, values[name]);
  }
  return checked;
}

/** A group's values for one instance's flavor: formulas evaluated, each checked against its range. */
export function valuesForFlavor(rules: readonly ParameterRule[], values: ConfigurationValues, flavor: FlavorVariables, datastoreLabel: string): ConfigurationValues {
  const resolved: ConfigurationValues = {};
  for (const [name, value] of Object.entries(values)) {
    try {
      resolved[name] = normalizeValue(ruleFor(rules, name, datastoreLabel), value, flavor);
    } catch (err) {
      if (err instanceof ParameterError) throw new ParameterError(`${err.message} (for a flavor of ${flavor.RAM_MB} MB RAM and ${flavor.VCPUS} vCPUs)`);
      throw err;
    }
  }
  return resolved;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024).toFixed(0)} KB`;
}

export interface MemoryBudget {
  total_bytes: number;
  ram_bytes: number;
  /** What is allocated whatever the load: the global buffers alone. */
  fixed_bytes: number;
  /** The sum written out: `buffer_size 800.0 MB + max_connections 200 × (…) = …`. */
  arithmetic: string;
  fits: boolean;
}

/**
 * What the memory the engine may allocate comes to with these values (defaults of the flavor
 * for what they leave out): global buffers + connections × per-connection buffers.
 * Undefined for a datastore whose rules name no memory parameters.
 */
export function memoryBudget(rules: readonly ParameterRule[], resolved: ConfigurationValues, flavor: FlavorVariables): MemoryBudget | undefined {
  const valueFor = (rule: ParameterRule): number => {
    const set = resolved[rule.name];
    if (typeof set === 'number') return set;
    if (rule.default === undefined) return 0;
    return Math.floor(evaluateFormula(rule.default, flavor).number);
  };
  const bytesOf = (rule: ParameterRule) => valueFor(rule) * (bytesPerUnit(rule) ?? 1);
  const global = rules.filter((r) => r.memory === 'global');
  const perConnection = rules.filter((r) => r.memory === 'per_connection');
  const connectionsRule = rules.find((r) => r.memory === 'connections');
  if (global.length === 0 && perConnection.length === 0) return undefined;
  const connections = connectionsRule ? valueFor(connectionsRule) : 0;
  const globalBytes = global.reduce((sum, r) => sum + bytesOf(r), 0);
  const perConnectionBytes = perConnection.reduce((sum, r) => sum + bytesOf(r), 0);
  const total = globalBytes + connections * perConnectionBytes;
  const terms = global.map((r) => `${r.name} ${formatBytes(bytesOf(r))}`);
  if (connectionsRule && perConnection.length > 0) {
    terms.push(`${connectionsRule.name} ${connections} × (${perConnection.map((r) => `${r.name} ${formatBytes(bytesOf(r))}`).join(' + ')})`);
  }
  const ram = flavor.RAM;
  const fits = total <= ram;
  return { total_bytes: total, ram_bytes: ram, fixed_bytes: globalBytes, arithmetic: `${terms.join(' + ')} = ${formatBytes(total)} ${fits ? '≤' : '>'} the flavor's ${formatBytes(ram)} of RAM`, fits };
}

/**
 * The budget as advice: every connection at once using every per-connection buffer is a worst
 * case engines rarely reach, so a sum above the RAM is a warning, and only buffers that are
 * allocated whatever the load and alone exceed the RAM are refused (or any excess, in strict mode).
 * Returns the warnings to show and log.
 */
export function checkMemoryBudget(budget: MemoryBudget | undefined, strict: boolean): string[] {
  if (!budget || budget.fits) return [];
  if (budget.fixed_bytes > budget.ram_bytes) {
    throw new ParameterError(`The configuration's fixed buffers alone need more memory than the flavor has: ${budget.arithmetic}. Lower the buffers.`);
  }
  if (strict) throw new ParameterError(`The configuration would let the engine use more memory than the flavor has: ${budget.arithmetic}. Lower the buffers or the connections (this server refuses any excess: configuration.strict_memory_budget).`);
  return [`At full load the engine could use more memory than the flavor has: ${budget.arithmetic}. Accepted; lower the buffers or the connections if the engine runs short of memory.`];
}
