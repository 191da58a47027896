import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { run } from '../test-support/processes.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/** `openstack database …` (python3-openstackclient) over a real MariaDB instance's life. */
describe('openstack database commands against a real instance', () => {
  let host: TroveHost;
  let env: NodeJS.ProcessEnv;
  const openstack = async (args: string[], json = true) => {
    const result = await run('/usr/bin/python3', ['/usr/bin/openstack', 'database', ...args, ...(json ? ['-f', 'json'] : [])], env, 120_000);
    assert.equal(result.code, 0, `openstack database ${args.join(' ')}: ${result.stderr}`);
    return json && result.stdout.trim() ? JSON.parse(result.stdout) : result.stdout;
  };
  const status = async () => (await openstack(['instance', 'show', 'ostack'])).status as string;
  const waitActive = async () => {
    const deadline = Date.now() + 120_000;
    while ((await status()) !== 'ACTIVE') {
      if (Date.now() > deadline) throw new Error('instance did not become ACTIVE');
      await sleep(300);
    }
  };

  before(async () => {
    host = await startTroveHost('127.0.29.0/24');
    env = openstackEnv(host);
  });
  after(async () => {
    await host?.close();
  });

  it('creates an instance, manages its databases, users, root, logs, size and configuration group, and deletes it', async () => {
    const created = await openstack(['instance', 'create', 'ostack', '--flavor', '1', '--size', '1', '--datastore', 'mysql', '--datastore-version', '10.11', '--nic', 'net-id=11111111-2222-3333-4444-555555555555']);
    assert.equal(created.status, 'BUILD');
    await waitActive();
    const id = (await openstack(['instance', 'show', 'ostack'])).id as string;

    await openstack(['db', 'create', id, 'shop'], false);
    assert.deepEqual(
      (await openstack(['db', 'list', id])).map((d: { Name: string }) => d.Name),
      ['shop'],
    );
    await openstack(['user', 'create', id, 'clerk', 'Clerk-Secret-1', '--databases', 'shop'], false);
    assert.deepEqual(
      (await openstack(['user', 'list', id])).map((u: { Name: string }) => u.Name),
      ['clerk'],
    );
    assert.equal((await openstack(['user', 'show', id, 'clerk'])).name, 'clerk');
    // The client prints `ip` as text (possibly several, comma-separated), or as a list.
    const shownIp: unknown = (await openstack(['instance', 'show', 'ostack'])).ip;
    const ip = Array.isArray(shownIp) ? String(shownIp[0]) : String(shownIp).split(',')[0]!.trim();
    assert.match(ip, /^127\.0\.29\.\d+$/);
    const login = await run('mariadb', ['--no-defaults', '-h', ip, '-u', 'clerk', '--password=Clerk-Secret-1', '-e', 'SHOW DATABASES']);
    assert.equal(login.code, 0, login.stderr);
    await openstack(['user', 'delete', id, 'clerk'], false);
    await openstack(['db', 'delete', id, 'shop'], false);
    assert.deepEqual(await openstack(['db', 'list', id]), []);

    const root = await openstack(['root', 'enable', id]);
    assert.equal(root.name, 'root');
    assert.ok(String(root.password).length >= 24);
    assert.match(JSON.stringify(await openstack(['root', 'show', id])), /true/i);
    await openstack(['root', 'disable', id], false);

    const logs = await openstack(['log', 'list', id]);
    assert.deepEqual(
      logs.map((l: { Name: string }) => l.Name),
      ['general', 'slow_query', 'error'],
    );
    await openstack(['log', 'set', id, 'general', '--enable']);
    assert.notEqual((await openstack(['log', 'show', id, 'general'])).status, 'Disabled');

    // 200 connections on the smallest flavor: more than its RAM at worst, which is a warning, not a refusal.
    await openstack(['configuration', 'create', 'cfg-small', '{"max_connections": 200}', '--datastore', 'mysql', '--datastore-version', '10.11']);
    const smallId = (await openstack(['configuration', 'show', 'cfg-small'])).id as string;
    const preview = await host.demo.call('POST', `/instances/${id}/configuration/preview`, { configuration: smallId });
    assert.equal(preview.status, 200, JSON.stringify(preview.body));
    assert.match(preview.body.preview.warnings[0], /At full load .*max_connections 200 × .* > the flavor's 512\.0 MB of RAM/);
    await openstack(['configuration', 'attach', id, 'cfg-small'], false);
    assert.equal((await host.demo.call('GET', `/instances/${id}/configuration`)).body.instance.configuration.max_connections, '200');
    await openstack(['configuration', 'detach', id], false);
    await openstack(['configuration', 'delete', 'cfg-small'], false);

    await openstack(['instance', 'resize', 'volume', id, '2'], false);
    await waitActive();
    await openstack(['instance', 'resize', 'flavor', id, '2'], false);
    await waitActive();
    const resized = await openstack(['instance', 'show', 'ostack']);
    assert.equal(resized.volume, 2);
    assert.equal(resized.flavor, '2');

    const group = await openstack(['configuration', 'create', 'cfg-os', '{"wait_timeout": 77}', '--datastore', 'mysql', '--datastore-version', '10.11']);
    assert.equal(group.name, 'cfg-os');
    await openstack(['configuration', 'attach', id, 'cfg-os'], false);
    const deadlineApplied = Date.now() + 60_000;
    const effective = async () => (await host.demo.call('GET', `/instances/${id}/configuration`)).body.instance.configuration.wait_timeout as string;
    while ((await effective()) !== '77' && Date.now() < deadlineApplied) await sleep(200);
    assert.equal(await effective(), '77');
    assert.equal((await openstack(['configuration', 'show', 'cfg-os'])).instance_count, 1);
    assert.deepEqual((await openstack(['configuration', 'parameter', 'show', '--datastore', 'mysql', '10.11', 'wait_timeout'])).restart_required, false);
    await openstack(['configuration', 'detach', id], false);
    // A dynamic value goes back to the server's own at once, without a restart.
    assert.equal(await effective(), '28800');
    assert.equal(await status(), 'ACTIVE');
    await openstack(['instance', 'restart', id], false);
    await sleep(300);
    await waitActive();
    await openstack(['configuration', 'delete', 'cfg-os'], false);
    assert.deepEqual(await openstack(['configuration', 'list']), []);

    await openstack(['instance', 'delete', id], false);
    const deadline = Date.now() + 60_000;
    while ((await openstack(['instance', 'list'])).length > 0 && Date.now() < deadline) await sleep(300);
    assert.deepEqual(await openstack(['instance', 'list']), []);
  });

  it('creates a replica without a flavor, promotes it, and detaches the old source, as the OpenStack client sends them', async () => {
    const waitFor = async (name: string, wanted: (view: Record<string, unknown>) => boolean) => {
      const deadline = Date.now() + 180_000;
      let view = await openstack(['instance', 'show', name]);
      while (!wanted(view)) {
        if (Date.now() > deadline) throw new Error(`${name}: ${JSON.stringify(view)}`);
        await sleep(300);
        view = await openstack(['instance', 'show', name]);
      }
      return view;
    };
    await openstack(['instance', 'create', 'os-src', '--flavor', '1', '--size', '1', '--datastore', 'redis']);
    const source = await waitFor('os-src', (v) => v.status === 'ACTIVE');
    // The client sends no flavorRef for a replica: it gets its source's.
    await openstack(['instance', 'create', 'os-rep', '--replica-of', 'os-src']);
    const replica = await waitFor('os-rep', (v) => v.status === 'ACTIVE');
    assert.equal(replica.replica_of, source.id);
    assert.equal(replica.flavor, source.flavor);
    assert.equal((await openstack(['instance', 'show', 'os-src'])).replicas, replica.id);
    assert.ok((await openstack(['instance', 'list'])).some((i: { Name: string; Role?: string }) => i.Name === 'os-rep' && i.Role === 'replica'));

    await openstack(['instance', 'promote', 'os-rep'], false);
    await waitFor('os-rep', (v) => v.status === 'ACTIVE' && v.replica_of === undefined);
    assert.equal((await openstack(['instance', 'show', 'os-src'])).replica_of, replica.id);
    await openstack(['instance', 'detach', 'os-src'], false);
    await waitFor('os-src', (v) => v.status === 'ACTIVE' && v.replica_of === undefined);
    for (const name of ['os-src', 'os-rep']) await openstack(['instance', 'delete', name], false);
  });
});
