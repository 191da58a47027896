import { evaluateFormula, FormulaError, isFormula, type FlavorVariables } from './formula.js';

/** The unit an integer parameter is given to its engine in; sizes may be written with K/M/G suffixes. */
export type ParameterUnit = 'bytes' | 'kB' | '8kB' | 'MB' | 'seconds' | 'ms' | 'us';

/**
 * One tunable parameter of a datastore version, as Trove's validation rules describe it, plus
 * what the memory-budget check needs to know of it.
 */
export interface ParameterRule {
  name: string;
  type: 'integer' | 'string' | 'boolean' | 'float';
  min?: number;
  max?: number;
  /** For strings: the values accepted (compared without regard to case). */
  allowed?: string[];
  /** For strings: a comma-separated set of `allowed` words (such as sql_mode). */
  list?: boolean;
  /** For strings without `allowed`: the shape accepted. */
  pattern?: string;
  restart_required: boolean;
  unit?: ParameterUnit;
  /**
   * Its part in the memory budget: allocated once (global), per connection, or the number of
   * connections. `default` is what the engine uses when no group sets it (a formula of the flavor).
   */
  memory?: 'global' | 'per_connection' | 'connections';
  default?: string;
}

export type ParameterValue = number | string | boolean;

/** A value refused by its rule; `message` names the parameter and the rule, in Trove's words where it has them. */
export class ParameterError extends Error {}

const SIZE_FACTORS: Record<string, number> = { '': 1, K: 1024, KB: 1024, M: 1024 ** 2, MB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3, T: 1024 ** 4, TB: 1024 ** 4 };
const UNIT_BYTES: Partial<Record<ParameterUnit, number>> = { bytes: 1, kB: 1024, '8kB': 8192, MB: 1024 ** 2 };
/** How booleans are written, by tenants and by the engines (ON, on, yes: each engine its own spelling). */
export const TRUE_WORDS = ['1', 'true', 'on', 'yes'];
const FALSE_WORDS = ['0', 'false', 'off', 'no'];
/** Strings end up in configuration files and SET statements: no quotes, backslashes, newlines or comment marks. */
const SAFE_STRING = /^[A-Za-z0-9_ ,.:/+@=-]{0,256}$/;

/** Bytes per unit of a size parameter (undefined for non-sizes). */
export function bytesPerUnit(rule: ParameterRule): number | undefined {
  return rule.unit ? UNIT_BYTES[rule.unit] : undefined;
}

function notOfType(rule: ParameterRule): ParameterError {
  return new ParameterError(`The value provided for the configuration parameter ${rule.name} is not of type ${rule.type}.`);
}

/** A number written with a size suffix ("512M", "1GB"), in the rule's unit; undefined when not a size. */
function sizeInUnit(rule: ParameterRule, number: number, suffix: string): number {
  const perUnit = bytesPerUnit(rule);
  const factor = SIZE_FACTORS[suffix.toUpperCase()];
  if (suffix !== '' && (perUnit === undefined || factor === undefined)) {
    throw new ParameterError(`The configuration parameter ${rule.name} does not take a size suffix ("${suffix}")${perUnit === undefined ? '' : '; use K, M, G or T'}.`);
  }
  return suffix === '' ? number : (number * factor!) / perUnit!;
}

function checkRange(rule: ParameterRule, value: number): void {
  if (rule.min !== undefined && value < rule.min) throw new ParameterError(`The value for the configuration parameter ${rule.name} is less than the minimum allowed: ${rule.min}`);
  if (rule.max !== undefined && value > rule.max) throw new ParameterError(`The value for the configuration parameter ${rule.name} is greater than the maximum allowed: ${rule.max}`);
}

function numeric(rule: ParameterRule, raw: ParameterValue, flavor: FlavorVariables | undefined): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'boolean') throw notOfType(rule);
  const text = raw.trim();
  if (isFormula(text)) {
    if (!flavor) return undefined;
    try {
      const { number, suffix } = evaluateFormula(text, flavor);
      return sizeInUnit(rule, number, suffix);
    } catch (err) {
      if (err instanceof FormulaError) throw new ParameterError(`The formula for the configuration parameter ${rule.name} is not valid: ${err.message}.`);
      throw err;
    }
  }
  const match = /^(-?\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(text);
  if (!match) throw notOfType(rule);
  return sizeInUnit(rule, Number(match[1]), match[2]!);
}

