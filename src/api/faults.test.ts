import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { BadRequest, Conflict, Forbidden, InternalFault, MethodNotAllowed, NotFound, NotImplementedFault, OverLimit, Unauthorized, UnprocessableEntity, UnsupportedMediaType, type TroveFault } from '../common/errors.js';
import { startTestApi, type TestApi } from '../test-support/api.js';
import { makeErrorHandler } from './faults.js';

describe('fault mapping', () => {
  const faults: Array<[TroveFault, string, number]> = [
    [new BadRequest('fix the name'), 'badRequest', 400],
    [new Unauthorized('log in'), 'unauthorized', 401],
    [new Forbidden('not yours'), 'forbidden', 403],
    [new NotFound('no such thing'), 'itemNotFound', 404],
    [new MethodNotAllowed('use GET'), 'badMethod', 405],
    [new Conflict('busy'), 'conflict', 409],
    [new OverLimit('too many', 30), 'overLimit', 413],
    [new UnsupportedMediaType('send JSON'), 'badMediaType', 415],
    [new UnprocessableEntity('not for this datastore'), 'unprocessableEntity', 422],
    [new InternalFault('the agent broke'), 'instanceFault', 500],
    [new NotImplementedFault('later'), 'notImplemented', 501],
  ];
  const app = Fastify({ logger: false });
  app.setErrorHandler(makeErrorHandler(1024));
  app.get('/fault/:index', async (request) => {
    throw faults[Number((request.params as { index: string }).index)]![0];
  });
  app.get('/bug', async () => {
    throw new Error('secret internal detail at /srv/code.ts:42');
  });
  after(() => app.close());

  it('answers every typed fault in Trove’s shape with its status', async () => {
    for (const [index, [fault, name, status]] of faults.entries()) {
      const response = await app.inject({ method: 'GET', url: `/fault/${index}` });
      assert.equal(response.statusCode, status, name);
      assert.deepEqual(response.json(), { [name]: { code: status, message: fault.message } });
    }
    assert.equal((await app.inject({ method: 'GET', url: '/fault/6' })).headers['retry-after'], '30');
  });

  it('hides unexpected errors behind a request reference, with no stack trace', async () => {
    const response = await app.inject({ method: 'GET', url: '/bug' });
    assert.equal(response.statusCode, 500);
    const { message } = response.json().instanceFault;
    assert.match(message, /unexpected error .*request/);
    assert.doesNotMatch(response.body, /secret internal detail|code\.ts/);
  });
});

describe('request faults on real routes', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi({ rate_limits: { GET: 4 }, server: { body_limit_bytes: 2048 } });
  });
  after(() => api.close());
  const quotaUrl = () => `/v1.0/${api.admin.projectId}/mgmt/quotas/${api.demo.projectId}`;
  const put = (payload: string, contentType = 'application/json') => api.app.inject({ method: 'PUT', url: quotaUrl(), headers: { 'x-auth-token': api.admin.token, 'content-type': contentType }, payload });

  it('answers invalid JSON with 400 and says so', async () => {
    const response = await put('{"quotas": {');
    assert.equal(response.statusCode, 400);
    assert.match(response.json().badRequest.message, /Malformed request body/);
  });

  it('answers an empty body and a body of the wrong shape with 400 naming the field', async () => {
    const empty = await put('');
    assert.equal(empty.statusCode, 400);
    assert.match(empty.json().badRequest.message, /missing/);
    const wrong = await put('{"quota": {"instances": 1}}');
    assert.equal(wrong.statusCode, 400);
    assert.equal(wrong.json().badRequest.message, "Invalid request body: 'quotas' is required.");
    const notObject = await put('{"quotas": 5}');
    assert.equal(notObject.statusCode, 400);
    assert.match(notObject.json().badRequest.message, /'quotas' must be object/);
  });

  it('answers a body over the limit with 413', async () => {
    const response = await put(JSON.stringify({ quotas: { instances: 1 }, padding: 'x'.repeat(4096) }));
    assert.equal(response.statusCode, 413);
    assert.match(response.json().overLimit.message, /larger than the 2048 bytes/);
  });

  it('answers a non-JSON content type with 415', async () => {
    const response = await put('quotas=1', 'application/x-www-form-urlencoded');
    assert.equal(response.statusCode, 415);
    assert.match(response.json().badMediaType.message, /application\/json/);
  });

  it('answers unknown paths with 404, and a method a route lacks with 405 and Allow, in Trove’s shape', async () => {
    const unknownPath = await api.app.inject({ method: 'GET', url: `/v1.0/${api.demo.projectId}/nosuchthing`, headers: { 'x-auth-token': api.demo.token } });
    assert.equal(unknownPath.statusCode, 404);
    assert.match(unknownPath.json().itemNotFound.message, /not a route/);
    const wrongMethod = await api.app.inject({ method: 'DELETE', url: `/v1.0/${api.demo.projectId}/flavors`, headers: { 'x-auth-token': api.demo.token } });
    assert.equal(wrongMethod.statusCode, 405);
    assert.equal(wrongMethod.headers.allow, 'GET, HEAD');
    assert.deepEqual(wrongMethod.json(), { badMethod: { code: 405, message: `Method DELETE is not allowed on /v1.0/${api.demo.projectId}/flavors; it takes GET, HEAD.` } });
    const nested = await api.app.inject({ method: 'PATCH', url: `/v1.0/${api.demo.projectId}/instances/some-id/users/`, headers: { 'x-auth-token': api.demo.token } });
    assert.equal(nested.statusCode, 405);
    assert.equal(nested.headers.allow, 'GET, HEAD, POST');
    const deep = `/v1.0/${api.demo.projectId}/instances/${'f'.repeat(36)}/users/${'u'.repeat(16)}/databases/${'d'.repeat(16)}`;
    const deepAnswer = await api.app.inject({ method: 'GET', url: deep, headers: { 'x-auth-token': api.demo.token } });
    assert.equal(deepAnswer.json().badMethod.message, `Method GET is not allowed on ${deep}; it takes DELETE.`, 'a long path is quoted whole');
    const quota = await api.app.inject({ method: 'POST', url: quotaUrl(), headers: { 'x-auth-token': api.admin.token } });
    assert.equal(quota.headers.allow, 'GET, HEAD, PUT');
  });

  it('rate-limits a user per verb with 413 and Retry-After, leaving other users alone', async () => {
    const url = `/v1.0/${api.demo.projectId}/flavors`;
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await api.app.inject({ method: 'GET', url, headers: { 'x-auth-token': api.demo.token } })).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 200, 413]);
    const limited = await api.app.inject({ method: 'GET', url, headers: { 'x-auth-token': api.demo.token } });
    assert.match(limited.json().overLimit.message, /Rate limit/);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal((await api.app.inject({ method: 'GET', url: `/v1.0/${api.admin.projectId}/flavors`, headers: { 'x-auth-token': api.admin.token } })).statusCode, 200);
  });
});
