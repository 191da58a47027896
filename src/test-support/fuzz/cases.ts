import fc from 'fast-check';
import { BODY_DEFECT_KINDS, longText, makeInvalid, serialise, withHugeString, type BodyDefectKind } from './invalid-values.js';
import type { JsonSchema, Operation, Parameter } from './openapi.js';
import { kindOfParam, MALFORMED_IDS, type ResourceKind } from './targets.js';
import { validValue, type FieldHints } from './valid-values.js';

export type CaseKind = 'valid' | BodyDefectKind | 'unknown-query' | 'query-pattern' | 'query-nul' | 'malformed-id' | 'malformed-tenant' | 'body-not-object' | 'malformed-json' | 'deep-json' | 'no-body' | 'oversized-body' | 'wrong-method' | 'huge-string';

/** One generated request, before it is given a caller. */
export interface FuzzCase {
  kind: CaseKind;
  /** The request is wrong: only a 4xx is a right answer. */
  invalid: boolean;
  /** Path parameters (tenant_id aside): a resource kind to fill in as real or missing, or raw text. */
  path: Record<string, { kind: ResourceKind; missing: boolean } | { raw: string }>;
  /** Raw tenant_id text, for the case that makes it malformed. */
  tenant?: string;
  query: Array<[string, string]>;
  /** The body's text; undefined sends none. */
  body?: string;
  note: string;
  /** Inputs of 1 KB or more, which no answer may echo. */
  longInputs: string[];
}

/** How a route may be exercised on the shared fixture without destroying it. */
export interface RoutePolicy {
  /** Valid requests (and query or path defects) name a resource that does not exist. */
  destructive: boolean;
  /** Body defects too: the route has no body, or any accepted defect would still destroy. */
  alwaysMissing: boolean;
}

const DEEP_JSON = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
/** Past the server's default body limit (1 MiB): a 413 in the fault format, never a closed connection. */
const OVERSIZED_JSON = JSON.stringify({ fz: longText(1024 * 1024 + 4096) });

function queryValue(schema: JsonSchema): fc.Arbitrary<string> {
  const text = schema.anyOf?.find((b) => b.type === 'string') ?? schema;
  return validValue(text.type === 'string' ? text : { type: 'string' }).map(String);
}

function validQuery(params: Parameter[], hints: FieldHints): fc.Arbitrary<Array<[string, string]>> {
  if (params.length === 0) return fc.constant([]);
  const model: Record<string, fc.Arbitrary<string>> = {};
  for (const p of params) {
    const hinted = hints(p.name, p.schema);
    model[p.name] = hinted ? fc.oneof(hinted.map(String), queryValue(p.schema)) : queryValue(p.schema);
  }
  return fc.record(model, { requiredKeys: params.filter((p) => p.required).map((p) => p.name) }).map((r) => Object.entries(r) as Array<[string, string]>);
}

