import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { propertyTable } from '../test-support/cli-output.js';
import { asApp, createAppInstance } from '../test-support/mariadb.js';
import { eventually } from '../test-support/eventually.js';
import { run } from '../test-support/processes.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/** Configuration groups on a real MariaDB, driven as a tenant would: the trove CLI, then the API. */
describe('configuration groups on MariaDB', () => {
  let host: TroveHost;
  let env: NodeJS.ProcessEnv;
  let instance: { id: string; ip: string };
  before(async () => {
    host = await startTroveHost('127.0.60.0/24');
    env = openstackEnv(host);
    instance = await createAppInstance(host.demo, 'cfg-db', '2');
  });
  after(async () => {
    await host?.close();
  });

  const troveCli = async (args: string[]) => {
    const result = await run('/usr/bin/python3', ['/usr/bin/trove', ...args], env, 120_000);
    return result;
  };
  const variable = async (name: string) => {
    const shown = await asApp(instance.ip, `SHOW GLOBAL VARIABLES LIKE '${name}'`);
    assert.equal(shown.code, 0, shown.stderr);
    return shown.stdout.trim().split('\t')[1];
  };
  const status = async () => (await host.demo.call('GET', `/instances/${instance.id}`)).body.instance.status as string;
  const restart = async () => {
    const restarted = await troveCli(['restart', instance.id]);
    assert.equal(restarted.code, 0, restarted.stderr);
    await eventually(status, 'ACTIVE', 120_000);
  };

  let groupId = '';
  it('creates, attaches and shows a group with the trove CLI; the engine takes dynamic values at once', async () => {
    const created = await troveCli(['configuration-create', 'tuned', '{"max_connections": 222, "connect_timeout": 20}', '--datastore', 'mysql', '--datastore_version', '10.11']);
    assert.equal(created.code, 0, created.stderr);
    groupId = propertyTable(created.stdout).id!;
    assert.match(groupId, /^[0-9a-f-]{36}$/);
    const attached = await troveCli(['configuration-attach', instance.id, groupId]);
    assert.equal(attached.code, 0, attached.stderr);
    await eventually(() => variable('max_connections'), '222');
    assert.equal(await variable('connect_timeout'), '20');
    assert.equal(await status(), 'ACTIVE');

    const shown = propertyTable((await troveCli(['configuration-show', groupId])).stdout);
    assert.equal(shown.instance_count, '1');
    assert.match(shown.values ?? '', /max_connections.*222/);
    assert.match((await troveCli(['configuration-instances', groupId])).stdout, new RegExp(instance.id));
    const view = (await host.demo.call('GET', `/instances/${instance.id}`)).body.instance;
    assert.equal(view.configuration.id, groupId);
    assert.equal(view.configuration.name, 'tuned');

    const effective = (await host.demo.call('GET', `/instances/${instance.id}/configuration`)).body.instance.configuration;
    assert.equal(effective.max_connections, '222');
    assert.equal(effective.connect_timeout, '20');
    const defaults = await troveCli(['configuration-default', instance.id]);
    assert.equal(defaults.code, 0, defaults.stderr);
    assert.match(defaults.stdout, /max_connections +\| (b')?222/);
    const again = await troveCli(['configuration-attach', instance.id, groupId]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already has a Configuration Group attached/);
  });

  it('previews a change: the diff against what is in effect, what needs a restart, and the memory arithmetic', async () => {
    const preview = await host.demo.call('POST', `/instances/${instance.id}/configuration/preview`, { values: { max_connections: 230, connect_timeout: 20, innodb_log_file_size: '64M' } });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    const changes = preview.body.preview.changes as Array<{ name: string; current: string; proposed: unknown; restart_required: boolean }>;
    assert.deepEqual(changes.map((c) => c.name).sort(), ['innodb_log_file_size', 'max_connections']);
    assert.deepEqual(
      changes.find((c) => c.name === 'max_connections'),
      { name: 'max_connections', current: '222', proposed: 230, restart_required: false },
    );
    assert.equal(changes.find((c) => c.name === 'innodb_log_file_size')!.restart_required, true);
    assert.equal(preview.body.preview.restart_required, true);
    assert.equal(preview.body.preview.memory.fits, true);
    assert.match(preview.body.preview.memory.arithmetic, /innodb_buffer_pool_size 300\.0 MB .* max_connections 230 × \(sort_buffer_size 2\.0 MB/);
    const tooMany = await host.demo.call('POST', `/instances/${instance.id}/configuration/preview`, { values: { max_connections: 400 } });
    assert.equal(tooMany.status, 200);
    assert.equal(tooMany.body.preview.memory.fits, false);
    assert.match(tooMany.body.preview.memory.arithmetic, /max_connections 400 × .* > the flavor's 1\.00 GB of RAM/);
    // Nothing was applied.
    assert.equal(await variable('max_connections'), '222');
  });

  it('puts a restart-required change in RESTART_REQUIRED until the restart, which puts it in force', async () => {
    const before = await variable('innodb_log_file_size');
    const patched = await host.demo.call('PATCH', `/configurations/${groupId}`, { configuration: { values: { innodb_log_file_size: '64M' } } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await eventually(status, 'RESTART_REQUIRED');
    assert.equal(await variable('innodb_log_file_size'), before);
    await restart();
    assert.equal(await variable('innodb_log_file_size'), String(64 * 1024 * 1024));
    assert.equal(await variable('max_connections'), '222');
  });

  it('refuses to delete an attached group; detaching (as the CLI sends it) reverts dynamic values at once, the others at the restart', async () => {
    const refused = await host.demo.call('DELETE', `/configurations/${groupId}`);
    assert.equal(refused.status, 400);
    assert.match(refused.body.badRequest.message, /attached to 1 instance.*detach it before deleting/);
    const detached = await troveCli(['configuration-detach', instance.id]);
    assert.equal(detached.code, 0, detached.stderr);
    // Answered once in force: 100 connections per 512 MB of the 1 GB flavor, and the server's own connect_timeout of my.cnf.
    assert.equal(await variable('max_connections'), '200');
    assert.equal(await variable('connect_timeout'), '15');
    // The group's innodb_log_file_size needs a restart to go.
    await eventually(status, 'RESTART_REQUIRED');
    assert.equal(await variable('innodb_log_file_size'), String(64 * 1024 * 1024));
    await restart();
    assert.equal(await variable('max_connections'), '200');
    assert.equal((await host.demo.call('GET', `/instances/${instance.id}`)).body.instance.configuration, undefined);
    const deleted = await troveCli(['configuration-delete', groupId]);
    assert.equal(deleted.code, 0, deleted.stderr);
  });

  it('evaluates formulas per flavor, and a resize re-tunes what the group leaves alone', async () => {
    const created = await host.demo.call('POST', '/configurations', { configuration: { name: 'per-flavor', values: { max_connections: '{RAM_MB / 5}' }, datastore: { type: 'mysql', version: '10.11' } } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.configuration.values.max_connections, '{RAM_MB / 5}');
    assert.equal((await host.demo.call('PUT', `/instances/${instance.id}`, { instance: { configuration: created.body.configuration.id } })).status, 202);
    await eventually(() => variable('max_connections'), '204');
    assert.equal(await variable('innodb_buffer_pool_size'), String(300 * 1024 * 1024));
    const resized = await troveCli(['resize-instance', instance.id, '3']);
    assert.equal(resized.code, 0, resized.stderr);
    await sleep(500);
    await eventually(status, 'ACTIVE', 180_000);
    assert.equal(await variable('max_connections'), '409');
    assert.equal(await variable('innodb_buffer_pool_size'), String(600 * 1024 * 1024));
    assert.equal((await host.demo.call('PUT', `/instances/${instance.id}`, { configuration: null })).status, 202);
    // The flavor's own value again, at once: 100 connections per 512 MB of 2 GB.
    assert.equal(await variable('max_connections'), '400');
    assert.equal(await status(), 'ACTIVE');
  });

  it('accepts a worst case above the RAM with a warning, refuses fixed buffers above it, and bad values with the rule', async () => {
    const greedy = await host.demo.call('POST', '/configurations', { configuration: { name: 'greedy', values: { innodb_buffer_pool_size: '1536M', max_connections: 400 }, datastore: { type: 'mysql', version: '10.11' } } });
    assert.equal(greedy.status, 200);
    const greedyId = greedy.body.configuration.id as string;
    const arithmetic = /innodb_buffer_pool_size 1\.50 GB \+ .*max_connections 400 × \(.*\) = [\d.]+ GB > the flavor's 2\.00 GB of RAM/;
    const preview = await host.demo.call('POST', `/instances/${instance.id}/configuration/preview`, { configuration: greedyId });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.equal(preview.body.preview.memory.refused, false);
    assert.match(preview.body.preview.warnings[0], arithmetic);
    const attach = await host.demo.call('PUT', `/instances/${instance.id}`, { instance: { configuration: greedyId } });
    assert.equal(attach.status, 202, JSON.stringify(attach.body));
    assert.equal((await host.demo.call('GET', `/instances/${instance.id}`)).body.instance.configuration.id, greedyId);
    const shown = await host.demo.call('GET', `/configurations/${greedyId}`);
    assert.match(shown.body.configuration.warnings[0], new RegExp(`^Instance ${instance.id} \\(2048 MB\\): At full load`));
    assert.match(shown.body.configuration.warnings[0], arithmetic);
    assert.match(host.server.output(), /At full load the engine could use more memory than the flavor has/);
    await eventually(status, 'ACTIVE');
    assert.equal((await host.demo.call('PUT', `/instances/${instance.id}`, { instance: { configuration: null } })).status, 202);
    assert.equal(await variable('innodb_buffer_pool_size'), String(600 * 1024 * 1024));
    assert.equal(await status(), 'ACTIVE');

    const fixed = await host.demo.call('POST', '/configurations', { configuration: { name: 'fixed', values: { innodb_buffer_pool_size: '3G' }, datastore: { type: 'mysql', version: '10.11' } } });
    assert.equal(fixed.status, 200);
    const refused = await host.demo.call('PUT', `/instances/${instance.id}`, { instance: { configuration: fixed.body.configuration.id } });
    assert.equal(refused.status, 422);
    assert.match(refused.body.unprocessableEntity.message, /fixed buffers alone need more memory than the flavor has: innodb_buffer_pool_size 3\.00 GB .* > the flavor's 2\.00 GB of RAM/);
    assert.equal((await host.demo.call('GET', `/instances/${instance.id}`)).body.instance.configuration, undefined);

    const bad = await troveCli(['configuration-create', 'bad', '{"max_connections": -5}', '--datastore', 'mysql', '--datastore_version', '10.11']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /max_connections is less than the minimum allowed: 10/);
    const unknown = await host.demo.call('POST', '/configurations', { configuration: { name: 'bad', values: { no_such_param: 1 }, datastore: { type: 'mysql', version: '10.11' } } });
    assert.equal(unknown.status, 422);
    assert.equal(unknown.body.unprocessableEntity.message, 'The configuration parameter no_such_param is not supported for this datastore: mysql 10.11.');
    const parameters = await troveCli(['configuration-parameter-show', '--datastore', 'mysql', '10.11', 'innodb_log_file_size']);
    assert.equal(parameters.code, 0, parameters.stderr);
    assert.match(parameters.stdout, /restart_required +\| True/);
  });

  it('lists, patches and replaces groups, lists parameters, and shows a version, with the trove CLI', async () => {
    const created = await troveCli(['configuration-create', 'cli-patch', '{"wait_timeout": 70}', '--datastore', 'mysql', '--datastore_version', '10.11']);
    assert.equal(created.code, 0, created.stderr);
    const id = propertyTable(created.stdout).id!;
    assert.match((await troveCli(['configuration-list'])).stdout, /cli-patch/);
    assert.equal((await troveCli(['configuration-patch', id, '{"interactive_timeout": 80}'])).code, 0);
    assert.deepEqual((await host.demo.call('GET', `/configurations/${id}`)).body.configuration.values, { wait_timeout: 70, interactive_timeout: 80 });
    const replaced = await troveCli(['configuration-update', id, '{"wait_timeout": 90}', '--name', 'cli-replaced']);
    assert.equal(replaced.code, 0, replaced.stderr);
    const shown = (await host.demo.call('GET', `/configurations/${id}`)).body.configuration;
    assert.deepEqual([shown.name, shown.values], ['cli-replaced', { wait_timeout: 90 }]);
    const parameters = await troveCli(['configuration-parameter-list', '--datastore', 'mysql', '10.11']);
    assert.equal(parameters.code, 0, parameters.stderr);
    assert.match(parameters.stdout, /max_connections/);
    const versions = (await host.demo.call('GET', '/datastores/mysql/versions')).body.versions;
    const version = await troveCli(['datastore-version-show', versions[0].id]);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(propertyTable(version.stdout).name, '10.11');
    assert.equal((await troveCli(['configuration-delete', id])).code, 0);
  });

  it('shows and changes a user, and publishes a guest log, with the trove CLI', async () => {
    assert.equal((await troveCli(['user-create', instance.id, 'cli-ann', 'Ann-Secret-1'])).code, 0);
    const user = await troveCli(['user-show', instance.id, 'cli-ann']);
    assert.equal(user.code, 0, user.stderr);
    assert.equal(propertyTable(user.stdout).name, 'cli-ann');
    const changed = await troveCli(['user-update-attributes', instance.id, 'cli-ann', '--new_password', 'Ann-Secret-2']);
    assert.equal(changed.code, 0, changed.stderr);
    const session = await run('mariadb', ['--no-defaults', '-h', instance.ip, '-u', 'cli-ann', '--password=Ann-Secret-2', '-N', '-e', 'SELECT 1']);
    assert.equal(session.stdout.trim(), '1', session.stderr);
    assert.equal((await troveCli(['user-delete', instance.id, 'cli-ann'])).code, 0);
    const published = await troveCli(['log-publish', instance.id, 'error']);
    assert.equal(published.code, 0, published.stderr);
    assert.ok(Number(propertyTable(published.stdout).published) > 0, published.stdout);
  });
});