/** A number with a size suffix, as written for a size parameter ("512M", "1GB"). */
const WITH_SUFFIX = /^\s*\d+(?:\.\d+)?\s*[A-Za-z]+\s*$/;

/**
 * The JSON type a tenant must write a value in, as Trove checks it: a number for integers and
 * floats, true or false for booleans, a string for strings. Strings are taken for numbers only
 * where they say more than a number can: a formula of the flavor, or a size with its suffix.
 * "60" for max_connections is refused, not read as 60: the caller meant something else or
 * made a mistake, and either way should hear of it.
 */
export function checkWrittenType(rule: ParameterRule, raw: unknown): void {
  const wrongType = (give: string) => new ParameterError(`The value provided for the configuration parameter ${rule.name} is not of type ${rule.type}: give ${give}.`);
  switch (rule.type) {
    case 'integer':
    case 'float': {
      const give = rule.type === 'integer' ? 'a whole JSON number' : 'a JSON number';
      const sizeText = bytesPerUnit(rule) !== undefined ? `, a size such as "512M"` : '';
      if (typeof raw === 'number') {
        if (!Number.isFinite(raw) || (rule.type === 'integer' && !Number.isSafeInteger(raw))) throw wrongType(`${give}${sizeText} or a formula of the flavor such as "{RAM_MB / 4}"`);
        return;
      }
      if (typeof raw === 'string' && (isFormula(raw) || (sizeText !== '' && WITH_SUFFIX.test(raw)))) return;
      throw wrongType(`${give} (not ${typeof raw === 'string' ? 'a string' : raw === null ? 'null' : `a ${typeof raw}`})${sizeText} or a formula of the flavor such as "{RAM_MB / 4}"`);
    }
    case 'boolean':
      if (typeof raw !== 'boolean') throw wrongType(`true or false (a JSON boolean, not ${typeof raw === 'string' ? 'a string' : raw === null ? 'null' : `a ${typeof raw}`})`);
      return;
    case 'string':
      if (typeof raw !== 'string') throw wrongType('a JSON string');
      return;
  }
}

/**
 * Checks a value against its rule and gives it as the engine takes it: integers in the rule's
 * unit, booleans as booleans, strings in their canonical spelling. A formula is evaluated for
 * `flavor`; without one (a group not yet attached) only its syntax is checked, and the result is
 * the formula itself.
 */
export function normalizeValue(rule: ParameterRule, raw: unknown, flavor?: FlavorVariables): ParameterValue {
  if (typeof raw !== 'number' && typeof raw !== 'string' && typeof raw !== 'boolean') throw notOfType(rule);
  switch (rule.type) {
    case 'integer':
    case 'float': {
      if (typeof raw === 'string' && isFormula(raw) && !flavor) {
        // Checked for its syntax against a sample flavor; its range is checked per instance.
        numeric(rule, raw, { RAM: 1024 ** 3, RAM_MB: 1024, VCPUS: 1 });
        return raw.trim();
      }
      let value = numeric(rule, raw, flavor)!;
      if (rule.type === 'integer') {
        if (!isFormula(raw) && !Number.isInteger(value)) throw notOfType(rule);
        value = Math.floor(value);
      }
      checkRange(rule, value);
      return value;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const word = String(raw).trim().toLowerCase();
      if (TRUE_WORDS.includes(word)) return true;
      if (FALSE_WORDS.includes(word)) return false;
      throw notOfType(rule);
    }
    case 'string': {
      if (typeof raw !== 'string') throw notOfType(rule);
      const text = raw.trim();
      if (rule.allowed) {
        const words = rule.list
          ? text
              .split(',')
              .map((w) => w.trim())
              .filter((w) => w !== '')
          : [text];
        const canonical = words.map((word) => {
          const found = rule.allowed!.find((a) => a.toLowerCase() === word.toLowerCase());
          if (found === undefined) throw new ParameterError(`The value for the configuration parameter ${rule.name} must be ${rule.list ? 'a comma-separated list of' : 'one of'}: ${rule.allowed!.join(', ')} ("${word}" is not).`);
          return found;
        });
        return canonical.join(',');
      }
      if (!SAFE_STRING.test(text)) throw new ParameterError(`The value for the configuration parameter ${rule.name} may use only letters, digits, spaces and _ , . : / + @ = - (at most 256 characters).`);
      if (rule.pattern && !new RegExp(rule.pattern).test(text)) throw new ParameterError(`The value for the configuration parameter ${rule.name} does not have the form ${rule.pattern}.`);
      return text;
    }
  }
}
