import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { casesFor } from './fuzz/cases.js';
import { withIntents } from './fuzz/intent.js';
import { longText, makeInvalid, RawNumber, serialise } from './fuzz/invalid-values.js';
import type { JsonSchema, Operation } from './fuzz/openapi.js';
import { checkAnswer, checkCrossProject, checkWrongMethod, isFaultBody, type Exchange } from './fuzz/oracle.js';
import { FuzzReport } from './fuzz/report.js';
import { validValue } from './fuzz/valid-values.js';

const LOG = 'POST /v1.0/{tenant_id}/instances/{id}/log';
const logSchema: JsonSchema = { type: 'object', required: ['name'], properties: { name: { type: 'string' }, enable: {}, disable: {}, publish: {}, discard: {} }, additionalProperties: false };
const quotaSchema: JsonSchema = { type: 'object', required: ['quotas'], properties: { quotas: { type: 'object', additionalProperties: {} } }, additionalProperties: false };

const exchange = (status: number, text: string, invalid: boolean, extra: Partial<Exchange['fuzzCase']> = {}): Exchange => ({
  caller: 'owner',
  method: 'POST',
  template: '/v1.0/{tenant_id}/instances',
  url: 'http://127.0.0.1/v1.0/p/instances',
  fuzzCase: { kind: invalid ? 'string-boolean' : 'valid', invalid, path: {}, query: [], note: '', longInputs: [], ...extra },
  answer: { status, text, contentType: 'application/json' },
});

describe('fuzz case generation', () => {
  it('writes 2^53+1 as sent, which JSON.stringify cannot', () => {
    assert.equal(serialise({ a: { b: new RawNumber('9007199254740993') } }), '{"a":{"b":9007199254740993}}');
  });

  it('gives untyped fields the type their route means: a string boolean for "enable", out-of-range quotas', () => {
    const log = withIntents(LOG, logSchema);
    const boolean = makeInvalid({ name: 'general', enable: true }, log, 'string-boolean', 0);
    assert.ok(boolean && typeof (boolean.body as { enable: unknown }).enable === 'string', JSON.stringify(boolean));
    assert.equal(makeInvalid({ name: 'general', enable: true }, logSchema, 'string-boolean', 0), undefined, 'without the intent there is nothing to make wrong');
    const quotas = withIntents('PUT /v1.0/{tenant_id}/mgmt/quotas/{project_id}', quotaSchema);
    const values = [0, 1].map((pick) => (makeInvalid({ quotas: { instances: 3 } }, quotas, 'out-of-range', pick)!.body as { quotas: { instances: number } }).quotas.instances);
    assert.deepEqual(values, [-2, 1e12]);
    assert.ok(
      [0, 1].some((pick) => /^quotas: a field/.test(makeInvalid({ quotas: { instances: 3 } }, quotas, 'unknown-field', pick)!.note)),
      'an unknown resource among the quotas',
    );
  });

  it('leaves out a required field, adds an unknown one, and breaks a length limit', () => {
    const schema: JsonSchema = { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 5 } }, additionalProperties: false };
    assert.deepEqual(makeInvalid({ name: 'ab' }, schema, 'missing-required', 0)!.body, {});
    assert.deepEqual(makeInvalid({ name: 'ab' }, schema, 'unknown-field', 0)!.body, { name: 'ab', fz_unknown_field: 1 });
    assert.equal((makeInvalid({ name: 'ab' }, schema, 'over-long', 0)!.body as { name: string }).name.length, 6);
    assert.equal((makeInvalid({ name: 'ab' }, schema, 'nul', 0)!.body as { name: string }).name, 'ab\u0000');
  });

  it('draws valid values within the schema', () => {
    const schema: JsonSchema = { type: 'object', required: ['size'], properties: { size: { type: 'integer', minimum: 1, maximum: 9 }, name: { type: 'string', minLength: 1, maxLength: 4 } }, additionalProperties: false };
    for (const value of fc.sample(validValue(schema), { seed: 7, numRuns: 200 }) as Array<{ size: number; name?: string }>) {
      assert.ok(Number.isInteger(value.size) && value.size >= 1 && value.size <= 9, JSON.stringify(value));
      if (value.name !== undefined) assert.ok(value.name.length >= 1 && value.name.length <= 4 && !value.name.includes('\u0000'), JSON.stringify(value));
    }
  });

  it('draws the same cases from the same seed, other cases from another', () => {
    const operation: Operation = {
      method: 'POST',
      template: '/v1.0/{tenant_id}/instances/{id}/log',
      pathParams: [
        { name: 'tenant_id', required: true, schema: {} },
        { name: 'id', required: true, schema: {} },
      ],
      queryParams: [],
      body: { schema: logSchema, required: true },
    };
    const arbitrary = casesFor(operation, withIntents(LOG, logSchema), () => undefined, { destructive: false, alwaysMissing: false });
    const draw = (seed: number) => JSON.stringify(fc.sample(arbitrary, { seed, numRuns: 20 }));
    assert.equal(draw(42), draw(42));
    assert.notEqual(draw(42), draw(43));
    const kinds = new Set(fc.sample(arbitrary, { seed: 1, numRuns: 300 }).map((c) => c.kind));
    for (const kind of ['valid', 'string-boolean', 'unknown-field', 'missing-required', 'unknown-query', 'malformed-id', 'malformed-tenant', 'deep-json']) assert.ok(kinds.has(kind as never), `${kind} among ${[...kinds].join(', ')}`);
  });
});

