import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TaskStatus } from '../state/task-status.js';
import { newId } from '../common/ids.js';
import type { InstanceTable } from '../state/schema.js';
import { startTestApi, type TestApi } from '../test-support/api.js';

/**
 * Requests on an instance's databases and users that a task overtakes while the agent runs them:
 * a DELETE stops the engine, a backup or a promotion takes the instance. The caller hears what a
 * moment later would have told it, never a 500. The agent is a stand-in on the instance's socket
 * that lets the task start before it answers, as the real agent does when its engine is stopped
 * under it (MariaDB's client then fails with error 2002).
 */
describe('databases and users: requests overtaken by a task', () => {
  let api: TestApi;
  const agents: Server[] = [];

  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    for (const agent of agents) agent.close();
    await api.close();
  });

  async function instance(): Promise<InstanceTable> {
    const now = new Date().toISOString();
    const row: InstanceTable = {
      id: newId(),
      project_id: api.demo.projectId,
      name: `race-${Math.random().toString(36).slice(2, 8)}`,
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
    await api.services.store.db.insertInto('instances').values(row).execute();
    return row;
  }

  /** An agent that, before answering any request with its engine's failure, lets `meanwhile` happen. */
  async function agentFailingAfter(id: string, meanwhile: () => Promise<void>): Promise<void> {
    const socket = api.services.runtime.driver.agentSocket(id);
    mkdirSync(dirname(socket), { recursive: true });
    rmSync(socket, { force: true });
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', async () => {
        await meanwhile();
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: "SQL failed: MariaDB error 2002: Can't connect to local server through socket 'mysqld.sock' (2)" }));
      });
    });
    agents.push(server);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
  }

  const call = (method: string, path: string, payload?: object) => api.app.inject({ method: method as 'GET', url: `/v1.0/${api.demo.projectId}${path}`, headers: { 'x-auth-token': api.demo.token }, ...(payload ? { payload } : {}) });
  const setTaskStatus = (id: string, task_status: TaskStatus) =>
    api.services.store.db
      .updateTable('instances')
      .set({ task_status })
      .where('id', '=', id)
      .execute()
      .then(() => undefined);

  it('answers 422 "not ACTIVE (it is deleting)" to a list of users whose instance a DELETE stopped meanwhile', async () => {
    const row = await instance();
    await agentFailingAfter(row.id, () => setTaskStatus(row.id, 'DELETING'));
    const listed = await call('GET', `/instances/${row.id}/users`);
    assert.equal(listed.statusCode, 422, listed.body);
    assert.equal(listed.json().unprocessableEntity.message, `Instance '${row.id}' is not ACTIVE (it is deleting); try again when it is.`);
  });

  it('answers 422 to a database create or delete that a backup or a promotion overtook', async () => {
    for (const [taskStatus, request] of [
      ['BACKUP', (id: string) => call('POST', `/instances/${id}/databases`, { databases: [{ name: 'late' }] })],
      ['PROMOTING', (id: string) => call('DELETE', `/instances/${id}/databases/late`)],
    ] as const) {
      const row = await instance();
      await agentFailingAfter(row.id, () => setTaskStatus(row.id, taskStatus));
      const answer = await request(row.id);
      assert.equal(answer.statusCode, 422, `${taskStatus}: ${answer.body}`);
      assert.match(answer.json().unprocessableEntity.message, new RegExp(`is not ACTIVE \\(it is ${taskStatus.toLowerCase()}\\)`));
    }
  });

  it('answers 404 when the instance is gone by the time the agent fails', async () => {
    const row = await instance();
    await agentFailingAfter(row.id, () =>
      api.services.store.db
        .updateTable('instances')
        .set({ deleted: 1, deleted_at: new Date().toISOString() })
        .where('id', '=', row.id)
        .execute()
        .then(() => undefined),
    );
    const listed = await call('GET', `/instances/${row.id}/databases`);
    assert.equal(listed.statusCode, 404, listed.body);
    assert.equal(listed.json().itemNotFound.message, `Instance '${row.id}' cannot be found.`);
  });

  it('still reports an agent failure on an instance nothing overtook as the server fault it is', async () => {
    const row = await instance();
    await agentFailingAfter(row.id, async () => undefined);
    const listed = await call('GET', `/instances/${row.id}/users`);
    assert.equal(listed.statusCode, 500, listed.body);
    assert.ok(listed.json().instanceFault, listed.body);
  });
});
