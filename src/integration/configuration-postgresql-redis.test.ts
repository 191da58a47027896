import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { eventually } from '../test-support/eventually.js';
import { run } from '../test-support/processes.js';
import { psql } from '../test-support/psql.js';
import { AgentClient } from '../agent/rpc/client.js';
import { routes } from '../agent/rpc/routes.js';
import { propertyTable } from '../test-support/cli-output.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/** Configuration groups on real PostgreSQL and Redis engines: reload or CONFIG SET live, the rest at restart. */
describe('configuration groups on PostgreSQL and Redis', () => {
  let host: TroveHost;
  before(async () => {
    host = await startTroveHost('127.0.61.0/24');
  });
  after(async () => {
    await host?.close();
  });

  const troveCli = (args: string[]) => run('/usr/bin/python3', ['/usr/bin/trove', ...args], openstackEnv(host), 120_000);
  /** Makes a group with the trove CLI, as a tenant would. */
  const cliGroup = async (name: string, values: object, datastore: string, version: string) => {
    const created = await troveCli(['configuration-create', name, JSON.stringify(values), '--datastore', datastore, '--datastore_version', version]);
    assert.equal(created.code, 0, created.stderr);
    return propertyTable(created.stdout).id!;
  };
  const status = async (id: string) => (await host.demo.call('GET', `/instances/${id}`)).body.instance.status as string;
  const createInstance = async (name: string, datastore: object, extra: object = {}) => {
    const created = await host.demo.call('POST', '/instances', { instance: { name, flavorRef: '2', volume: { size: 1 }, datastore, ...extra } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const view = await host.demo.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR']);
    assert.equal(view.status, 'ACTIVE', JSON.stringify(view));
    return { id: view.id as string, ip: view.ip[0] as string };
  };
  const restart = async (id: string) => {
    assert.equal((await host.demo.call('POST', `/instances/${id}/action`, { restart: {} })).status, 202);
    await sleep(300);
    await eventually(() => status(id), 'ACTIVE', 120_000);
  };

  it('PostgreSQL: starts with its group, reloads dynamic changes, and waits for a restart for postmaster ones', async () => {
    const groupId = await cliGroup('pg', { work_mem: '4MB', log_min_duration_statement: 250 }, 'postgresql', '15');
    const created = await troveCli(['create', 'pg-cfg', '2', '--size', '1', '--datastore', 'postgresql', '--datastore_version', '15', '--configuration', 'pg', '--users', 'clerk:Clerk-Secret-1']);
    assert.equal(created.code, 0, created.stderr);
    const view = await host.demo.waitForStatus(propertyTable(created.stdout).id!, ['ACTIVE', 'ERROR']);
    assert.equal(view.status, 'ACTIVE', JSON.stringify(view));
    const { id, ip } = { id: view.id as string, ip: view.ip[0] as string };
    assert.equal(view.configuration.id, groupId);
    const show = async (name: string) => {
      const session = await psql(ip, 'clerk', 'Clerk-Secret-1', 'postgres', `SHOW ${name}`);
      assert.equal(session.code, 0, session.stderr);
      return session.stdout.trim();
    };
    assert.equal(await show('work_mem'), '4MB');
    assert.equal(await show('log_min_duration_statement'), '250ms');

    assert.equal((await host.demo.call('PATCH', `/configurations/${groupId}`, { configuration: { values: { work_mem: '5MB', max_connections: 120 } } })).status, 200);
    await eventually(() => show('work_mem'), '5MB');
    await eventually(() => status(id), 'RESTART_REQUIRED');
    assert.equal(await show('max_connections'), '100');
    const effective = (await host.demo.call('GET', `/instances/${id}/configuration`)).body.instance.configuration;
    assert.equal(effective.work_mem, String(5 * 1024));
    await restart(id);
    assert.equal(await show('max_connections'), '120');
    assert.equal(await show('work_mem'), '5MB');
  });

  it('Redis: CONFIG SET for live parameters, databases at the next restart', async () => {
    const datastore = { type: 'redis', version: '7.0' };
    const { id, ip } = await createInstance('kv-cfg', datastore);
    const root = (await host.demo.call('POST', `/instances/${id}/root`)).body.user;
    const configGet = async (name: string) => {
      const got = await run('redis-cli', ['-h', ip, '--pass', root.password, '--no-auth-warning', 'CONFIG', 'GET', name]);
      assert.equal(got.code, 0, got.stderr);
      return got.stdout.trim().split('\n')[1];
    };
    assert.equal(await configGet('maxmemory-policy'), 'noeviction');
    const groupId = await cliGroup('kv', { 'maxmemory-policy': 'allkeys-lru', timeout: 300, save: '900 1' }, 'redis', '7.0');
    const attached = await troveCli(['configuration-attach', id, groupId]);
    assert.equal(attached.code, 0, attached.stderr);
    await eventually(() => configGet('maxmemory-policy'), 'allkeys-lru');
    assert.equal(await configGet('timeout'), '300');
    assert.equal(await configGet('save'), '900 1');
    assert.equal(await status(id), 'ACTIVE');

    assert.equal((await host.demo.call('PATCH', `/configurations/${groupId}`, { configuration: { values: { databases: 32 } } })).status, 200);
    await eventually(() => status(id), 'RESTART_REQUIRED');
    assert.equal(await configGet('databases'), '16');
    await restart(id);
    assert.equal(await configGet('databases'), '32');
    // The group's values are in the files the engine starts from: still in force after the restart.
    assert.equal(await configGet('maxmemory-policy'), 'allkeys-lru');

    // A change while the engine is down goes to its files, for the next start, and says so.
    const agent = new AgentClient(join(host.dataDir, 'instances', id, 'agent.sock'));
    await agent.call(routes.engineStop);
    assert.equal((await host.demo.call('PATCH', `/configurations/${groupId}`, { configuration: { values: { timeout: 600 } } })).status, 200);
    await eventually(async () => readFileSync(join(host.dataDir, 'instances', id, 'run', 'overrides.conf'), 'utf8').includes('timeout "600"'), true);
    await agent.call(routes.engineStart);
    await eventually(() => status(id), 'RESTART_REQUIRED');
    assert.equal(await configGet('timeout'), '600');
    await restart(id);
    assert.equal(await status(id), 'ACTIVE');
  });
});