describe('fuzz oracle', () => {
  it("knows Trove's fault and Keystone's error, and not Fastify's own body", () => {
    assert.ok(isFaultBody('/v1.0/{tenant_id}/instances', 404, '{"itemNotFound":{"code":404,"message":"no such instance"}}'));
    assert.ok(isFaultBody('/v3/auth/tokens', 401, '{"error":{"code":401,"title":"Unauthorized","message":"no"}}'));
    assert.ok(!isFaultBody('/v1.0/{tenant_id}/instances', 400, '{"error":"Bad Request","code":"FST_ERR_BAD_URL","message":"x","statusCode":400}'));
    assert.ok(!isFaultBody('/v1.0/{tenant_id}/instances', 400, '{"badRequest":{"code":404,"message":"wrong code"}}'));
    assert.ok(!isFaultBody('/v1.0/{tenant_id}/instances', 400, 'Bad Request'));
  });

  it('flags a 5xx, a wrong request accepted, an error outside the fault format and an echoed input', () => {
    assert.deepEqual(
      checkAnswer(exchange(500, '{"instanceFault":{"code":500,"message":"x"}}', false)).map((f) => f.defect),
      ['server-error'],
    );
    assert.deepEqual(
      checkAnswer(exchange(202, '', true)).map((f) => f.defect),
      ['accepted-invalid'],
    );
    assert.deepEqual(checkAnswer(exchange(400, '{"badRequest":{"code":400,"message":"fix it"}}', true)), []);
    assert.deepEqual(
      checkAnswer(exchange(400, 'Bad Request', true)).map((f) => f.defect),
      ['not-fault-format'],
    );
    const long = longText(2048);
    assert.deepEqual(
      checkAnswer(exchange(400, JSON.stringify({ badRequest: { code: 400, message: long } }), true, { longInputs: [long] })).map((f) => f.defect),
      ['echoes-input'],
    );
    assert.deepEqual(
      checkAnswer(exchange(200, '{}', false, { path: { id: { kind: 'instance', missing: true } } })).map((f) => f.defect),
      ['accepted-missing-resource'],
    );
  });

  it("flags the other project's member seeing the owner's resource, or telling it from a missing one", () => {
    const real = { ...exchange(200, '{"instance":{"id":"owner-instance"}}', false), caller: 'other' as const };
    assert.deepEqual(
      checkCrossProject(real, undefined, ['owner-instance']).map((f) => f.defect),
      ['cross-project-read'],
    );
    const onReal = { ...exchange(403, '{"forbidden":{"code":403,"message":"x"}}', false), caller: 'other' as const };
    const onMissing = { ...exchange(404, '{"itemNotFound":{"code":404,"message":"x"}}', false), caller: 'other' as const };
    assert.deepEqual(
      checkCrossProject(onReal, onMissing, ['owner-instance']).map((f) => f.defect),
      ['cross-project-difference'],
    );
    assert.deepEqual(checkCrossProject(onMissing, onMissing, ['owner-instance']), []);
  });

  it('wants 405 with the methods the path has in Allow for a wrong method', () => {
    const fault = (status: number, allow?: string) => ({
      ...exchange(status, JSON.stringify({ [status === 405 ? 'badMethod' : 'itemNotFound']: { code: status, message: 'x' } }), true),
      answer: { status, text: JSON.stringify({ [status === 405 ? 'badMethod' : 'itemNotFound']: { code: status, message: 'x' } }), contentType: 'application/json', ...(allow ? { allow } : {}) },
    });
    assert.deepEqual(checkWrongMethod(fault(405, 'GET, POST'), ['GET', 'POST']), []);
    assert.deepEqual(
      checkWrongMethod(fault(404), ['GET', 'POST']).map((f) => f.defect),
      ['wrong-method-not-405'],
    );
    assert.deepEqual(
      checkWrongMethod(fault(405, 'GET'), ['GET', 'POST']).map((f) => f.defect),
      ['wrong-method-not-405'],
    );
  });

  it('counts findings once per route and defect class, and prints the seed', () => {
    const report = new FuzzReport(5);
    for (let i = 0; i < 3; i++) report.record(exchange(202, '', true), checkAnswer(exchange(202, '', true)));
    assert.equal(report.silentAccepts, 3);
    assert.equal(report.distinct.size, 1);
    assert.match(report.text(), /seed 5/);
    assert.match(report.text(), /accepted-invalid\/string-boolean\] POST \/v1\.0\/\{tenant_id\}\/instances ×3/);
  });
});