/** The generator of cases for one operation. */
export function casesFor(operation: Operation, bodySchema: JsonSchema | undefined, hints: FieldHints, policy: RoutePolicy): fc.Arbitrary<FuzzCase> {
  const resourceParams = operation.pathParams.filter((p) => p.name !== 'tenant_id');
  const hasTenant = operation.pathParams.some((p) => p.name === 'tenant_id');
  const leaf = resourceParams[resourceParams.length - 1]?.name;
  const paths = (missing: string | undefined): FuzzCase['path'] => Object.fromEntries(resourceParams.map((p) => [p.name, { kind: kindOfParam(operation.template, p.name), missing: p.name === missing }]));
  const body = bodySchema ? validValue(bodySchema, hints) : fc.constant(undefined);
  const query = validQuery(operation.queryParams, hints);
  // Which parameter a valid case names as missing: any, or (destructive routes) always the last.
  const missingChoice = fc.oneof(fc.constant(undefined), ...resourceParams.map((p) => fc.constant(p.name)));
  const base = (kind: CaseKind, invalid: boolean, note: string, extra: Partial<FuzzCase> = {}): FuzzCase => ({ kind, invalid, path: paths(policy.destructive ? leaf : undefined), query: [], note, longInputs: [], ...extra });
  const text = (value: unknown) => (value === undefined ? undefined : serialise(value));

  const arbitraries: Array<{ arbitrary: fc.Arbitrary<FuzzCase>; weight: number }> = [];
  arbitraries.push({
    weight: 4,
    arbitrary: fc.tuple(body, query, missingChoice).map(([b, q, missing]) => ({
      ...base('valid', false, missing && !policy.destructive ? `valid, ${missing} does not exist` : 'valid'),
      ...(!policy.destructive ? { path: paths(missing) } : {}),
      query: q,
      body: text(b),
    })),
  });
  if (bodySchema) {
    const schema = bodySchema;
    // Only the kinds this body can have, so that each is drawn often enough to be seen.
    const samples = fc.sample(body, { seed: 1, numRuns: 25 });
    const applicable = BODY_DEFECT_KINDS.filter((kind) => samples.some((b, i) => makeInvalid(b, schema, kind, i) !== undefined));
    arbitraries.push({
      weight: 7,
      arbitrary: fc.tuple(body, fc.constantFrom(...(applicable.length > 0 ? applicable : BODY_DEFECT_KINDS)), fc.nat()).map(([b, kind, pick]) => {
        const defect = makeInvalid(b, schema, kind, pick);
        const onReal = policy.destructive && !policy.alwaysMissing ? { path: paths(undefined) } : {};
        if (!defect) return { ...base('body-not-object', true, '(body): an array where an object is expected'), ...onReal, body: '[]' };
        return { ...base(defect.kind, true, defect.note), ...onReal, body: serialise(defect.body), longInputs: defect.note.includes('maxLength') && serialise(defect.body).includes(longText(1024)) ? [longText(1024)] : [] };
      }),
    });
    arbitraries.push({
      weight: 2,
      arbitrary: fc
        .constantFrom<[CaseKind, string | undefined, string]>(
          ['body-not-object', '[]', '(body): an array'],
          ['body-not-object', '"fz"', '(body): a string'],
          ['malformed-json', '{"fz": ', '(body): cut-off JSON'],
          ['deep-json', DEEP_JSON, '(body): nested 40 levels'],
          // A route whose body may be null (POST …/root, as troveclient sends it) takes no body too.
          ...(schema.nullable ? [] : [['no-body', undefined, '(body): none, where one is required'] as [CaseKind, undefined, string]]),
          ['oversized-body', OVERSIZED_JSON, '(body): over 1 MiB'],
        )
        .map(([kind, raw, note]) => ({ ...base(kind, true, note), body: raw, longInputs: kind === 'oversized-body' ? [longText(1024)] : [] })),
    });
    arbitraries.push({
      weight: 1,
      arbitrary: fc.tuple(body, fc.nat()).map(([b, pick]) => {
        const huge = withHugeString(b, schema, pick);
        if (!huge) return { ...base('valid', false, 'valid'), body: text(b) };
        return { ...base('huge-string', huge.limited, huge.note), body: serialise(huge.body), longInputs: [longText(1024)] };
      }),
    });
  }
  arbitraries.push({
    weight: 2,
    arbitrary: fc.tuple(body, query, fc.nat()).map(([b, q, pick]) => {
      const patterned = operation.queryParams.filter((p) => (p.schema.pattern ?? p.schema.anyOf?.find((x) => x.pattern)?.pattern) !== undefined);
      const named = operation.queryParams[pick % Math.max(operation.queryParams.length, 1)];
      if (pick % 3 === 1 && patterned.length > 0) {
        const p = patterned[pick % patterned.length]!;
        return { ...base('query-pattern', true, `query ${p.name}: not matching its pattern`), query: [...q.filter(([k]) => k !== p.name), [p.name, ['abc', '-1', '1e3', '9999999'][pick % 4]!]], body: text(b) } as FuzzCase;
      }
      if (pick % 3 === 2 && named) return { ...base('query-nul', true, `query ${named.name}: a NUL character`), query: [...q.filter(([k]) => k !== named.name), [named.name, 'fz\u0000']], body: text(b) } as FuzzCase;
      return { ...base('unknown-query', true, 'query: a parameter the route does not take'), query: [...q, ['fz_unknown', '1']], body: text(b) } as FuzzCase;
    }),
  });
  if (resourceParams.length > 0) {
    arbitraries.push({
      weight: 2,
      arbitrary: fc.tuple(body, fc.nat(), fc.constantFrom(...MALFORMED_IDS, longText(2000))).map(([b, pick, raw]) => {
        const param = resourceParams[pick % resourceParams.length]!.name;
        const path = { ...paths(undefined), [param]: { raw } };
        return { ...base('malformed-id', true, `path ${param}: ${raw.length > 40 ? `${raw.length} characters` : raw}`), path, body: text(b), longInputs: raw.length >= 1024 ? [raw.slice(0, 1024)] : [] };
      }),
    });
  }
  if (hasTenant) {
    arbitraries.push({
      weight: 1,
      arbitrary: fc.tuple(body, fc.constantFrom(...MALFORMED_IDS)).map(([b, raw]) => ({ ...base('malformed-tenant', true, `path tenant_id: ${raw.length > 40 ? `${raw.length} characters` : raw}`), tenant: raw, body: text(b) })),
    });
  }
  return fc.oneof(...arbitraries);
}
