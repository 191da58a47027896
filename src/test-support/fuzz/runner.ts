import fc from 'fast-check';
import { casesFor, type FuzzCase, type RoutePolicy } from './cases.js';
import { withIntents, configurationIntents } from './intent.js';
import type { JsonSchema, Operation } from './openapi.js';
import { checkAnswer, checkCrossProject, checkWrongMethod, type Answer, type CallerName, type Exchange } from './oracle.js';
import { FuzzReport } from './report.js';
import { kindOfParam, missingValue, OWNED_KINDS, realValue, type Fixture } from './targets.js';
import type { FieldHints } from './valid-values.js';

export interface Caller {
  name: CallerName;
  token: string;
  /** The tenant_id this caller puts in /v1.0 paths: the owner's project for the owner and admin. */
  tenant: string;
}

export interface FuzzOptions {
  base: string;
  operations: Operation[];
  fixture: Fixture;
  callers: Caller[];
  parameters: Array<{ name: string; type: string; min?: number; max?: number }>;
  seed: number;
  runsPerRoute: number;
  /** When the run stops taking new routes, in ms since the epoch. */
  deadline: number;
  requestTimeoutMs?: number;
  /** A file to write every exchange to, one JSON line each (TROVE_FUZZ_TRACE). */
  tracePath?: string;
}

/** Routes whose success would break the shared fixture: they are sent ids that do not exist. */
function policyOf(operation: Operation): RoutePolicy {
  const t = operation.template;
  const onInstance = /\/instances\/\{id\}$/.test(t) || /\/instances\/\{id\}\/action$/.test(t);
  if (operation.method === 'DELETE' && /\{[a-z_]+\}$/.test(t) && t.startsWith('/v1.0/')) return { destructive: true, alwaysMissing: true };
  if (operation.method === 'DELETE' && /\/root$/.test(t)) return { destructive: true, alwaysMissing: true };
  if (onInstance && operation.method !== 'GET') return { destructive: true, alwaysMissing: false };
  if (operation.method === 'PUT' && /\/users\/\{user\}$/.test(t)) return { destructive: true, alwaysMissing: false };
  return { destructive: false, alwaysMissing: false };
}

/** Routes with a body have more ways to be wrong: they get half as many cases again. */
function runsFor(operation: Operation, runsPerRoute: number): number {
  return operation.body ? Math.round(runsPerRoute * 1.5) : runsPerRoute;
}

/** Reads first, then what changes things, deletions last: a mutation never hides a read's defect. */
function rank(operation: Operation): number {
  const policy = policyOf(operation);
  if (operation.method === 'GET') return 0;
  if (policy.destructive) return operation.method === 'DELETE' ? 3 : 2;
  return 1;
}

/** Fields one route reads by name before anything else: a random value would stop every case there. */
function routeHints(fixture: Fixture): Record<string, Record<string, string[]>> {
  return { 'POST /v1.0/{tenant_id}/instances/{id}/log': { name: fixture.logNames } };
}

function hintsOf(fixture: Fixture, operationKey: string): FieldHints {
  const own = routeHints(fixture)[operationKey] ?? {};
  const byName: Record<string, string[]> = {
    instance: [fixture.instanceId],
    instance_id: [fixture.instanceId],
    backupRef: [fixture.backupId],
    parent_id: [fixture.backupId],
    configuration: [fixture.configurationId],
    marker: [fixture.instanceId, fixture.backupId],
    type: [fixture.datastore],
    version: [fixture.version],
    datastore: [fixture.datastore],
    project_id: [fixture.ownerProject],
    region_name: ['RegionOne'],
    host: ['%'],
    limit: ['1', '2', '20'],
    all_tenants: ['true', 'false', '0', '1'],
  };
  // The compute view's query parameters take a string or a list of them.
  const oneOrMany = new Set(['limit', 'all_tenants', 'marker']);
  const takesText = (field: string, schema: JsonSchema) => schema.type === 'string' || (oneOrMany.has(field) && (schema.anyOf ?? []).some((b) => b.type === 'string'));
  return (field, schema) => {
    if (field === 'methods' && schema.type === 'array') return fc.constant(['password']);
    const values = own[field] ?? byName[field];
    if (!values || !takesText(field, schema)) return undefined;
    return fc.constantFrom(...values, ...(own[field] ? [] : [missingValue('instance')]));
  };
}

function urlOf(base: string, operation: Operation, fuzzCase: FuzzCase, caller: Caller, fixture: Fixture, missingOverride = false): string {
  let path = operation.template.replace('{tenant_id}', fuzzCase.tenant ?? encodeURIComponent(caller.tenant));
  for (const [name, spec] of Object.entries(fuzzCase.path)) {
    const value = 'raw' in spec ? spec.raw : encodeURIComponent(spec.missing || (missingOverride && OWNED_KINDS.includes(spec.kind)) ? missingValue(spec.kind) : realValue(spec.kind, fixture));
    path = path.replace(`{${name}}`, value);
  }
  const query = fuzzCase.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return `${base}${path}${query ? `?${query}` : ''}`;
}

async function send(method: string, url: string, token: string, body: string | undefined, timeoutMs: number): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method,
      headers: { 'x-auth-token': token, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const allow = response.headers.get('allow');
    return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') ?? '', ...(allow !== null ? { allow } : {}) };
  } catch (error) {
    return { status: 0, text: `no answer: ${(error as Error).message}`, contentType: '' };
  }
}

