import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../common/ids.js';
import type { InstanceTable } from '../state/schema.js';
import { startTestApi, type TestApi } from '../test-support/api.js';

/**
 * Input taken as the schema says, at every route: no string booleans or numbers, integers in a
 * stated range, no unknown query parameters, 404 for a parent that does not exist. Rows are
 * written straight into the store: no engine is needed, and none of these requests reaches one.
 */
describe('strict input at the HTTP edge', () => {
  let api: TestApi;
  let instance: InstanceTable;
  const call = (method: string, path: string, payload?: unknown, who: 'demo' | 'admin' = 'demo') =>
    api.app.inject({
      method: method as 'GET',
      url: path.startsWith('/') && !path.startsWith('/v1.0') ? `/v1.0/${api[who].projectId}${path}` : path,
      headers: { 'x-auth-token': api[who].token },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const message = (response: { json(): unknown }) => Object.values(response.json() as Record<string, { message: string }>)[0]!.message;

  before(async () => {
    api = await startTestApi();
    const now = new Date().toISOString();
    instance = {
      id: newId(),
      project_id: api.demo.projectId,
      name: 'edge',
      flavor_id: '1',
      ram_mb: 512,
      vcpus: 1,
      volume_size: 1,
      datastore: 'mysql',
      datastore_version: '10.11',
      datastore_version_full: '10.11.19',
      task_status: 'NONE',
      address: '127.0.10.9',
      port: 3306,
      server_status: 'ACTIVE',
      service_status: 'HEALTHY',
      service_status_updated: now,
      last_contact_at: now,
      volume_used_bytes: 0,
      fault_message: null,
      fault_details: null,
      fault_created: null,
      deleted: 0,
      deleted_at: null,
      created_at: now,
      updated_at: now,
      root_enabled_at: null,
      configuration_id: null,
      applied_configuration: null,
      restart_required: 0,
      replica_of_id: null,
      replication_secret: null,
      replication_status: null,
      auto_failover: 0,
      access_public: 0,
      access_cidrs: '[]',
      cluster_id: null,
      cluster_member_type: null,
    };
    await api.services.store.db.insertInto('instances').values(instance).execute();
  });
  after(() => api.close());

  it('refuses string booleans in a log action, naming the field and what it takes', async () => {
    for (const [field, value] of [
      ['enable', 'false'],
      ['publish', 'no'],
      ['disable', 'true'],
      ['discard', 1.5],
      ['enable', 2],
      ['publish', null],
    ] as const) {
      const response = await call('POST', `/instances/${instance.id}/log`, { name: 'general', [field]: value });
      assert.equal(response.statusCode, 400, `${field}: ${JSON.stringify(value)}`);
      assert.match(message(response), new RegExp(`^Invalid request body: '${field}' must be 0 or 1, or false or true`), `${field}: ${JSON.stringify(value)}`);
    }
    assert.match(message(await call('POST', `/instances/${instance.id}/log`, { name: 'general', enable: 'false' })), /\(got a string\)/);
  });

  it('refuses quotas that are not whole numbers from -1 to 2^31-1, stating the range, and stores nothing', async () => {
    const url = `/mgmt/quotas/${api.demo.projectId}`;
    const before = await api.services.store.db.selectFrom('quotas').selectAll().execute();
    // biome-ignore lint/correctness/noPrecisionLoss: 2^53 + 1 is sent on purpose, as a number no integer field may take
    for (const value of [null, 1e12, 9007199254740993, 1.5, '5', -2, true, [1]]) {
      const response = await call('PUT', url, { quotas: { instances: 7, ram: value } }, 'admin');
      assert.equal(response.statusCode, 400, JSON.stringify(value));
      assert.match(message(response), /^Invalid request body: 'quotas\.ram' must be a whole number from -1 to 2147483647 \(-1: unlimited\)/, JSON.stringify(value));
    }
    // The body's text, not JSON.stringify's: a number JavaScript cannot hold exactly is refused, not rounded.
    const exact = await api.app.inject({ method: 'PUT', url: `/v1.0/${api.admin.projectId}${url}`, headers: { 'x-auth-token': api.admin.token, 'content-type': 'application/json' }, payload: '{"quotas": {"backups": 9007199254740993}}' });
    assert.equal(exact.statusCode, 400);
    assert.match(message(exact), /\(got a number too large to hold exactly\)\.$/);
    const empty = await call('PUT', url, { quotas: {} }, 'admin');
    assert.equal(empty.statusCode, 400);
    assert.match(message(empty), /at least one quota/);
    assert.deepEqual(await api.services.store.db.selectFrom('quotas').selectAll().execute(), before);
    const fine = await call('PUT', url, { quotas: { instances: -1, backups: 2147483647 } }, 'admin');
    assert.equal(fine.statusCode, 200, fine.body);
    assert.deepEqual(fine.json(), { quotas: { instances: -1, backups: 2147483647 } });
  });

  it('refuses integers out of range or of another type in instance bodies (volume size, flavorRef, replica_count, resize)', async () => {
    const create = (fields: object) => call('POST', '/instances', { instance: { name: 'n', flavorRef: '1', volume: { size: 1 }, datastore: { type: 'mysql', version: '10.11' }, ...fields } });
    const cases: Array<[object, RegExp]> = [
      [{ volume: { size: '5' } }, /'instance\.volume\.size' must be a whole number of GB from 1 to 2147483647 \(got a string\)/],
      [{ volume: { size: 1e12 } }, /'instance\.volume\.size' must be a whole number of GB from 1 to 2147483647 \(got 1000000000000\)/],
      [{ volume: { size: 0 } }, /'instance\.volume\.size' must be a whole number of GB from 1/],
      [{ flavorRef: 1.5 }, /'instance\.flavorRef' must be a flavor id or link/],
      [{ flavorRef: 0 }, /'instance\.flavorRef' must be a flavor id/],
      [{ replica_of: instance.id, replica_count: 6 }, /'instance\.replica_count' must be a whole number from 1 to 5/],
      [{ replica_of: instance.id, replica_count: '2' }, /'instance\.replica_count' must be a whole number from 1 to 5 \(got a string\)/],
      [{ auto_failover: 'true' }, /'instance\.auto_failover' must be boolean/],
    ];
    for (const [fields, pattern] of cases) {
      const response = await create(fields);
      assert.equal(response.statusCode, 400, JSON.stringify(fields));
      assert.match(message(response), pattern);
    }
    const resize = await call('POST', `/instances/${instance.id}/action`, { resize: { volume: { size: '2' } } });
    assert.equal(resize.statusCode, 400);
    assert.match(message(resize), /'resize\.volume\.size' must be a whole number of GB from 1 to 2147483647 \(got a string\)/);
    const backup = await call('POST', '/backups', { backup: { name: 'b', instance: instance.id, incremental: 'yes' } });
    assert.equal(backup.statusCode, 400);
    assert.match(message(backup), /'backup\.incremental' must be 0 or 1, or false or true/);
  });

  it('refuses a configuration value in a string where its parameter takes a number, in a preview too', async () => {
    const preview = await call('POST', `/instances/${instance.id}/configuration/preview`, { values: { max_connections: '60' } });
    assert.equal(preview.statusCode, 422);
    assert.match(message(preview), /max_connections is not of type integer: give a whole JSON number \(not a string\)/);
  });

  it('states a range for every integer of every request body in the OpenAPI document', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>> };
    const unbounded: string[] = [];
    const walk = (schema: unknown, where: string): void => {
      if (Array.isArray(schema))
        return schema.forEach((s, i) => {
          walk(s, `${where}[${i}]`);
        });
      if (schema === null || typeof schema !== 'object') return;
      const node = schema as Record<string, unknown>;
      if ((node.type === 'integer' || node.type === 'number') && (node.minimum === undefined || node.maximum === undefined)) unbounded.push(where);
      for (const [key, value] of Object.entries(node)) walk(value, `${where}.${key}`);
    };
    let bodies = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const content of Object.values(operation.requestBody?.content ?? {})) {
          bodies++;
          walk(content.schema, `${method.toUpperCase()} ${path}`);
        }
      }
    }
    assert.ok(bodies >= 15, `only ${bodies} request bodies found`);
    assert.deepEqual(unbounded, []);
  });

  it('refuses passwords with control characters (NUL, newline, DEL) wherever one is set, without echoing it', async () => {
    const cases: Array<[string, string, object]> = [
      ['POST', `/instances/${instance.id}/users`, { users: [{ name: 'u1', password: 'secret\u0000' }] }],
      ['POST', `/instances/${instance.id}/users`, { users: [{ name: 'u1', password: 'sec\nret' }] }],
      ['PUT', `/instances/${instance.id}/users/u1`, { user: { password: 'secret\u007f' } }],
      ['POST', `/instances/${instance.id}/root`, { password: '\u0000secret' }],
      ['POST', '/instances', { instance: { name: 'p', flavorRef: '1', volume: { size: 1 }, users: [{ name: 'u2', password: 'tab\tbed' }] } }],
    ];
    for (const [method, path, body] of cases) {
      const response = await call(method, path, body);
      assert.equal(response.statusCode, 400, `${method} ${path}: ${response.body}`);
      assert.match(message(response), /must not contain control characters/);
      assert.doesNotMatch(response.body, /secret|bed/);
    }
  });

  it('refuses names and descriptions with control characters, saying what they may hold', async () => {
    const cases: Array<[string, string, object, string]> = [
      ['POST', '/instances', { instance: { name: 'bad\u0000name', flavorRef: '1', volume: { size: 1 } } }, 'instance.name'],
      ['PATCH', `/instances/${instance.id}`, { instance: { name: 'two\nlines' } }, 'instance.name'],
      ['POST', '/backups', { backup: { name: 'b\tb', instance: instance.id } }, 'backup.name'],
      ['POST', '/backups', { backup: { name: 'b', instance: instance.id, description: 'x\u007f' } }, 'backup.description'],
      ['POST', '/configurations', { configuration: { name: 'g\rg', values: {}, datastore: { type: 'mysql' } } }, 'configuration.name'],
    ];
    for (const [method, path, body, field] of cases) {
      const response = await call(method, path, body);
      assert.equal(response.statusCode, 400, `${method} ${path}: ${response.body}`);
      assert.equal(message(response), `Invalid request body: '${field}' must be text of ${field.endsWith('description') ? 0 : 1} to 255 characters without control characters (such as NUL, tab or newline).`);
    }
    assert.equal((await call('GET', `/instances/${instance.id}`)).json().instance.name, 'edge', 'the rename was refused');
  });

  it('answers 404 naming the instance for every nested route of an instance that does not exist or is malformed', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', 'backups'],
      ['GET', 'databases'],
      ['POST', 'databases', { databases: [{ name: 'd' }] }],
      ['DELETE', 'databases/d'],
      ['GET', 'users'],
      ['POST', 'users', { users: [{ name: 'u', password: 'p' }] }],
      ['GET', 'users/u'],
      ['PUT', 'users/u', { user: { password: 'p' } }],
      ['DELETE', 'users/u'],
      ['GET', 'users/u/databases'],
      ['PUT', 'users/u/databases', { databases: [{ name: 'd' }] }],
      ['DELETE', 'users/u/databases/d'],
      ['GET', 'root'],
      ['POST', 'root', null],
      ['DELETE', 'root'],
      ['GET', 'log'],
      ['POST', 'log', { name: 'general', enable: 1 }],
      ['GET', 'configuration'],
      ['POST', 'configuration/preview', { values: { max_connections: 100 } }],
      ['POST', 'action', { restart: {} }],
    ];
    for (const id of ['00000000-0000-0000-0000-000000000000', 'not-an-id', 'x'.repeat(300)]) {
      for (const [method, rest, body] of routes) {
        const response = await call(method, `/instances/${id}/${rest}`, body);
        assert.equal(response.statusCode, 404, `${method} …/${rest} (${id.slice(0, 12)}): ${response.body.slice(0, 300)}`);
        assert.match(message(response), /^Instance '/, `${method} …/${rest}`);
      }
    }
    const found = await call('GET', `/instances/${instance.id}/backups`);
    assert.equal(found.statusCode, 200);
    const other = await call('GET', `/instances/${instance.id}/backups`, undefined, 'admin');
    assert.equal(other.statusCode, 200, 'an admin reaches any project’s instance');
    // The other parents: a configuration group, a datastore, a datastore version.
    for (const path of [
      '/configurations/00000000-0000-0000-0000-000000000000/instances',
      '/datastores/nosuch/versions',
      '/datastores/mysql/versions/9.9/parameters',
      '/datastores/mysql/versions/9.9/flavors',
      '/datastores/versions/00000000-0000-0000-0000-000000000000/parameters',
    ]) {
      assert.equal((await call('GET', path)).statusCode, 404, path);
    }
  });

  it('refuses unknown query parameters, naming them and what the route takes', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/flavors?limt=2', /^Unknown query parameter 'limt': this route takes limit, marker\.$/],
      ['/instances?instanceid=x', /'instanceid': this route takes limit, marker, include_clustered/],
      ['/backups?instance=x', /'instance': this route takes limit, marker, instance_id, datastore, all_projects, project_id/],
      [`/instances/${instance.id}?verbose=1`, /'verbose': this route takes no query parameters/],
      ['/limits?x=1', /'x': this route takes no query parameters/],
    ];
    for (const [path, pattern] of cases) {
      const response = await call('GET', path);
      assert.equal(response.statusCode, 400, path);
      assert.match(message(response), pattern, path);
    }
    assert.equal((await call('GET', '/flavors?limit=1&limit=2')).statusCode, 400, 'a parameter given twice');
    assert.equal((await call('GET', '/backups?all_projects=yes')).statusCode, 400, 'a yes/no parameter in another spelling');
    assert.equal((await api.app.inject({ method: 'GET', url: '/?x=1' })).statusCode, 400);
  });

  it('keeps every query parameter the real clients send working', async () => {
    // troveclient, openstackclient and tempest: paging everywhere it pages, and their filters.
    const group = await call('POST', '/configurations', { configuration: { name: 'q', values: { max_connections: 100 }, datastore: { type: 'mysql', version: '10.11' } } });
    assert.equal(group.statusCode, 200, group.body);
    const groupId = group.json().configuration.id;
    const paths = [
      '/instances?include_clustered=False',
      '/instances?limit=1&include_clustered=True',
      '/instances/detail?limit=5&include_clustered=False',
      `/instances?marker=${instance.id}`,
      `/instances/${instance.id}/backups?limit=5`,
      `/backups?limit=5&instance_id=${instance.id}&datastore=mysql&project_id=${api.demo.projectId}`,
      '/backups?all_projects=True',
      '/configurations?limit=5',
      `/configurations/${groupId}/instances?limit=5`,
      '/datastores?limit=5',
      '/datastores/mysql/versions?limit=5',
      '/flavors?limit=2&marker=2',
      `/backup_strategies?instance_id=${instance.id}&project_id=${api.demo.projectId}`,
    ];
    for (const path of paths) {
      const response = await call('GET', path);
      assert.equal(response.statusCode, 200, `${path}: ${response.body.slice(0, 300)}`);
    }
    const mgmt = await call('GET', `/mgmt/instances?limit=20&include_clustered=False&deleted=False&project_id=${api.demo.projectId}`, undefined, 'admin');
    assert.equal(mgmt.statusCode, 200, mgmt.body);
    assert.deepEqual(
      mgmt.json().instances.map((i: { id: string }) => i.id),
      [instance.id],
    );
    const otherProject = await call('GET', `/mgmt/instances?project_id=${api.admin.projectId}`, undefined, 'admin');
    assert.deepEqual(otherProject.json().instances, [], 'project_id filters, it is not ignored');
    const gone = { ...instance, id: newId(), name: 'gone', deleted: 1, deleted_at: new Date().toISOString() };
    await api.services.store.db.insertInto('instances').values(gone).execute();
    const deleted = await call('GET', `/mgmt/instances?deleted=True&project_id=${api.demo.projectId}`, undefined, 'admin');
    assert.deepEqual(
      deleted.json().instances.map((i: { id: string }) => i.id),
      [gone.id],
      'deleted=True lists the deleted ones',
    );
    assert.deepEqual(
      (await call('GET', '/mgmt/instances?deleted=false', undefined, 'admin')).json().instances.map((i: { id: string }) => i.id),
      [instance.id],
    );
    const paged = await call('GET', '/configurations?limit=0');
    assert.deepEqual(paged.json().configurations, [], 'limit is obeyed');
  });
});
