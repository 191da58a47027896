/** The routes of `trove serve` as its own OpenAPI document describes them: what the fuzz cases are generated from. */

/** The subset of JSON Schema that @fastify/swagger writes from the routes' TypeBox schemas. */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'null';
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  anyOf?: JsonSchema[];
  nullable?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  description?: string;
}

export interface Parameter {
  name: string;
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: string;
  /** The path as the document writes it, /v1.0/{tenant_id}/instances/{id}. */
  template: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  body?: { schema: JsonSchema; required: boolean };
}

interface RawOperation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Every operation of the document, in its order. */
export function operationsOf(document: { paths: Record<string, Record<string, RawOperation>> }): Operation[] {
  const operations: Operation[] = [];
  for (const [template, byMethod] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(byMethod)) {
      if (!METHODS.includes(method)) continue;
      const params = raw.parameters ?? [];
      const pick = (where: string) => params.filter((p) => p.in === where).map((p) => ({ name: p.name, required: p.required === true || where === 'path', schema: p.schema ?? {} }));
      const bodySchema = raw.requestBody?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        template,
        pathParams: pick('path'),
        queryParams: pick('query'),
        ...(bodySchema ? { body: { schema: bodySchema, required: raw.requestBody?.required === true } } : {}),
      });
    }
  }
  return operations;
}

/** The document `trove serve` publishes. */
export async function fetchOpenApi(base: string): Promise<{ paths: Record<string, Record<string, RawOperation>> }> {
  const response = await fetch(`${base}/openapi.json`);
  if (response.status !== 200) throw new Error(`GET /openapi.json: ${response.status}`);
  return (await response.json()) as { paths: Record<string, Record<string, RawOperation>> };
}

/** Route groups for the figures: the first path segment after the project, or the top-level API. */
export function groupOf(template: string): string {
  const parts = template.split('/').filter(Boolean);
  if (parts[0] === 'v1.0' && parts[1] === '{tenant_id}') return parts[2] === 'mgmt' ? `mgmt/${parts[3] ?? ''}` : (parts[2] ?? 'v1.0');
  return parts[0] ?? '/';
}