/**
 * Every operation, its cases drawn by fast-check from a seed of its own (the run's seed plus its
 * index), each sent as every caller; the other project's member also gets each valid case on the
 * owner's real ids and on missing ones, and once with the owner's project in the path.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { base, fixture, callers } = options;
  const report = new FuzzReport(options.seed, options.tracePath);
  const extraIntents = configurationIntents(options.parameters);
  const ownerSecrets = [fixture.instanceId, fixture.backupId, fixture.configurationId, fixture.instanceName, fixture.ownerProject];
  const timeout = options.requestTimeoutMs ?? 20_000;
  const ordered = options.operations.map((op, index) => ({ op, index })).sort((a, b) => rank(a.op) - rank(b.op) || a.index - b.index);
  for (const { op, index } of ordered) {
    const key = `${op.method} ${op.template}`;
    if (Date.now() > options.deadline) {
      report.routesLeft.push(key);
      continue;
    }
    const policy = policyOf(op);
    const hints = hintsOf(fixture, key);
    const bodySchema = op.body ? withIntents(key, op.body.schema, extraIntents) : undefined;
    const cases = fc.sample(casesFor(op, bodySchema, hints, policy), { seed: options.seed + index, numRuns: runsFor(op, options.runsPerRoute) });
    let probedOwnerTenant = false;
    for (const fuzzCase of cases) {
      for (const caller of callers) {
        const url = urlOf(base, op, fuzzCase, caller, fixture);
        const exchange: Exchange = { caller: caller.name, method: op.method, template: op.template, url, fuzzCase, answer: await send(op.method, url, caller.token, fuzzCase.body, timeout) };
        report.record(exchange, checkAnswer(exchange));
        if (caller.name !== 'other') continue;
        const namesOwned = Object.values(fuzzCase.path).some((p) => 'kind' in p && !p.missing && OWNED_KINDS.includes(p.kind));
        if (fuzzCase.kind === 'valid' && namesOwned) {
          const missingUrl = urlOf(base, op, fuzzCase, caller, fixture, true);
          const onMissing: Exchange = { ...exchange, url: missingUrl, answer: await send(op.method, missingUrl, caller.token, fuzzCase.body, timeout) };
          report.record(onMissing, checkAnswer(onMissing));
          report.add(checkCrossProject(exchange, onMissing, ownerSecrets));
          report.crossProjectProbes++;
        } else report.add(checkCrossProject(exchange, undefined, ownerSecrets).filter((f) => f.defect === 'cross-project-read' && !f.detail.includes("owner's project")));
        if (!probedOwnerTenant && fuzzCase.kind === 'valid' && op.pathParams.some((p) => p.name === 'tenant_id')) {
          probedOwnerTenant = true;
          const intruder = { ...caller, tenant: fixture.ownerProject };
          const ownerUrl = urlOf(base, op, fuzzCase, intruder, fixture);
          const probe: Exchange = { ...exchange, url: ownerUrl, answer: await send(op.method, ownerUrl, caller.token, fuzzCase.body, timeout) };
          report.record(probe, checkAnswer(probe));
          report.add(checkCrossProject(probe, undefined, ownerSecrets));
          report.crossProjectProbes++;
        }
      }
    }
    report.routesRun++;
  }
  await probeMethods(options, report);
  return report;
}

const PROBE_METHODS = ['PATCH', 'PUT', 'DELETE', 'POST', 'GET'];

/** Whether a path made from `template` (its parameters filled with real ids) is also one of `other`'s. */
function fits(template: string, other: string): boolean {
  const mine = template.split('/');
  const theirs = other.split('/');
  const param = (segment: string) => segment.startsWith('{');
  return mine.length === theirs.length && mine.every((segment, i) => param(theirs[i]!) || (!param(segment) && segment === theirs[i]));
}

/** Each path once with a method it does not have, as the owner, with nothing in the body. */
async function probeMethods(options: FuzzOptions, report: FuzzReport): Promise<void> {
  const byTemplate = new Map<string, Operation[]>();
  for (const op of options.operations) byTemplate.set(op.template, [...(byTemplate.get(op.template) ?? []), op]);
  const owner = options.callers.find((c) => c.name === 'owner')!;
  for (const [template, ops] of byTemplate) {
    if (Date.now() > options.deadline) return;
    // /instances/detail is also /instances/{id}: a method of any template the path fits is the path's.
    const methods = [...byTemplate].filter(([other]) => fits(template, other)).flatMap(([, others]) => others.map((o) => o.method));
    const wrong = PROBE_METHODS.find((m) => !methods.includes(m));
    if (!wrong) continue;
    const op = ops[0]!;
    const fuzzCase: FuzzCase = {
      kind: 'wrong-method',
      invalid: true,
      path: Object.fromEntries(op.pathParams.filter((p) => p.name !== 'tenant_id').map((p) => [p.name, { kind: kindOfParam(template, p.name), missing: false }])),
      query: [],
      note: `${wrong}, which the path does not have`,
      longInputs: [],
    };
    const url = urlOf(options.base, op, fuzzCase, owner, options.fixture);
    const exchange: Exchange = { caller: owner.name, method: wrong, template, url, fuzzCase, answer: await send(wrong, url, owner.token, undefined, options.requestTimeoutMs ?? 20_000) };
    report.record(exchange, checkWrongMethod(exchange, methods));
  }
}
