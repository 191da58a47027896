import type { JsonSchema } from './openapi.js';

/** Ways a value is made wrong; each is a value the schema (with its intents) or Trove's rules refuse. */
export type BodyDefectKind = 'wrong-type' | 'string-number' | 'string-boolean' | 'out-of-range' | 'unsafe-integer' | 'unknown-field' | 'missing-required' | 'over-long' | 'nul' | 'pattern' | 'too-many-items' | 'duplicate-items' | 'too-few-items';

export const BODY_DEFECT_KINDS: BodyDefectKind[] = ['wrong-type', 'string-number', 'string-boolean', 'out-of-range', 'unsafe-integer', 'unknown-field', 'missing-required', 'over-long', 'nul', 'pattern', 'too-many-items', 'duplicate-items', 'too-few-items'];

/** A number JSON.stringify cannot write as sent (2^53 + 1): kept as text until the body is serialised. */
export class RawNumber {
  constructor(readonly text: string) {}
}

const RAW_MARK = /"@@raw:([-0-9.e+]+)@@"/g;

/** The body's JSON text, with RawNumbers written as the digits they hold. */
export function serialise(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v instanceof RawNumber ? `@@raw:${v.text}@@` : v)).replace(RAW_MARK, '$1');
}

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'null' | 'array' | 'object';

function acceptedTypes(schema: JsonSchema): Set<JsonType> | 'any' {
  if (schema.enum) return new Set(schema.enum.map(jsonTypeOf));
  if (schema.anyOf) {
    const all = new Set<JsonType>();
    for (const branch of schema.anyOf) {
      const types = acceptedTypes(branch);
      if (types === 'any') return 'any';
      for (const t of types) all.add(t);
    }
    if (schema.nullable) all.add('null');
    return all;
  }
  if (!schema.type) return 'any';
  const types = new Set<JsonType>([schema.type]);
  if (schema.type === 'number') types.add('integer');
  if (schema.nullable) types.add('null');
  return types;
}

function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

/** The branch of an anyOf the value was generated from, to walk further into it. */
function branchFor(schema: JsonSchema, value: unknown): JsonSchema {
  if (!schema.anyOf) return schema;
  const type = jsonTypeOf(value);
  return schema.anyOf.find((b) => b.type === type || (b.type === 'number' && type === 'integer')) ?? {};
}

interface Site {
  path: Array<string | number>;
  schema: JsonSchema;
  value: unknown;
}

function sitesOf(value: unknown, schema: JsonSchema, path: Array<string | number> = []): Site[] {
  const sites: Site[] = [{ path, schema, value }];
  const branch = branchFor(schema, value);
  if (branch.type === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) {
      const childSchema = branch.properties?.[key] ?? (typeof branch.additionalProperties === 'object' ? branch.additionalProperties : undefined);
      if (childSchema) sites.push(...sitesOf(child, childSchema, [...path, key]));
    }
  }
  if (branch.type === 'array' && Array.isArray(value) && branch.items)
    value.forEach((item, i) => {
      sites.push(...sitesOf(item, branch.items!, [...path, i]));
    });
  return sites;
}

/** A string long enough to be over 1 KB, recognisable if an answer echoes it. */
export function longText(length: number): string {
  return 'fzlong-'.repeat(Math.ceil(length / 7)).slice(0, length);
}

const WRONG_VALUES: Array<[JsonType, unknown]> = [
  ['string', 'fz-not-this-type'],
  ['integer', 7],
  ['number', 1.5],
  ['boolean', true],
  ['array', ['fz']],
  ['object', { fz: 1 }],
  ['null', null],
];

