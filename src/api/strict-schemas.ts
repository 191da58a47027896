import { hasControlCharacter } from '../common/control-characters.js';
import type { FastifyInstance } from 'fastify';

type Schema = Record<string, unknown>;

/**
 * A copy of a request schema in which every object that names its properties refuses others,
 * unless it says otherwise: Trove's schemas refuse fields they do not know, so a misspelt or
 * unsupported field is a 400 naming it, never a 202 that ignored it.
 */
function strictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const copy: Schema = {};
  for (const [key, value] of Object.entries(schema as Schema)) {
    copy[key] = key === 'properties' || key === 'patternProperties' ? mapValues(value as Schema, strictSchema) : key === 'default' || key === 'const' || key === 'enum' || key === 'examples' ? value : strictSchema(value);
  }
  if (copy.type === 'object' && copy.properties !== undefined && copy.additionalProperties === undefined && copy.patternProperties === undefined) copy.additionalProperties = false;
  return copy;
}

function mapValues(record: Schema, f: (value: unknown) => unknown): Schema {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, f(v)]));
}

/** Applies strictSchema to the body of every route registered after this call. */
export function refuseUnknownFields(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.schema?.body) route.schema = { ...route.schema, body: strictSchema(route.schema.body) };
  });
}

/**
 * Refuses query parameters a route does not name, for every route registered after this call:
 * a misspelt filter (`?instanceid=…`) would otherwise list everything as if it had been obeyed.
 * A route without a query schema takes none; one whose schema allows others says so itself.
 */
export function refuseUnknownQueryParameters(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const query = route.schema?.querystring as Schema | undefined;
    const strict = query === undefined ? { type: 'object', properties: {}, additionalProperties: false } : strictSchema(query);
    route.schema = { ...route.schema, querystring: strict };
  });
}

/** The first query parameter whose value holds a control character (NUL, newline…), if any. */
function controlCharacterParameter(query: unknown): string | undefined {
  if (query === null || typeof query !== 'object') return undefined;
  for (const [name, value] of Object.entries(query as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'string' && hasControlCharacter(v))) return name;
  }
  return undefined;
}

/**
 * Refuses control characters in query values before any route reads them: no id, name or filter
 * holds one, and a filter cut at a NUL by some layer would list what the caller did not ask for.
 */
export function refuseControlCharactersInQuery(app: FastifyInstance, refuse: (name: string) => Error): void {
  app.addHook('preValidation', async (request) => {
    const name = controlCharacterParameter(request.query);
    if (name !== undefined) throw refuse(name);
  });
}
