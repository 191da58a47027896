import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { leftovers } from '../test-support/leaks.js';
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

  it('validates every agent RPC', async () => {
    const socketPath = join(host.dataDir, 'instances', id, 'agent.sock');
    const post = (path: string, body: unknown) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request({ socketPath, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const injection = await post('/prepare', { flavor: { ram_mb: 1024, vcpus: 1 }, databases: [{ name: "x`; DROP DATABASE mysql; --" }], users: [] });
    assert.equal(injection.status, 400);
    assert.match(injection.body, /must match pattern/);
    const extra = await post('/prepare', { flavor: { ram_mb: 1024, vcpus: 1 }, databases: [], users: [], shell: 'rm -rf /' });
    assert.equal(extra.status, 400);
    const negative = await post('/prepare', { flavor: { ram_mb: -1, vcpus: 1 }, databases: [], users: [] });
    assert.equal(negative.status, 400);
  });

  it('has a crashed engine restarted by its agent', async () => {
    const pidFile = join(host.dataDir, 'instances', id, 'run', 'mysqld.pid');
    const before = Number(readFileSync(pidFile, 'utf8').trim());
    process.kill(before, 'SIGKILL');
    const deadline = Date.now() + 60_000;
    let after = before;
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        after = Number(readFileSync(pidFile, 'utf8').trim());
      } catch {
        // being rewritten
      }
    }
    assert.notEqual(after, before, 'a new engine process runs');
    await host.demo.waitForStatus(id, ['ACTIVE'], 60_000);
    let data = await mariadb(ip, 'app', 'App-Secret-1', 'SELECT x FROM appdb.t');
    for (let i = 0; i < 50 && data.code !== 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      data = await mariadb(ip, 'app', 'App-Secret-1', 'SELECT x FROM appdb.t');
    }
    assert.equal(data.stdout.trim(), '42', 'committed data survives the crash');
  });

  it('renames, restarts and lists instances as Trove does', async () => {
    assert.equal((await host.demo.call('PATCH', `/instances/${id}`, { instance: { name: 'shop-main' } })).status, 202);
    assert.equal((await host.demo.call('PUT', `/instances/${id}`, { instance: {} })).status, 202);
    const list = (await host.demo.call('GET', '/instances?include_clustered=False')).body;
    assert.deepEqual(list.instances.map((i: { name: string }) => i.name), ['shop-main']);
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

  it('marks a silent agent within seconds, and comes back by itself after agent and engine are killed', async () => {
    const agentPid = Number((await run('cat', [`${host.dataDir}/instances/${id}/agent.pid`])).stdout.trim());
    const enginePid = Number((await run('cat', [`${host.dataDir}/instances/${id}/run/mysqld.pid`])).stdout.trim());
    process.kill(agentPid, 'SIGSTOP');
    try {
      const silent = await host.demo.waitForStatus(id, ['SHUTDOWN', 'ERROR'], 30_000);
      assert.equal(silent.operating_status, 'UNKNOWN');
      assert.match(silent.fault.message, /unreachable since/);
    } finally {
      process.kill(enginePid, 'SIGKILL');
      process.kill(agentPid, 'SIGKILL');
    }
    const back = await host.demo.waitForStatus(id, ['ACTIVE'], 60_000);
    assert.equal(back.fault, undefined);
    const data = await mariadb(ip, 'app', 'App-Secret-1', 'SELECT x FROM appdb.t');
    assert.equal(data.stdout.trim(), '42');
  });

  it('refuses bad input with a 4xx that says what to fix, leaving no instance behind', async () => {
    const cases: Array<[object | string, number, RegExp]> = [
      [createBody('x', { flavorRef: '9999' }), 400, /Flavor '9999' cannot be found/],
      [createBody('x', { datastore: { type: 'oracle', version: '19' } }), 404, /Datastore 'oracle' cannot be found/],
      [createBody('x', { datastore: { type: 'mysql', version: '9.9' } }), 400, /Datastore version '9.9' cannot be found/],
      [createBody('x', { volume: { size: 0 } }), 400, /at least 1/],
      [createBody('x', { volume: { size: 100000 } }), 413, /cannot exceed maximum/],
      [createBody('x', { volume: { size: 'big' } }), 400, /'instance\.volume\.size' must be integer/],
      [createBody('x', { volume: undefined }), 400, /Volume size was not specified/],
      [createBody('x', { users: [{ name: 'u', password: 'p1' }, { name: 'u', password: 'p2' }] }), 400, /given twice/],
      [createBody('x', { databases: [{ name: 'a b;c' }] }), 400, /not a valid schema name/],
      [createBody('x', { users: [{ name: 'bad;name', password: 'p' }] }), 400, /not a valid user name/],
      [{ instance: { flavorRef: '2', volume: { size: 1 } } }, 400, /'instance\.name' is required/],
      ['{"instance": {"name": "x",', 400, /Malformed request body/],
    ];
    for (const [body, status, message] of cases) {
      const response = typeof body === 'string' ? await host.demo.call('POST', '/instances', undefined, body) : await host.demo.call('POST', '/instances', body);
      assert.equal(response.status, status, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
      const fault = Object.values(response.body as object)[0] as { message: string };
      assert.match(fault.message, message);
    }
    const list = (await host.demo.call('GET', '/instances')).body.instances;
    assert.equal(list.length, 1, 'no instance row was written');
    assert.equal(leftovers(host.dataDir).folders.length, 1, 'no instance folder was made');
  });

  it('enforces the instance quota at create with 413 and writes nothing', async () => {
    const set = await host.admin.call('PUT', `/mgmt/quotas/${host.demo.projectId}`, { quotas: { instances: 1 } });
    assert.equal(set.status, 200);
    const refused = await host.demo.call('POST', '/instances', createBody('second'));
    assert.equal(refused.status, 413);
    assert.match(refused.body.overLimit.message, /Quota exceeded for resources: \['instances'\]/);
    assert.equal((await host.demo.call('GET', '/instances')).body.instances.length, 1);
    await host.admin.call('PUT', `/mgmt/quotas/${host.demo.projectId}`, { quotas: { instances: 10 } });
  });

  it('resumes a create after trove serve is killed mid-way', async () => {
    for (const delayMs of [0, 150, 400]) {
      const created = await host.demo.call('POST', '/instances', createBody(`crash-${delayMs}`));
      assert.equal(created.status, 200);
      await new Promise((r) => setTimeout(r, delayMs));
      host.crash();
      await host.restart();
      const outcome = await host.demo.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR'], 120_000);
      assert.equal(outcome.status, 'ACTIVE', `after a crash at ${delayMs} ms: ${JSON.stringify(outcome)}`);
      const ping = await mariadb(outcome.ip[0], 'app', 'App-Secret-1', 'SELECT 1');
      assert.equal(ping.code, 0, ping.stderr);
    }
  });

  it('deletes instances from any state and leaves nothing behind', async () => {
    const building = await host.demo.call('POST', '/instances', createBody('short-lived'));
    assert.equal(building.status, 200);
    const instances = (await host.demo.call('GET', '/instances')).body.instances as Array<{ id: string }>;
    for (const instance of instances) assert.equal((await host.demo.call('DELETE', `/instances/${instance.id}`)).status, 202);
    assert.equal((await host.demo.call('DELETE', `/instances/${id}`)).status, 202, 'deleting again is accepted');
    for (const instance of instances) await host.demo.waitForStatus(instance.id, ['GONE'], 120_000);
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [] });
    const state = new Database(join(host.dataDir, 'trove.db'), { readonly: true });
    try {
      assert.deepEqual(state.prepare('SELECT COUNT(*) AS n FROM address_leases').get(), { n: 0 }, 'every address went back to the pool');
    } finally {
      state.close();
    }
    const quotas = (await host.demo.call('GET', `/mgmt/quotas/${host.demo.projectId}`)).body.quotas;
    assert.deepEqual(quotas.map((q: { in_use: number }) => q.in_use), [0, 0, 0, 0]);
  });
});