/** The replacement values of one kind for one site, each with what it means. */
function replacements(kind: BodyDefectKind, site: Site, pick: number): Array<{ value: unknown; note: string } | { remove: string; note: string } | { add: string; note: string }> {
  const { schema, value } = site;
  const types = acceptedTypes(schema);
  const branch = branchFor(schema, value);
  const integerBranches = schema.anyOf ? schema.anyOf.filter((b) => b.type === 'integer' || b.type === 'number') : schema.type === 'integer' || schema.type === 'number' ? [schema] : [];
  const accepts = (t: JsonType) => types === 'any' || types.has(t);
  switch (kind) {
    case 'wrong-type': {
      if (types === 'any') return [];
      const wrong = WRONG_VALUES.filter(([t]) => !types.has(t) && !(t === 'integer' && types.has('number')));
      const chosen = wrong[pick % Math.max(wrong.length, 1)];
      return chosen ? [{ value: chosen[1], note: `a ${chosen[0]} where ${[...types].join('|')} is expected` }] : [];
    }
    case 'string-number':
      return integerBranches.length > 0 && !accepts('string') ? [{ value: String(integerBranches[0]!.minimum ?? 5), note: 'a number written as a string' }] : [];
    case 'string-boolean':
      return accepts('boolean') && !accepts('string') ? [{ value: ['false', 'true', 'no', '0'][pick % 4], note: 'a boolean written as a string' }] : [];
    case 'out-of-range': {
      if (integerBranches.length === 0 || types === 'any') return [];
      const out: Array<{ value: unknown; note: string }> = [];
      const min = Math.min(...integerBranches.map((b) => b.minimum ?? -Infinity));
      const max = Math.max(...integerBranches.map((b) => b.maximum ?? Infinity));
      if (Number.isFinite(min)) out.push({ value: min - 1, note: `below the minimum ${min}` });
      if (Number.isFinite(max)) out.push({ value: max >= 2 ** 31 - 1 ? 1e12 : max + 1, note: `above the maximum ${max}` });
      if (integerBranches.every((b) => b.type === 'integer') && !accepts('number')) out.push({ value: 2.5, note: 'a fraction where a whole number is expected' });
      return out;
    }
    case 'unsafe-integer':
      return integerBranches.length > 0 && types !== 'any' ? [{ value: new RawNumber('9007199254740993'), note: '2^53+1, which a JSON parser rounds' }] : [];
    case 'unknown-field':
      return branch.type === 'object' && branch.properties && branch.additionalProperties === false && value && typeof value === 'object' ? [{ add: 'fz_unknown_field', note: 'a field the schema does not name' }] : [];
    case 'missing-required': {
      if (branch.type !== 'object' || !value || typeof value !== 'object') return [];
      const present = (branch.required ?? []).filter((k) => k in (value as object));
      const name = present[pick % Math.max(present.length, 1)];
      return name ? [{ remove: name, note: `required '${name}' left out` }] : [];
    }
    case 'over-long':
      return branch.type === 'string' && branch.maxLength !== undefined && !branch.pattern ? [{ value: longText(Math.max(branch.maxLength + 1, pick % 2 === 0 ? branch.maxLength + 1 : 1100)), note: `longer than maxLength ${branch.maxLength}` }] : [];
    case 'nul':
      return branch.type === 'string' && typeof value === 'string' ? [{ value: `${value || 'fz'}\u0000`, note: 'a NUL character in a string' }] : [];
    case 'pattern':
      return branch.type === 'string' && branch.pattern && !new RegExp(branch.pattern).test('fz not valid!') ? [{ value: 'fz not valid!', note: `not matching ${branch.pattern}` }] : [];
    case 'too-many-items':
      return branch.type === 'array' && branch.maxItems !== undefined && Array.isArray(value) && value.length > 0 && branch.maxItems < 2000
        ? [{ value: Array.from({ length: branch.maxItems + 1 }, (_, i) => (typeof value[0] === 'string' ? `${i}.${i % 250}.0.0/16` : value[0])), note: `more than maxItems ${branch.maxItems}` }]
        : [];
    case 'duplicate-items':
      return branch.type === 'array' && branch.uniqueItems && Array.isArray(value) && value.length > 0 ? [{ value: [value[0], value[0]], note: 'the same item twice where items must be unique' }] : [];
    case 'too-few-items':
      return branch.type === 'array' && (branch.minItems ?? 0) > 0 ? [{ value: [], note: `fewer than minItems ${branch.minItems}` }] : [];
    default:
      return [];
  }
}

function clone(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(serialise(value)) as unknown);
}

function setAt(root: unknown, path: Array<string | number>, change: (parent: Record<string | number, unknown>, key: string | number) => void): unknown {
  const copy = clone(root);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  change(node, path[path.length - 1]!);
  return copy;
}

export interface BodyDefect {
  kind: BodyDefectKind;
  body: unknown;
  /** Where and what: `instance.volume.size: a number written as a string`. */
  note: string;
}

/** The valid body made wrong in one place by `kind`, or undefined when nothing in it can be. */
export function makeInvalid(body: unknown, schema: JsonSchema, kind: BodyDefectKind, pick: number): BodyDefect | undefined {
  const candidates = sitesOf(body, schema).flatMap((site) => replacements(kind, site, pick).map((r) => ({ site, r })));
  if (candidates.length === 0) return undefined;
  const { site, r } = candidates[pick % candidates.length]!;
  const where = site.path.join('.') || '(body)';
  let mutated: unknown;
  if ('remove' in r) mutated = site.path.length === 0 ? omit(body, r.remove) : setAt(body, site.path, (parent, key) => (parent[key] = omit(parent[key], r.remove)));
  else if ('add' in r) mutated = site.path.length === 0 ? { ...(clone(body) as object), [r.add]: 1 } : setAt(body, site.path, (parent, key) => (parent[key] = { ...(parent[key] as object), [r.add]: 1 }));
  else mutated = site.path.length === 0 ? r.value : setAt(body, site.path, (parent, key) => (parent[key] = r.value));
  // clone() drops RawNumbers: put the replacement back as given.
  if (!('remove' in r) && !('add' in r) && r.value instanceof RawNumber && site.path.length > 0) mutated = setRaw(mutated, site.path, r.value);
  return { kind, body: mutated, note: `${where}: ${r.note}` };
}

function setRaw(root: unknown, path: Array<string | number>, raw: RawNumber): unknown {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = raw;
  return root;
}

function omit(value: unknown, key: string): unknown {
  const copy = { ...(value as Record<string, unknown>) };
  delete copy[key];
  return copy;
}

/** The body with one string field (of any length limit) replaced by 4 KB of text: what an answer must not echo. */
export function withHugeString(body: unknown, schema: JsonSchema, pick: number): { body: unknown; note: string; limited: boolean } | undefined {
  const strings = sitesOf(body, schema).filter((s) => s.path.length > 0 && branchFor(s.schema, s.value).type === 'string' && typeof s.value === 'string');
  const site = strings[pick % Math.max(strings.length, 1)];
  if (!site) return undefined;
  const branch = branchFor(site.schema, site.value);
  const limited = branch.maxLength !== undefined && branch.maxLength < 4096;
  return { body: setAt(body, site.path, (parent, key) => (parent[key] = longText(4096))), note: `${site.path.join('.')}: 4 KB of text`, limited };
}
