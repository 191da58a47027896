import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApi, type TestApi } from '../test-support/api.js';

/** The configuration API's shapes and every refusal, on the control plane alone (no engine is needed to refuse). */
describe('configuration API', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api?.close();
  });
  const call = (method: string, path: string, payload?: object, who: 'demo' | 'admin' = 'demo') =>
    api.app.inject({ method: method as 'GET', url: `/v1.0/${api[who].projectId}${path}`, headers: { 'x-auth-token': api[who].token }, ...(payload ? { payload } : {}) });
  const create = (values: object, extra: object = {}) => call('POST', '/configurations', { configuration: { name: 'g', values, datastore: { type: 'mysql', version: '10.11' }, ...extra } });

  it('serves the parameter catalog in Trove’s shape, by name and by version id', async () => {
    const list = await call('GET', '/datastores/mysql/versions/10.11/parameters');
    assert.equal(list.statusCode, 200);
    const parameters = list.json()['configuration-parameters'] as Array<Record<string, unknown>>;
    const names = parameters.map((p) => p.name);
    for (const name of ['innodb_buffer_pool_size', 'innodb_log_file_size', 'max_connections', 'wait_timeout', 'character_set_server', 'long_query_time', 'sql_mode', 'binlog_format']) assert.ok(names.includes(name), name);
    const versionId = parameters[0]!.datastore_version_id as string;
    const one = await call('GET', '/datastores/mysql/versions/10.11/parameters/max_connections');
    assert.deepEqual(one.json(), { name: 'max_connections', datastore_version_id: versionId, restart_required: false, type: 'integer', min: 10, max: 100000 });
    assert.equal((await call('GET', `/datastores/versions/${versionId}/parameters/innodb_log_file_size`)).json().restart_required, true);
    assert.equal((await call('GET', `/datastores/versions/${versionId}/parameters`)).json()['configuration-parameters'].length, parameters.length);
    const missing = await call('GET', '/datastores/mysql/versions/10.11/parameters/nope');
    assert.equal(missing.statusCode, 404);
    assert.match(missing.json().itemNotFound.message, /No configuration parameter named 'nope'/);
    const pg = (await call('GET', '/datastores/postgresql/versions/15/parameters')).json()['configuration-parameters'] as Array<{ name: string; unit?: string }>;
    assert.equal(pg.find((p) => p.name === 'shared_buffers')!.unit, '8kB');
  });

  it('creates, lists, shows, merges (PATCH), replaces (PUT) and deletes groups', async () => {
    const created = await create({ max_connections: 200, innodb_buffer_pool_size: '{RAM / 2}' }, { description: 'web tier' });
    assert.equal(created.statusCode, 200, created.body);
    const group = created.json().configuration;
    assert.deepEqual(Object.keys(group).sort(), ['created', 'datastore_name', 'datastore_version_id', 'datastore_version_name', 'datastore_version_number', 'description', 'id', 'instance_count', 'name', 'updated', 'values']);
    assert.deepEqual(group.values, { innodb_buffer_pool_size: '{RAM / 2}', max_connections: 200 });
    assert.equal(group.instance_count, 0);
    const listed = (await call('GET', '/configurations')).json().configurations;
    assert.deepEqual(
      listed.map((g: { id: string }) => g.id),
      [group.id],
    );
    assert.equal(listed[0].values, undefined);
    const patched = await call('PATCH', `/configurations/${group.id}`, { configuration: { values: { wait_timeout: 120 } } });
    assert.equal(patched.statusCode, 200);
    assert.equal(patched.body, '');
    assert.deepEqual((await call('GET', `/configurations/${group.id}`)).json().configuration.values, { innodb_buffer_pool_size: '{RAM / 2}', max_connections: 200, wait_timeout: 120 });
    assert.equal((await call('PUT', `/configurations/${group.id}`, { configuration: { values: { wait_timeout: 60 } } })).statusCode, 202);
    assert.deepEqual((await call('GET', `/configurations/${group.id}`)).json().configuration.values, { wait_timeout: 60 });
    const noValues = await call('PUT', `/configurations/${group.id}`, { configuration: { name: 'x' } });
    assert.equal(noValues.statusCode, 400);
    assert.match(noValues.json().badRequest.message, /PUT replaces the group's values/);
    assert.equal((await call('GET', `/configurations/${group.id}`, undefined, 'admin')).statusCode, 404);
    assert.equal((await call('DELETE', `/configurations/${group.id}`)).statusCode, 202);
    const gone = await call('GET', `/configurations/${group.id}`);
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json().itemNotFound.message, `Configuration group with ID ${group.id} could not be found.`);
  });

  it('refuses bad groups with what to fix, writing nothing', async () => {
    const cases: Array<[object, number, RegExp]> = [
      [{ configuration: { values: {}, datastore: { type: 'mysql' } } }, 400, /needs a name/],
      [{ configuration: { name: 'g', values: [1], datastore: { type: 'mysql' } } }, 400, /'configuration.values' must be object/],
      [{ configuration: { name: 'g', values: {} } }, 400, /needs \\"datastore\\"/],
      [{ configuration: { name: 'g', values: {}, datastore: { type: 'oracle' } } }, 404, /Datastore 'oracle' cannot be found/],
      [{ configuration: { name: 'g', values: {}, datastore: { type: 'mysql', version: '4.0' } } }, 404, /version '4.0' cannot be found/],
      [{ configuration: { name: 'g', values: { max_connections: '{RAM_MB +}' }, datastore: { type: 'mysql' } } }, 422, /formula for the configuration parameter max_connections is not valid/],
      [{ configuration: { name: 'g', values: { max_connections: '{process}' }, datastore: { type: 'mysql' } } }, 422, /unknown name \\"process\\"/],
      [{ configuration: { name: 'g', values: { autocommit: 'perhaps' }, datastore: { type: 'mysql' } } }, 422, /autocommit is not of type boolean/],
      [{ configuration: { name: 'g', values: { tx_isolation: 'CHAOS' }, datastore: { type: 'mysql' } } }, 422, /tx_isolation must be one of/],
      [{ configuration: { name: 'g', values: { wait_timeout: 0 }, datastore: { type: 'mysql' } } }, 422, /wait_timeout is less than the minimum allowed: 1/],
      [{ configuration: { name: 'g', values: { shared_buffers: '64K' }, datastore: { type: 'postgresql' } } }, 422, /shared_buffers is less than the minimum allowed: 16/],
    ];
    for (const [body, status, message] of cases) {
      const refused = await call('POST', '/configurations', body);
      assert.equal(refused.statusCode, status, `${JSON.stringify(body)}: ${refused.body}`);
      assert.match(JSON.stringify(refused.json()), message);
    }
    assert.deepEqual((await call('GET', '/configurations')).json().configurations, []);
    assert.equal((await call('PATCH', '/configurations/00000000-0000-0000-0000-000000000000', { configuration: { values: {} } })).statusCode, 404);
  });

  it('takes values in the JSON type of their parameter: "60" is not an integer, "ON" not a boolean, on create, PUT and PATCH (the preview: api/strict-input.test.ts)', async () => {
    const group = (await create({ max_connections: 100 })).json().configuration;
    const wrong: Array<[Record<string, unknown>, RegExp]> = [
      [{ max_connections: '60' }, /^The value provided for the configuration parameter max_connections is not of type integer: give a whole JSON number \(not a string\)/],
      [{ max_connections: ' 60 ' }, /max_connections is not of type integer/],
      [{ max_connections: null }, /max_connections is not of type integer: give a whole JSON number \(not null\)/],
      [{ long_query_time: '0.5' }, /long_query_time is not of type float: give a JSON number \(not a string\)/],
      [{ autocommit: 'OFF' }, /autocommit is not of type boolean: give true or false \(a JSON boolean, not a string\)/],
      [{ autocommit: 0 }, /autocommit is not of type boolean: give true or false \(a JSON boolean, not a number\)/],
      [{ character_set_server: 8 }, /character_set_server is not of type string/],
      [{ max_connections: 9 }, /max_connections is less than the minimum allowed: 10/],
      [{ max_connections: 100001 }, /max_connections is greater than the maximum allowed: 100000/],
      // biome-ignore lint/correctness/noPrecisionLoss: 2^53 + 1 is sent on purpose, as a number no integer parameter may take
      [{ max_connections: 9007199254740993 }, /max_connections is not of type integer/],
    ];
    for (const [values, message] of wrong) {
      for (const [method, path, body] of [
        ['POST', '/configurations', { configuration: { name: 'g', values, datastore: { type: 'mysql', version: '10.11' } } }],
        ['PUT', `/configurations/${group.id}`, { configuration: { values } }],
        ['PATCH', `/configurations/${group.id}`, { configuration: { values } }],
      ] as const) {
        const refused = await call(method, path, body);
        assert.equal(refused.statusCode, 422, `${method} ${JSON.stringify(values)}: ${refused.body}`);
        assert.match(refused.json().unprocessableEntity.message, message, `${method} ${JSON.stringify(values)}`);
      }
    }
    assert.deepEqual((await call('GET', `/configurations/${group.id}`)).json().configuration.values, { max_connections: 100 }, 'nothing was written');
    // What a string says beyond a number stays: sizes with their suffix and formulas of the flavor.
    const sized = await create({ innodb_buffer_pool_size: '512M', max_connections: '{RAM_MB / 8}', autocommit: false, long_query_time: 2 });
    assert.equal(sized.statusCode, 200, sized.body);
    assert.deepEqual(sized.json().configuration.values, { autocommit: false, innodb_buffer_pool_size: 512 * 1024 ** 2, long_query_time: 2, max_connections: '{RAM_MB / 8}' });
    for (const id of [group.id, sized.json().configuration.id]) await call('DELETE', `/configurations/${id}`);
  });

  it('refuses an instance whose group does not fit its flavor or datastore, before anything is made', async () => {
    const greedy = (await create({ innodb_buffer_pool_size: '{RAM}' })).json().configuration;
    const instance = (configuration: string, datastore = { type: 'mysql', version: '10.11' }) => call('POST', '/instances', { instance: { name: 'cfg', flavorRef: '1', volume: { size: 1 }, datastore, configuration } });
    const refused = await instance(greedy.id);
    assert.equal(refused.statusCode, 422);
    assert.match(refused.json().unprocessableEntity.message, /innodb_buffer_pool_size 512\.0 MB \+ .* > the flavor's 512\.0 MB of RAM/);
    // By name too, as `trove create --configuration NAME` sends it.
    assert.match((await instance('g')).json().unprocessableEntity.message, /> the flavor's 512\.0 MB of RAM/);
    const other = await instance(greedy.id, { type: 'postgresql', version: '15' });
    assert.equal(other.statusCode, 400);
    assert.match(other.json().badRequest.message, /is for mysql 10.11; the new instance is postgresql 15/);
    assert.equal((await instance('00000000-0000-0000-0000-000000000000')).statusCode, 404);
    assert.deepEqual((await call('GET', '/instances')).json().instances, []);
    const usage = await api.services.quotas.usage(api.demo.projectId);
    assert.equal(usage.find((u) => u.resource === 'instances')!.in_use, 0);
  });
});
