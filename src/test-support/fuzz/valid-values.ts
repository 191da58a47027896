import fc from 'fast-check';
import type { JsonSchema } from './openapi.js';

/**
 * Values a schema accepts, as fast-check arbitraries. A hint may stand in for a field by name (a
 * real instance id for `instance`, a real flavor for `flavorRef`), so that valid cases reach the
 * service and not only its first lookup.
 */
export type FieldHints = (field: string, schema: JsonSchema) => fc.Arbitrary<unknown> | undefined;

const SAFE_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789-_.';
const safeText = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...SAFE_CHARS), minLength, maxLength });
/** Printable text as careless clients send it (spaces, quotes, accents), never a control character. */
const printable = (minLength: number, maxLength: number) => fc.string({ unit: 'grapheme-ascii', minLength, maxLength }).filter((s) => !/[\u0000-\u001f]/.test(s));

function stringValue(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 24, Math.max(min, 24));
  if (schema.pattern) {
    const pattern = new RegExp(schema.pattern);
    return fc.stringMatching(pattern).filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Infinity) && !s.includes('\u0000'));
  }
  return fc.oneof({ arbitrary: safeText(Math.max(min, 1), Math.max(max, 1)), weight: 4 }, { arbitrary: printable(min, max), weight: 1 });
}

function integerValue(schema: JsonSchema): fc.Arbitrary<number> {
  const min = schema.minimum ?? -5;
  const max = schema.maximum ?? Math.max(min + 1000, 1000);
  return fc.oneof(fc.integer({ min, max: Math.min(max, min + 10) }), fc.integer({ min, max }));
}

/** Anything JSON: what a field of no stated type accepts. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(fc.boolean(), fc.integer({ min: -3, max: 100 }), safeText(0, 12), fc.constant(null));

export function validValue(schema: JsonSchema, hints: FieldHints = () => undefined, depth = 0): fc.Arbitrary<unknown> {
  const nonNull = validNonNull(schema, hints, depth);
  return schema.nullable ? fc.oneof({ arbitrary: nonNull, weight: 4 }, { arbitrary: fc.constant(null), weight: 1 }) : nonNull;
}

function validNonNull(schema: JsonSchema, hints: FieldHints, depth: number): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((branch) => validValue(branch, hints, depth + 1)));
  switch (schema.type) {
    case 'string':
      return stringValue(schema);
    case 'integer':
      return integerValue(schema);
    case 'number':
      return integerValue(schema);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const item = validValue(schema.items ?? {}, hints, depth + 1);
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 3, 3));
      return schema.uniqueItems ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) }) : fc.array(item, { minLength, maxLength });
    }
    case 'object':
      return objectValue(schema, hints, depth);
    default:
      return anyJson;
  }
}

function objectValue(schema: JsonSchema, hints: FieldHints, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const names = Object.keys(properties);
  if (names.length === 0) {
    const extra = schema.additionalProperties;
    if (extra && typeof extra === 'object' && depth < 4) return fc.dictionary(safeText(1, 12), validValue(extra, hints, depth + 1), { maxKeys: 3 });
    return fc.constant({});
  }
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const name of names) {
    const hinted = hints(name, properties[name]!);
    const generated = validValue(properties[name]!, hints, depth + 1);
    model[name] = hinted ? fc.oneof({ arbitrary: hinted, weight: 3 }, { arbitrary: generated, weight: 1 }) : generated;
  }
  return fc.record(model, { requiredKeys: schema.required ?? [] });
}
