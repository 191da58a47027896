import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../common/ids.js';
import type { InstanceTable } from '../state/schema.js';
import { startTestApi, type TestApi } from '../test-support/api.js';

/**
 * The instance API's request edges and update rules, as Trove has them, on rows written straight
 * into the store (the task manager is not running, so nothing is built): no engine is needed.
 */
describe('instance API: request edges, access and update rules', () => {
  let api: TestApi;
  const call = (method: string, path: string, payload?: object | string, headers: Record<string, string> = {}, who: 'demo' | 'admin' = 'demo') =>
    api.app.inject({
      method: method as 'GET',
      url: `/v1.0/${api[who].projectId}${path}`,
      headers: { 'x-auth-token': api[who].token, ...(typeof payload === 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(payload !== undefined ? { payload } : {}),
    });

  async function row(values: Partial<InstanceTable> = {}): Promise<InstanceTable> {
    const now = new Date().toISOString();
    const instance: InstanceTable = {
      id: newId(),
      project_id: api.demo.projectId,
      name: `i-${Math.random().toString(36).slice(2, 8)}`,
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
      ...values,
    };
    await api.services.store.db.insertInto('instances').values(instance).execute();
    return instance;
  }
  const find = (id: string) => api.services.store.db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const pendingKinds = async (id: string) => (await api.services.store.db.selectFrom('tasks').select('kind').where('target_id', '=', id).where('state', '=', 'pending').execute()).map((t) => t.kind);
  const create = (instance: object) => call('POST', '/instances', { instance: { name: 'edge', flavorRef: '1', volume: { size: 1 }, datastore: { type: 'mysql', version: '10.11' }, ...instance } });

  before(async () => {
    api = await startTestApi({ compute: { public_address: '127.66.0.0/24' } });
  });
  after(() => api.close());

  it('takes an empty body with a JSON content type as no body where the body is optional (DELETE, POST root)', async () => {
    const instance = await row();
    const root = await call('POST', `/instances/${instance.id}/root`, '');
    // No agent runs here: whatever the answer, it is not about the body.
    assert.doesNotMatch(root.body, /body/i);
    assert.notEqual(root.statusCode, 400);
    const deleted = await call('DELETE', `/instances/${instance.id}`, '');
    assert.equal(deleted.statusCode, 202, deleted.body);
    assert.equal((await find(instance.id)).task_status, 'DELETING');
  });

  it('refuses an empty body where one is required, and unknown fields at any depth, naming them', async () => {
    const instance = await row();
    const empty = await call('POST', `/instances/${instance.id}/action`, '');
    assert.equal(empty.statusCode, 400);
    assert.match(empty.json().badRequest.message, /missing or is not a JSON object/);
    const unknownTop = await create({ flavour: '1' });
    assert.equal(unknownTop.statusCode, 400);
    assert.equal(unknownTop.json().badRequest.message, "Invalid request body: 'instance.flavour' is not an accepted field.");
    const unknownDeep = await create({ access: { is_public: false, allowed: ['10.0.0.0/8'] } });
    assert.equal(unknownDeep.json().badRequest.message, "Invalid request body: 'instance.access.allowed' is not an accepted field.");
    const patch = await call('PATCH', `/instances/${instance.id}`, { instance: { access: { is_public: true } } });
    assert.equal(patch.statusCode, 400);
    assert.match(patch.json().badRequest.message, /'instance.access' is not an accepted field/);
    const deep = await call('PUT', `/mgmt/quotas/${api.demo.projectId}`, `${'['.repeat(20_000)}${']'.repeat(20_000)}`, {}, 'admin');
    assert.equal(deep.statusCode, 400);
    assert.match(deep.json().badRequest.message, /nested more than 32 levels/);
  });

  it('takes the datastore version an instance runs as a no-op, and an unknown one as a 404, never a silent 202', async () => {
    const instance = await row();
    assert.equal((await call('PATCH', `/instances/${instance.id}`, { instance: { datastore_version: '10.11' } })).statusCode, 202);
    const unknown = await call('PATCH', `/instances/${instance.id}`, { instance: { datastore_version: '99.9' } });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().itemNotFound.message, /Datastore version '99.9' cannot be found/);
  });

  it('takes one attribute besides the name per update, and detaches only a replica, whatever replica_of holds', async () => {
    const instance = await row();
    const two = await call('PUT', `/instances/${instance.id}`, { instance: { name: 'n', configuration: null, access: { is_public: false } } });
    assert.equal(two.statusCode, 400);
    assert.match(two.json().badRequest.message, /Only one attribute \(except 'name'\) is allowed to update; got access, configuration/);
    const notReplica = await call('PUT', `/instances/${instance.id}`, { instance: { replica_of: '' } });
    assert.equal(notReplica.statusCode, 400);
    assert.match(notReplica.json().badRequest.message, /is not a replica/);
    const source = await row();
    const replica = await row({ replica_of_id: source.id });
    assert.equal((await call('PUT', `/instances/${replica.id}`, { instance: { replica_of: '' } })).statusCode, 202);
    assert.equal((await find(replica.id)).task_status, 'DETACHING');
    assert.equal((await call('PUT', `/instances/${instance.id}`, { instance: { name: 'renamed' } })).statusCode, 202);
    assert.equal((await find(instance.id)).name, 'renamed');
  });

  it('keeps a configuration group through an update that does not name it; {"instance": {}} and null detach it', async () => {
    const group = await call('POST', '/configurations', { configuration: { name: 'keep', values: { wait_timeout: 70 }, datastore: { type: 'mysql', version: '10.11' } } });
    const groupId = group.json().configuration.id as string;
    const instance = await row({ configuration_id: groupId });
    assert.equal((await call('PUT', `/instances/${instance.id}`, { instance: { access: { is_public: false } } })).statusCode, 202);
    assert.equal((await find(instance.id)).configuration_id, groupId);
    await api.services.store.db.updateTable('instances').set({ task_status: 'NONE' }).where('id', '=', instance.id).execute();
    assert.equal((await call('PUT', `/instances/${instance.id}`, { instance: { name: 'still-grouped' } })).statusCode, 202);
    assert.equal((await find(instance.id)).configuration_id, groupId);
    assert.equal((await call('PUT', `/instances/${instance.id}`, { instance: {} })).statusCode, 202);
    assert.equal((await find(instance.id)).configuration_id, null);
    assert.equal((await call('PUT', `/configurations/${groupId}`, { configuration: { values: { wait_timeout: 80 } } })).statusCode, 202);
    assert.equal((await call('PATCH', `/configurations/${groupId}`, { configuration: { values: { wait_timeout: 90 } } })).statusCode, 200);
  });

  it('records access on create and shows it in every view; checks the networks', async () => {
    const created = await create({ access: { is_public: true, allowed_cidrs: ['10.1.0.0/16', '192.0.2.7'] } });
    assert.equal(created.statusCode, 200, created.body);
    assert.deepEqual(created.json().instance.access, { is_public: true, allowed_cidrs: ['10.1.0.0/16', '192.0.2.7'] });
    const id = created.json().instance.id as string;
    assert.deepEqual((await call('GET', `/instances/${id}`)).json().instance.access, { is_public: true, allowed_cidrs: ['10.1.0.0/16', '192.0.2.7'] });
    const listed = (await call('GET', '/instances')).json().instances.find((i: { id: string }) => i.id === id);
    assert.deepEqual(listed.access, { is_public: true, allowed_cidrs: ['10.1.0.0/16', '192.0.2.7'] });
    const tasks = await api.services.store.db.selectFrom('tasks').select('params').where('target_id', '=', id).executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(tasks.params).allowed_cidrs, ['10.1.0.0/16', '192.0.2.7/32']);
    const privateByDefault = await create({ name: 'private' });
    assert.deepEqual(privateByDefault.json().instance.access, { is_public: false, allowed_cidrs: [] });
    for (const [cidr, message] of [
      ['10.0.0.0/33', /must match pattern|an IPv4 network/],
      ['300.1.1.1/8', /at most 255/],
      ['fe80::/10', /an IPv4 network/],
    ] as const) {
      const refused = await create({ access: { allowed_cidrs: [cidr] } });
      assert.equal(refused.statusCode, 400, cidr);
      assert.match(refused.json().badRequest.message, message, cidr);
    }
    const twice = await create({ access: { allowed_cidrs: ['10.0.0.0/8', '10.0.0.0/8'] } });
    assert.equal(twice.statusCode, 400);
  });

  it('changes access of a running instance by a task, without a restart, and shows the public endpoint once leased', async () => {
    const instance = await row();
    const busy = await row({ task_status: 'BACKUP' });
    assert.equal((await call('PUT', `/instances/${busy.id}`, { instance: { access: { is_public: true } } })).statusCode, 422);
    const changed = await call('PUT', `/instances/${instance.id}`, { instance: { access: { is_public: true, allowed_cidrs: ['10.2.0.0/16'] } } });
    assert.equal(changed.statusCode, 202, changed.body);
    const after = await find(instance.id);
    assert.deepEqual([after.access_public, after.access_cidrs, after.task_status], [1, '["10.2.0.0/16"]', 'UPDATING']);
    assert.deepEqual(await pendingKinds(instance.id), ['instance.update_access']);
    // The status stays what is observed: the instance serves throughout.
    const view = (await call('GET', `/instances/${instance.id}`)).json().instance;
    assert.equal(view.status, 'ACTIVE');
    assert.deepEqual(view.pending_tasks, ['instance.update_access']);
    await api.services.runtime.publicEndpoints.lease(instance.id, 3306);
    const published = (await call('GET', `/instances/${instance.id}`)).json().instance;
    assert.deepEqual(published.addresses, [
      { address: '127.0.10.9', type: 'private', network: 'local' },
      { address: '127.66.0.1', type: 'public', port: 3306 },
    ]);
    assert.deepEqual(published.ip, ['127.0.10.9', '127.66.0.1']);
  });

  it('grows the volumes of a source’s replicas with it, charging each to the quota', async () => {
    const source = await row({ volume_size: 1 });
    const replicas = [await row({ replica_of_id: source.id, volume_size: 1 }), await row({ replica_of_id: source.id, volume_size: 1 })];
    const busyReplicaSet = await row({ volume_size: 1 });
    await row({ replica_of_id: busyReplicaSet.id, volume_size: 1, task_status: 'BACKUP' });
    const refused = await call('POST', `/instances/${busyReplicaSet.id}/action`, { resize: { volume: { size: 2 } } });
    assert.equal(refused.statusCode, 422);
    assert.equal((await find(busyReplicaSet.id)).task_status, 'NONE', 'nothing is half-started');
    const resized = await call('POST', `/instances/${source.id}/action`, { resize: { volume: { size: 2 } } });
    assert.equal(resized.statusCode, 202, resized.body);
    for (const id of [source.id, ...replicas.map((r) => r.id)]) {
      assert.equal((await find(id)).task_status, 'RESIZING', id);
      assert.deepEqual(await pendingKinds(id), ['instance.resize_volume']);
    }
  });
});

describe('instance API without a public address', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(() => api.close());

  it('refuses a public instance with a message that says what to do', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: `/v1.0/${api.demo.projectId}/instances`,
      headers: { 'x-auth-token': api.demo.token },
      payload: { instance: { name: 'pub', flavorRef: '1', volume: { size: 1 }, datastore: { type: 'mysql' }, access: { is_public: true } } },
    });
    assert.equal(response.statusCode, 400);
    assert.match(response.json().badRequest.message, /no public address.*compute\.public_address/);
    assert.equal((await api.services.store.db.selectFrom('instances').select('id').execute()).length, 0, 'nothing is half-made');
  });
});
