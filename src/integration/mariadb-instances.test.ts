import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mariadbClient } from '../test-support/mariadb.js';
import { run } from '../test-support/processes.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const mariadb = mariadbClient;

const createBody = (name: string, extra: object = {}) => ({
  instance: {
    name,
    flavorRef: '2',
    volume: { size: 1, type: null },
    datastore: { type: 'mysql', version: '10.11' },
    databases: [{ name: 'appdb' }],
    users: [{ name: 'app', password: 'App-Secret-1', databases: [{ name: 'appdb' }] }],
    nics: [{ 'net-id': '11111111-2222-3333-4444-555555555555' }],
    ...extra,
  },
});

describe('MariaDB instances through trove serve', () => {
  let host: TroveHost;
  let id = '';
  let ip = '';

  before(async () => {
    host = await startTroveHost('127.0.21.0/24');
  });
  after(async () => {
    await host?.close();
  });

  it('creates a hardened, tuned MariaDB that clients reach at the address the API reports', async () => {
    const created = await host.demo.call('POST', '/instances', createBody('shop'));
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.instance.status, 'BUILD');
    id = created.body.instance.id;
    const active = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR']);
    assert.equal(active.status, 'ACTIVE', JSON.stringify(active));
    assert.equal(active.operating_status, 'HEALTHY');
    assert.deepEqual(active.datastore, { type: 'mysql', version: '10.11', version_number: active.datastore.version_number });
    assert.match(active.datastore.version_number, /^10\.11\.\d+$/);
    ip = active.ip[0];
    assert.match(ip, /^127\.0\.21\.\d+$/);
    assert.deepEqual(active.addresses, [{ address: ip, type: 'private', network: 'local' }]);
    assert.ok(active.volume.used > 0 && active.volume.used < 1, `volume.used is measured: ${active.volume.used}`);

    const session = await mariadb(ip, 'app', 'App-Secret-1', 'CREATE TABLE appdb.t (x INT PRIMARY KEY); INSERT INTO appdb.t VALUES (42); SELECT x FROM appdb.t; SHOW DATABASES;');
    assert.equal(session.code, 0, session.stderr);
    assert.deepEqual(session.stdout.trim().split('\n'), ['42', 'appdb', 'information_schema']);
  });

  it('is hardened: no anonymous or remote root login, no file import or export, InnoDB only', async () => {
    const anonymous = await mariadb(ip, 'nobody', undefined, 'SELECT 1');
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stderr, /Access denied/);
    const root = await mariadb(ip, 'root', '', 'SELECT 1');
    assert.notEqual(root.code, 0);
    assert.match(root.stderr, /Access denied/);
    const load = await mariadb(ip, 'app', 'App-Secret-1', "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE appdb.t", ['--local-infile=1']);
    assert.notEqual(load.code, 0);
    assert.match(load.stderr, /command is not allowed|not allowed|disabled/i);
    const outfile = await mariadb(ip, 'app', 'App-Secret-1', "SELECT x FROM appdb.t INTO OUTFILE '/tmp/trove-leak.txt'");
    assert.notEqual(outfile.code, 0);
    assert.match(outfile.stderr, /Access denied|secure-file-priv|--secure-file-priv/);
    const settings = await mariadb(ip, 'app', 'App-Secret-1', 'SELECT @@local_infile, @@enforce_storage_engine, @@skip_name_resolve');
    assert.deepEqual(settings.stdout.trim().split('\t'), ['0', 'InnoDB', '1']);
    const myisam = await mariadb(ip, 'app', 'App-Secret-1', 'SET SESSION sql_mode = "NO_ENGINE_SUBSTITUTION"; CREATE TABLE appdb.m (x INT) ENGINE=MyISAM');
    assert.notEqual(myisam.code, 0, 'MyISAM tables are refused');
  });

  it('sizes the buffer pool from the flavor (150 MB per 512 MB of RAM)', async () => {
    const flavor = (await host.demo.call('GET', '/flavors/2')).body.flavor;
    const pool = await mariadb(ip, 'app', 'App-Secret-1', 'SELECT @@innodb_buffer_pool_size, @@max_connections');
    const [bytes, connections] = pool.stdout.trim().split('\t').map(Number);
    assert.equal(bytes, Math.floor((150 * flavor.ram) / 512) * 1024 * 1024);
    assert.equal(connections, Math.floor((100 * flavor.ram) / 512));
  });

  it('runs the engine as the unprivileged mysql user, inside the flavor’s cgroup limits', async () => {
    const folder = join(host.dataDir, 'instances', id);
    const enginePid = readFileSync(join(folder, 'run', 'mysqld.pid'), 'utf8').trim();
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${enginePid}/status`, 'utf8'))?.[1];
    assert.equal(uid, (await run('id', ['-u', 'mysql'])).stdout.trim());
    const memoryGroup = `/sys/fs/cgroup/memory/trove/${id}`;
    if (!existsSync(memoryGroup)) {
      assert.ok(!existsSync('/sys/fs/cgroup/memory/tasks'), 'limits are applied wherever the host has cgroup v1 memory control');
      return;
    }
    const flavor = (await host.demo.call('GET', '/flavors/2')).body.flavor;
    assert.equal(Number(readFileSync(join(memoryGroup, 'memory.limit_in_bytes'), 'utf8')), (flavor.ram + 128) * 1024 * 1024);
    assert.equal(Number(readFileSync(`/sys/fs/cgroup/cpu/trove/${id}/cpu.cfs_quota_us`, 'utf8')), flavor.vcpus * 100_000);
    assert.ok(readFileSync(join(memoryGroup, 'cgroup.procs'), 'utf8').split('\n').includes(enginePid), 'the engine is inside the group');
  });

  it('renames, restarts and lists instances as Trove does', async () => {
    assert.equal((await host.demo.call('PATCH', `/instances/${id}`, { instance: { name: 'shop-main' } })).status, 202);
    assert.equal((await host.demo.call('PUT', `/instances/${id}`, { instance: {} })).status, 202);
    const list = (await host.demo.call('GET', '/instances?include_clustered=False')).body;
    assert.deepEqual(
      list.instances.map((i: { name: string }) => i.name),
      ['shop-main'],
    );
    assert.equal((await host.demo.call('GET', '/instances/shop-main')).status, 404, 'names are not ids: clients list after a 404');
    assert.equal((await host.demo.call('POST', `/instances/${id}/action`, { restart: {} })).status, 202);
    const restarted = await host.demo.waitForStatus(id, ['ACTIVE']);
    assert.equal(restarted.operating_status, 'HEALTHY');
    const after = await mariadb(ip, 'app', 'App-Secret-1', 'SELECT x FROM appdb.t');
    assert.equal(after.stdout.trim(), '42', 'data survives a restart');
    const unknown = await host.demo.call('POST', `/instances/${id}/action`, { explode: {} });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.badRequest.message, /Unknown action 'explode'/);
    assert.equal((await host.demo.call('POST', `/instances/${id}/action`, { reset_status: {} })).status, 403, 'reset_status is for admins');
  });
});
