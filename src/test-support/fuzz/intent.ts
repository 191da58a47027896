import type { JsonSchema } from './openapi.js';

/**
 * What fields the document leaves untyped ({}) are meant to hold, as their descriptions and
 * Trove's API say: without it, "enable": "false" would count as valid. A field the document
 * types is taken as the document says; these apply only where it says nothing.
 */
interface Intent {
  /** "METHOD template" of the operation. */
  operation: string;
  /** Property names from the body's root. */
  path: string[];
  schema: JsonSchema;
}

const FLAG: JsonSchema = { anyOf: [{ type: 'boolean' }, { type: 'integer', minimum: 0, maximum: 1 }], description: 'true/false (or 1/0, as troveclient sends)' };
/** A quota limit: -1 for unlimited, else a count that fits the store's integer column. */
const LIMIT: JsonSchema = { type: 'integer', minimum: -1, maximum: 2_147_483_647 };
const QUOTAS: JsonSchema = { type: 'object', properties: { instances: LIMIT, ram: LIMIT, volumes: LIMIT, backups: LIMIT }, additionalProperties: false };

function staticIntents(): Intent[] {
  const log = 'POST /v1.0/{tenant_id}/instances/{id}/log';
  return [
    ...['enable', 'disable', 'publish', 'discard'].map((field) => ({ operation: log, path: [field], schema: FLAG })),
    { operation: 'PUT /v1.0/{tenant_id}/mgmt/quotas/{project_id}', path: ['quotas'], schema: QUOTAS },
    { operation: 'POST /v1.0/{tenant_id}/instances/{id}/action', path: ['resize', 'volume', 'size'], schema: { type: 'integer', minimum: 1, description: 'GB' } },
  ];
}

/** Configuration values as the datastore version's parameters describe them (GET …/parameters). */
export function configurationIntents(parameters: Array<{ name: string; type: string; min?: number; max?: number }>): Intent[] {
  const properties: Record<string, JsonSchema> = {};
  for (const p of parameters) {
    if (p.type === 'integer') properties[p.name] = { type: 'integer', ...(p.min !== undefined ? { minimum: p.min } : {}), ...(p.max !== undefined ? { maximum: Math.min(p.max, Number.MAX_SAFE_INTEGER) } : {}) };
    else if (p.type === 'string') properties[p.name] = { type: 'string', minLength: 1 };
  }
  const values: JsonSchema = { type: 'object', properties, additionalProperties: false };
  const group = ['POST /v1.0/{tenant_id}/configurations', 'PUT /v1.0/{tenant_id}/configurations/{id}', 'PATCH /v1.0/{tenant_id}/configurations/{id}'];
  return [...group.map((operation) => ({ operation, path: ['configuration', 'values'], schema: values })), { operation: 'POST /v1.0/{tenant_id}/instances/{id}/configuration/preview', path: ['values'], schema: values }];
}

const isUntyped = (schema: JsonSchema | undefined) =>
  (schema !== undefined && schema.type === undefined && schema.anyOf === undefined && schema.enum === undefined) ||
  (schema?.type === 'object' &&
    schema.properties === undefined &&
    (schema.additionalProperties === undefined || schema.additionalProperties === true || (typeof schema.additionalProperties === 'object' && Object.keys(schema.additionalProperties).length === 0)));

/** The body schema of `operation` with the intents that apply to it put in where the document is silent. */
export function withIntents(operation: string, body: JsonSchema, extra: Intent[] = []): JsonSchema {
  let result = body;
  for (const intent of [...staticIntents(), ...extra].filter((i) => i.operation === operation)) result = replaceAt(result, intent.path, intent.schema);
  return result;
}

function replaceAt(schema: JsonSchema, path: string[], replacement: JsonSchema): JsonSchema {
  const [head, ...rest] = path;
  if (head === undefined) return isUntyped(schema) ? { ...replacement, ...(schema.description ? { description: schema.description } : {}) } : schema;
  const child = schema.properties?.[head];
  if (!child) return schema;
  return { ...schema, properties: { ...schema.properties, [head]: replaceAt(child, rest, replacement) } };
}
