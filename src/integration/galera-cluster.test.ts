import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AgentClient } from '../agent/rpc/client.js';
import { routes } from '../agent/rpc/routes.js';
import { sleep } from '../common/time.js';
import { waitForClusterTask } from '../test-support/cluster-task.js';
import { leftovers } from '../test-support/leaks.js';
import { propertyTable, tableRows } from '../test-support/cli-output.js';
import { crashAtStepEnv } from '../test-support/crash-at-step.js';
import { mariadbClient } from '../test-support/mariadb.js';
import { run, TROVE_BIN } from '../test-support/processes.js';
import { DEFAULT_TOML, openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const CLERK = { name: 'clerk', password: 'Clerk-Secret-1' };
const member = { flavorRef: '2', volume: { size: 1 } };

/** Galera from Debian's galera-4 under the mysql datastore: three real MariaDB servers that form one cluster. */
describe('Galera clusters', () => {
  let host: TroveHost;
  let clusterId = '';
  let members: Array<{ id: string; ip: string }> = [];

  before(async () => {
    // A cluster with no member serving is started again soon: the tests below wait for it.
    host = await startTroveHost('127.0.40.0/24', `${DEFAULT_TOML}\n[clusters]\nrestart_after_seconds = 5\n`);
  });
  after(async () => {
    await host?.close();
  });

  const inUse = async (resource: string) => {
    const { quotas } = (await host.admin.call('GET', `/mgmt/quotas/${host.demo.projectId}`)).body;
    return quotas.find((q: { resource: string }) => q.resource === resource).in_use as number;
  };
  const showCluster = async () => (await host.demo.call('GET', `/clusters/${clusterId}`)).body.cluster;
  /** Polls the cluster until its task is one of `tasks` (or it is gone: 'GONE'). */
  const waitForTask = (tasks: string[], timeoutMs: number) => waitForClusterTask(host, clusterId, tasks, timeoutMs);
  /** The message of a Trove fault. */
  const faultMessage = (body: unknown) => Object.values(body as Record<string, { message?: string }>)[0]?.message ?? JSON.stringify(body);
  const asClerk = (ip: string, sql: string) => mariadbClient(ip, CLERK.name, CLERK.password, sql);
  /** Debian's python3-troveclient and python3-openstackclient, as the demo user. */
  const troveCli = (args: string[]) => run('/usr/bin/python3', ['/usr/bin/trove', ...args], openstackEnv(host), 120_000);
  /** This project's own `trove`. */
  const ownCli = (args: string[]) => run(TROVE_BIN, args, { ...openstackEnv(host), HOME: host.dataDir }, 600_000);
  const openstack = async (args: string[]) => {
    const result = await run('/usr/bin/python3', ['/usr/bin/openstack', ...args, '-f', 'json'], openstackEnv(host), 120_000);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout);
  };

  it('refuses bad requests with a 4xx that says what to fix, and makes nothing', async () => {
    const create = (cluster: object) => host.demo.call('POST', '/clusters', { cluster: { name: 'bad', datastore: { type: 'mysql', version: '10.11' }, instances: [member, member, member], ...cluster } });
    const cases: Array<[object, number, RegExp]> = [
      [{ instances: [member, member] }, 400, /at least 3; got 2/],
      [{ instances: [member, member, { ...member, flavorRef: '3' }] }, 400, /flavor for each instance in a cluster must be the same/],
      [{ instances: [member, member, { ...member, volume: { size: 2 } }] }, 400, /volume size for each instance in a cluster must be the same/],
      [{ instances: [member, member, { flavorRef: '2' }] }, 400, /volume size is required/],
      [{ instances: [1, 2, 3].map(() => ({ ...member, flavorRef: 'no-such-flavor' })) }, 400, /Flavor 'no-such-flavor' cannot be found/],
      [{ datastore: { type: 'postgresql' } }, 400, /Clusters not supported for postgresql/],
      [{ datastore: { type: 'mysql', version: '9.9' } }, 400, /version '9.9' cannot be found/],
      [{ instances: [1, 2, 3].map(() => ({ ...member, type: 'shard' })) }, 400, /of type 'member'; got 'shard'/],
      [{ configuration: 'some-group' }, 404, /Configuration group with ID some-group could not be found/],
      [{ unknown_field: 1 }, 400, /unknown_field/],
    ];
    for (const [body, status, message] of cases) {
      const refused = await create(body);
      assert.equal(refused.status, status, `${JSON.stringify(body)}: ${JSON.stringify(refused.body)}`);
      assert.match(faultMessage(refused.body), message);
    }
    assert.deepEqual((await host.demo.call('GET', '/clusters')).body.clusters, []);
    assert.deepEqual((await host.demo.call('GET', '/instances?include_clustered=True')).body.instances, []);
    assert.equal(await inUse('instances'), 0);
    assert.equal((await host.demo.call('GET', '/clusters/00000000-0000-0000-0000-000000000000')).status, 404);
  });

  it('builds three members into one cluster from `trove cluster-create`, through a kill -9 of the server, each ACTIVE, with every address in the cluster’s ip', async () => {
    // The server dies once the members have been given the final list, before that step is recorded: resumed, it runs the step again.
    const note = join(host.dataDir, 'crash-notes');
    await host.restart(crashAtStepEnv({ kind: 'cluster.create', step: 'settle-membership', when: 'after' }, note));
    const spec = ['--instance', 'flavor=2,volume=1'];
    const created = await troveCli(['cluster-create', 'shop', 'mysql', '10.11', ...spec, ...spec, ...spec]);
    assert.equal(created.code, 0, created.stderr);
    const printed = propertyTable(created.stdout);
    clusterId = printed.id!;
    assert.deepEqual([printed.name, printed.datastore, printed.datastore_version, printed.task_name, printed.instance_count], ['shop', 'mysql', '10.11', 'BUILDING', '3']);
    const cluster = await showCluster();
    assert.deepEqual(cluster.task, { id: 2, name: 'BUILDING', description: 'Building the initial cluster.' });
    assert.deepEqual(
      cluster.instances.map((i: { name: string; type: string }) => [i.name, i.type]),
      [1, 2, 3].map((n) => [`shop-member-${n}`, 'member']),
    );
    assert.equal(await inUse('instances'), 3, 'every member counts against the quota');

    assert.ok(await host.exitsWithin(8 * 60_000), `the server was not killed at cluster.create:settle-membership\n${host.agentLogs(2000)}`);
    assert.match(readFileSync(note, 'utf8'), /^cluster\.create:settle-membership:after$/m);
    await host.restart();
    const built = await waitForTask(['NONE'], 4 * 60_000);
    assert.equal(built.fault, undefined, JSON.stringify(built.fault));
    assert.deepEqual(built.task, { id: 1, name: 'NONE', description: 'No tasks for the cluster.' });
    assert.deepEqual(
      built.instances.map((i: { status: string }) => i.status),
      ['ACTIVE', 'ACTIVE', 'ACTIVE'],
    );
    members = built.instances.map((i: { id: string; ip: string[] }) => ({ id: i.id, ip: i.ip[0]! }));
    assert.deepEqual(built.ip, members.map((m) => m.ip).sort());

    const shown = await troveCli(['cluster-show', 'shop']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual([propertyTable(shown.stdout).task_name, propertyTable(shown.stdout).ip], ['NONE', built.ip.join(', ')]);
    const memberTable = await troveCli(['cluster-instances', 'shop']);
    assert.equal(memberTable.code, 0, memberTable.stderr);
    assert.deepEqual(
      tableRows(memberTable.stdout)
        .map((row) => row.slice(1))
        .sort((a, b) => a[0]!.localeCompare(b[0]!)),
      [1, 2, 3].map((n) => [`shop-member-${n}`, '2', '1', 'ACTIVE']),
    );
    const viaOpenstack = await openstack(['database', 'cluster', 'list']);
    assert.deepEqual(
      viaOpenstack.map((c: Record<string, string>) => [c.ID, c.Name, c['Task Name']]),
      [[clusterId, 'shop', 'NONE']],
    );

    const listed = (await host.demo.call('GET', '/clusters')).body.clusters;
    assert.deepEqual(
      listed.map((c: { id: string }) => c.id),
      [clusterId],
    );
    const plain = (await host.demo.call('GET', '/instances')).body.instances;
    assert.deepEqual(plain, [], 'members are not listed as instances of their own');
    const clustered = (await host.demo.call('GET', '/instances?include_clustered=True')).body.instances;
    assert.deepEqual(clustered.map((i: { id: string }) => i.id).sort(), members.map((m) => m.id).sort());
    assert.ok(clustered.every((i: { cluster_id: string }) => i.cluster_id === clusterId));
    const one = await host.demo.call('GET', `/clusters/${clusterId}/instances/${members[2]!.id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.instance.cluster_id, clusterId);
    assert.equal((await host.demo.call('GET', `/clusters/${clusterId}/instances/00000000-0000-0000-0000-000000000000`)).status, 404);
  });

  it('takes databases and users through one member for all, and every member is writable', async () => {
    const [first, second, third] = members as [(typeof members)[0], (typeof members)[0], (typeof members)[0]];
    assert.equal((await host.demo.call('POST', `/instances/${first.id}/databases`, { databases: [{ name: 'shop' }] })).status, 202);
    const user = await host.demo.call('POST', `/instances/${first.id}/users`, { users: [{ ...CLERK, databases: [{ name: 'shop' }] }] });
    assert.equal(user.status, 202, JSON.stringify(user.body));
    const size = await asClerk(third.ip, "SHOW STATUS LIKE 'wsrep_cluster_size'");
    assert.equal(size.code, 0, size.stderr);
    assert.equal(size.stdout.trim(), 'wsrep_cluster_size\t3');

    const created = await asClerk(first.ip, 'CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(20)); INSERT INTO shop.orders (item) VALUES ("tea")');
    assert.equal(created.code, 0, created.stderr);
    const onThird = await asClerk(third.ip, 'SELECT item FROM shop.orders');
    assert.equal(onThird.stdout.trim(), 'tea', 'written on member 1, read on member 3');
    const written = await asClerk(second.ip, 'INSERT INTO shop.orders (item) VALUES ("cake")');
    assert.equal(written.code, 0, written.stderr);
    const onFirst = await asClerk(first.ip, 'SELECT item FROM shop.orders ORDER BY item');
    assert.deepEqual(onFirst.stdout.trim().split('\n'), ['cake', 'tea'], 'written on member 2, read on member 1');

    const users = (await host.demo.call('GET', `/instances/${third.id}/users`)).body.users;
    assert.deepEqual(
      users.map((u: { name: string }) => u.name),
      ['clerk'],
      'the transfer account stays hidden; the user made on member 1 is on member 3',
    );
  });

  it('enables root of the cluster with `trove root-enable` through one member, and every member takes it', async () => {
    const ROOT = 'Root-Of-Shop-1';
    const root = (ip: string) => mariadbClient(ip, 'root', ROOT, 'SELECT CURRENT_USER()');
    const before = await troveCli(['root-show', 'shop']);
    assert.equal(before.code, 0, before.stderr);
    assert.equal(propertyTable(before.stdout).is_root_enabled, 'False');
    const enabled = await troveCli(['root-enable', 'shop', '--root_password', ROOT]);
    assert.equal(enabled.code, 0, enabled.stderr);
    assert.deepEqual([propertyTable(enabled.stdout).name, propertyTable(enabled.stdout).password], ['root', ROOT]);
    for (const m of members) {
      const login = await root(m.ip);
      assert.equal(login.code, 0, `root logs in on ${m.id}: ${login.stderr}`);
      assert.equal((await host.demo.call('GET', `/instances/${m.id}/root`)).body.rootEnabled, true, `${m.id} records root`);
    }
    const after = await troveCli(['root-show', 'shop']);
    assert.equal(propertyTable(after.stdout).is_root_enabled, 'True');
    const ours = await ownCli(['--json', 'root-show', 'shop']);
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(JSON.parse(ours.stdout).rootEnabled, true, "this project's trove finds the cluster by its name too");
    assert.equal((await host.demo.call('DELETE', `/clusters/${clusterId}/root`)).status, 204);
    for (const m of members) assert.notEqual((await root(m.ip)).code, 0, `root is gone on ${m.id}`);
    assert.equal((await host.demo.call('GET', '/clusters/00000000-0000-0000-0000-000000000000/root')).status, 404);
    const refused = await host.demo.call('POST', `/clusters/${clusterId}/root`, { password: 'x\u0000y' });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
  });

  it("backs up one member with `trove backup-create`, and `trove create --backup` of it gives a standalone instance with the cluster's data", async () => {
    const source = members[1]!;
    const taken = await troveCli(['backup-create', source.id, 'shop-backup']);
    assert.equal(taken.code, 0, taken.stderr);
    const backupId = propertyTable(taken.stdout).id!;
    const backup = await host.demo.waitForBackup(backupId, ['COMPLETED', 'FAILED'], 180_000);
    assert.equal(backup.status, 'COMPLETED', JSON.stringify(backup));
    await host.demo.waitForStatus(source.id, ['ACTIVE'], 60_000);
    const restored = await troveCli(['create', 'shop-copy', '2', '--size', '1', '--backup', backupId]);
    assert.equal(restored.code, 0, restored.stderr);
    const copyId = propertyTable(restored.stdout).id!;
    const copy = await host.demo.waitForStatus(copyId, ['ACTIVE'], 180_000);
    assert.equal(copy.cluster_id, undefined, 'the copy is no member of any cluster');
    const copyIp = copy.ip[0];
    assert.deepEqual((await asClerk(copyIp, 'SELECT item FROM shop.orders ORDER BY item')).stdout.trim().split('\n'), ['cake', 'tea']);
    assert.equal((await asClerk(copyIp, "SHOW VARIABLES LIKE 'wsrep_on'")).stdout.trim(), 'wsrep_on\tOFF');
    const written = await asClerk(copyIp, "INSERT INTO shop.orders (item) VALUES ('copy-only')");
    assert.equal(written.code, 0, written.stderr);
    assert.equal((await asClerk(members[0]!.ip, "SELECT COUNT(*) FROM shop.orders WHERE item = 'copy-only'")).stdout.trim(), '0', 'a write on the copy stays there');
    assert.equal((await host.demo.call('DELETE', `/instances/${copyId}`)).status, 202);
    await host.demo.waitForStatus(copyId, ['GONE'], 120_000);
    assert.equal((await host.demo.call('DELETE', `/backups/${backupId}`)).status, 202);
    await host.demo.waitForBackup(backupId, ['GONE']);
  });

  const variable = async (ip: string, name: string) => (await asClerk(ip, `SHOW VARIABLES LIKE '${name}'`)).stdout.trim().split('\t')[1];
  let groupId = '';

  it('applies a configuration group to every member, restarting them one at a time for the values that need it', async () => {
    const group = await host.demo.call('POST', '/configurations', { configuration: { name: 'shop-config', datastore: { type: 'mysql', version: '10.11' }, values: { max_connections: 123, innodb_log_buffer_size: 33554432 } } });
    assert.equal(group.status, 200, JSON.stringify(group.body));
    groupId = group.body.configuration.id;
    const pids = members.map((m) => enginePid(m.id));
    assert.equal((await host.demo.call('POST', `/clusters/${clusterId}`, { configuration_attach: { configuration_id: '00000000-0000-0000-0000-000000000000' } })).status, 404);
    // The server dies once every member has restarted, before that is recorded: resumed, the step restarts none again.
    const note = join(host.dataDir, 'crash-notes-configure');
    await host.restart(crashAtStepEnv({ kind: 'cluster.configure', step: 'rolling-restart', when: 'after' }, note));
    const attached = await host.demo.call('POST', `/clusters/${clusterId}`, { configuration_attach: { configuration_id: groupId } });
    assert.equal(attached.status, 202, JSON.stringify(attached.body));
    assert.equal(attached.body.cluster.task.name, 'UPDATING_CLUSTER');
    assert.ok(await host.exitsWithin(5 * 60_000), `the server was not killed at cluster.configure:rolling-restart\n${host.agentLogs(2000)}`);
    assert.match(readFileSync(note, 'utf8'), /^cluster\.configure:rolling-restart:after$/m);
    const restartedOnce = members.map((m) => enginePid(m.id));
    await host.restart();
    const done = await waitForTask(['NONE'], 5 * 60_000);
    assert.deepEqual(
      members.map((m) => enginePid(m.id)),
      restartedOnce,
      'the resumed task restarts no member a second time',
    );
    assert.equal(done.fault, undefined, JSON.stringify(done.fault));
    assert.equal(done.configuration, groupId);
    for (const [i, m] of members.entries()) {
      assert.equal(await variable(m.ip, 'max_connections'), '123', `${m.id} runs the group's live value`);
      assert.equal(await variable(m.ip, 'innodb_log_buffer_size'), '33554432', `${m.id} was restarted for the value that needs it`);
      assert.notEqual(enginePid(m.id), pids[i], `${m.id} has a new engine process`);
      assert.equal((await host.demo.waitForStatus(m.id, ['ACTIVE'], 60_000)).status, 'ACTIVE');
    }
    assert.equal((await asClerk(members[2]!.ip, "SHOW STATUS LIKE 'wsrep_cluster_size'")).stdout.trim(), 'wsrep_cluster_size\t3');
    const other = await host.demo.call('POST', '/configurations', { configuration: { name: 'other', datastore: { type: 'mysql', version: '10.11' }, values: { max_connections: 99 } } });
    const refused = await host.demo.call('POST', `/clusters/${clusterId}`, { configuration_attach: { configuration_id: other.body.configuration.id } });
    assert.equal(refused.status, 400);
    assert.match(faultMessage(refused.body), /already has a Configuration Group attached/);
    assert.equal((await host.demo.call('DELETE', `/configurations/${other.body.configuration.id}`)).status, 202);
  });

  it('refuses what would break the cluster if done to one member, and changes nothing', async () => {
    const first = members[0]!;
    const attempts: Array<[string, string, object | undefined, number, RegExp]> = [
      ['DELETE', `/instances/${first.id}`, undefined, 400, /part of a cluster.*cannot be deleted/],
      ['POST', `/instances/${first.id}/action`, { restart: {} }, 400, /part of a cluster.*cannot be restarted/],
      ['POST', `/instances/${first.id}/action`, { resize: { volume: { size: 2 } } }, 400, /part of a cluster.*cannot resize its volume/],
      ['POST', '/instances', { instance: { name: 'copy', replica_of: first.id } }, 400, /part of a cluster.*cannot have replicas/],
      ['POST', `/clusters/${clusterId}`, { upgrade: {} }, 400, /Action 'upgrade' not supported on this server yet/],
      ['POST', `/clusters/${clusterId}`, { shrink: [{ id: first.id }] }, 400, /keeps at least 3 members.*would leave 2/],
      ['POST', `/clusters/${clusterId}`, { shrink: [{ id: '00000000-0000-0000-0000-000000000000' }] }, 404, /is not a member of cluster/],
      ['POST', `/clusters/${clusterId}`, { grow: [{ flavorRef: 'no-such-flavor', volume: { size: 1 } }] }, 400, /Flavor 'no-such-flavor' cannot be found/],
      ['POST', `/clusters/${clusterId}`, { grow: [] }, 400, /grow/],
      ['POST', `/clusters/${clusterId}`, { dance: {} }, 400, /Action dance not supported/],
      ['POST', `/clusters/${clusterId}`, { 'reset-status': {} }, 403, /admin/i],
    ];
    for (const [method, path, body, status, message] of attempts) {
      const refused = await host.demo.call(method, path, body);
      assert.equal(refused.status, status, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(refused.body)}`);
      assert.match(faultMessage(refused.body), message);
    }
    const cluster = await showCluster();
    assert.equal(cluster.task.name, 'NONE');
    assert.deepEqual(
      cluster.instances.map((i: { status: string }) => i.status),
      ['ACTIVE', 'ACTIVE', 'ACTIVE'],
    );
    assert.equal(await inUse('instances'), 3);
  });

  /** Inserts rows through `ip` until `stop` resolves (at most `limit`); the items the server acknowledged. */
  const writeLoop = async (ip: string, tag: string, stop: Promise<unknown>, limit: number) => {
    let stopped = false;
    void stop.then(() => {
      stopped = true;
    });
    const acknowledged: string[] = [];
    for (let n = 0; n < limit && !stopped; n++) {
      const item = `${tag}-${n}`;
      if ((await asClerk(ip, `INSERT INTO shop.orders (item) VALUES ('${item}')`)).code === 0) acknowledged.push(item);
    }
    return acknowledged;
  };
  const items = async (ip: string, tag: string) => (await asClerk(ip, `SELECT item FROM shop.orders WHERE item LIKE '${tag}-%'`)).stdout.trim().split('\n').filter(Boolean);
  const memberState = async (ip: string) => (await asClerk(ip, "SHOW STATUS LIKE 'wsrep_local_state_comment'")).stdout.trim();

  it('grows to four with `trove cluster-grow`: the new member receives the data while the others keep taking writes', async () => {
    let grown: (v: unknown) => void = () => undefined;
    const done = new Promise((resolve) => {
      grown = resolve;
    });
    const writes = writeLoop(members[0]!.ip, 'grow', done, 2000);
    const asked = await troveCli(['cluster-grow', 'shop', '--instance', 'flavor=2,volume=1']);
    assert.equal(asked.code, 0, asked.stderr);
    const growing = await showCluster();
    assert.equal(growing.task.name, 'GROWING_CLUSTER');
    const after = await waitForTask(['NONE'], 6 * 60_000);
    grown(undefined);
    const acknowledged = await writes;
    assert.equal(after.fault, undefined, JSON.stringify(after.fault));
    assert.deepEqual(
      after.instances.map((i: { name: string; status: string }) => [i.name, i.status]),
      [1, 2, 3, 4].map((n) => [`shop-member-${n}`, 'ACTIVE']),
    );
    assert.equal(after.ip.length, 4);
    assert.ok(acknowledged.length > 0, 'writes went on during the grow');
    const fourth = after.instances[3];
    members = after.instances.map((i: { id: string; ip: string[] }) => ({ id: i.id, ip: i.ip[0]! }));
    assert.equal((await asClerk(fourth.ip[0], "SHOW STATUS LIKE 'wsrep_cluster_size'")).stdout.trim(), 'wsrep_cluster_size\t4');
    assert.equal(await variable(fourth.ip[0], 'max_connections'), '123', "the new member runs the cluster's configuration group");
    assert.deepEqual((await items(fourth.ip[0], 'grow')).sort(), [...acknowledged].sort(), 'every write acknowledged during the grow is on the new member');
    assert.equal(await inUse('instances'), 4);
  });

  it('detaches the configuration group from every member, back to the tuned values', async () => {
    const detached = await ownCli(['--json', 'cluster-configuration-detach', 'shop', '--wait']);
    assert.equal(detached.code, 0, detached.stderr);
    assert.equal(JSON.parse(detached.stdout).task.name, 'NONE', "this project's trove waits until every member runs without the group");
    const done = await waitForTask(['NONE'], 60_000);
    assert.equal(done.fault, undefined, JSON.stringify(done.fault));
    assert.equal(done.configuration, undefined);
    for (const m of members) {
      assert.notEqual(await variable(m.ip, 'max_connections'), '123', m.id);
      assert.equal(await variable(m.ip, 'innodb_log_buffer_size'), '16777216', m.id);
    }
    assert.equal((await host.demo.call('POST', `/clusters/${clusterId}`, { configuration_detach: {} })).status, 400, 'nothing left to detach');
    assert.equal((await host.demo.call('DELETE', `/configurations/${groupId}`)).status, 202);
  });

  it('takes back a member killed with SIGKILL under a write loop: no acknowledged write lost, the member ACTIVE again by itself', async () => {
    const [writer, victim] = members as [(typeof members)[0], (typeof members)[0]];
    const pidFile = `${host.dataDir}/instances/${victim.id}/run/mysqld.pid`;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    let back: (v: unknown) => void = () => undefined;
    const rejoined = new Promise((resolve) => {
      back = resolve;
    });
    const writes = writeLoop(writer.ip, 'kill', rejoined, 2000);
    await sleep(500);
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 180_000;
    let state = '';
    while (Date.now() < deadline) {
      state = await memberState(victim.ip);
      if (state.endsWith('Synced')) break;
      await sleep(500);
    }
    back(undefined);
    const acknowledged = await writes;
    assert.match(state, /Synced$/, `${victim.id} came back\n${host.agentLogs(2000)}`);
    assert.notEqual(Number(readFileSync(pidFile, 'utf8').trim()), pid, 'a new engine process');
    assert.ok(acknowledged.length > 0);
    for (const m of members) assert.deepEqual((await items(m.ip, 'kill')).sort(), [...acknowledged].sort(), `every acknowledged write is on ${m.id}`);
    const view = await host.demo.waitForStatus(victim.id, ['ACTIVE'], 60_000);
    assert.equal(view.status, 'ACTIVE');
  });

  it('shrinks to three with `trove cluster-shrink`: the member leaves cleanly and is deleted, the others keep every row', async () => {
    const leaving = members[1]!;
    const before = await items(members[0]!.ip, 'grow');
    const asked = await troveCli(['cluster-shrink', 'shop', leaving.id]);
    assert.equal(asked.code, 0, asked.stderr);
    const after = await waitForTask(['NONE'], 3 * 60_000);
    assert.equal(after.fault, undefined, JSON.stringify(after.fault));
    assert.deepEqual(
      after.instances.map((i: { name: string }) => i.name),
      ['shop-member-1', 'shop-member-3', 'shop-member-4'],
    );
    assert.equal((await host.demo.call('GET', `/instances/${leaving.id}`)).status, 404);
    members = members.filter((m) => m.id !== leaving.id);
    for (const m of members) {
      assert.equal((await asClerk(m.ip, "SHOW STATUS LIKE 'wsrep_cluster_size'")).stdout.trim(), 'wsrep_cluster_size\t3');
      assert.deepEqual((await items(m.ip, 'grow')).sort(), [...before].sort());
    }
    assert.equal(await inUse('instances'), 3);
  });

  /** Waits until every member is Synced in a cluster of them all, and ACTIVE. */
  const waitAllSynced = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    let states: string[] = [];
    while (Date.now() < deadline) {
      states = await Promise.all(members.map(async (m) => `${await memberState(m.ip)} ${(await asClerk(m.ip, "SHOW STATUS LIKE 'wsrep_cluster_size'")).stdout.trim()}`));
      if (states.every((s) => s.includes('Synced') && s.endsWith(`\t${members.length}`))) break;
      await sleep(1000);
    }
    assert.ok(
      states.every((s) => s.includes('Synced')),
      `every member is Synced again: ${JSON.stringify(states)}\n${host.agentLogs(3000)}`,
    );
    for (const m of members) await host.demo.waitForStatus(m.id, ['ACTIVE'], 60_000);
    return waitForTask(['NONE'], 60_000);
  };
  const enginePid = (id: string) => Number(readFileSync(`${host.dataDir}/instances/${id}/run/mysqld.pid`, 'utf8').trim());

  it("restarts every member one at a time with this project's `trove cluster-restart --wait`, the cluster serving throughout", async () => {
    const pids = members.map((m) => enginePid(m.id));
    let restarted: (v: unknown) => void = () => undefined;
    const over = new Promise((resolve) => {
      restarted = resolve;
    });
    // Writes go through the member restarted last: it serves while the others restart.
    const writes = writeLoop(members[2]!.ip, 'restart', over, 3000);
    const result = await ownCli(['--json', 'cluster-restart', 'shop', '--wait']);
    restarted(undefined);
    const acknowledged = await writes;
    assert.equal(result.code, 0, result.stderr);
    const cluster = JSON.parse(result.stdout);
    assert.equal(cluster.task.name, 'NONE');
    assert.equal(cluster.fault, undefined, JSON.stringify(cluster.fault));
    for (const [i, m] of members.entries()) {
      assert.notEqual(enginePid(m.id), pids[i], `${m.id} has a new engine process`);
      assert.equal((await host.demo.waitForStatus(m.id, ['ACTIVE'], 60_000)).status, 'ACTIVE');
    }
    assert.ok(acknowledged.length > 0, 'writes went on during the restart');
    for (const m of members) assert.deepEqual((await items(m.ip, 'restart')).sort(), [...acknowledged].sort(), `every acknowledged write is on ${m.id}`);
  });

  it('comes back by itself after every member was killed with SIGKILL under a write loop, with every acknowledged write', async () => {
    let back: (v: unknown) => void = () => undefined;
    const cameBack = new Promise((resolve) => {
      back = resolve;
    });
    const writes = writeLoop(members[0]!.ip, 'all', cameBack, 3000);
    await sleep(500);
    for (const m of members) process.kill(enginePid(m.id), 'SIGKILL');
    const cluster = await waitAllSynced(5 * 60_000);
    back(undefined);
    const acknowledged = await writes;
    assert.ok(acknowledged.length > 0);
    assert.equal(cluster.fault, undefined, JSON.stringify(cluster.fault));
    for (const m of members) assert.deepEqual((await items(m.ip, 'all')).sort(), [...acknowledged].sort(), `every acknowledged write is on ${m.id}`);
  });

  it('starts again from the member whose data goes furthest after every member stopped one after another', async () => {
    // The server dies once the most advanced member serves again, before that is recorded: resumed, the step finds it serving.
    const note = join(host.dataDir, 'crash-notes-restart');
    await host.restart(crashAtStepEnv({ kind: 'cluster.restart-stopped', step: 'start-most-advanced', when: 'after' }, note));
    const agents = members.map((m) => new AgentClient(join(host.dataDir, 'instances', m.id, 'agent.sock')));
    const acknowledged: string[] = [];
    // Each member stops while the ones left take writes: the last to stop holds writes no other member has.
    for (let n = 0; n < members.length; n++) {
      let stopped: (v: unknown) => void = () => undefined;
      const stop = new Promise((resolve) => {
        stopped = resolve;
      });
      const writer = members[(n + 1) % members.length]!;
      const writes = n < members.length - 1 ? writeLoop(writer.ip, `stop${n}`, stop, 200) : Promise.resolve([]);
      await sleep(1500);
      await agents[n]!.call(routes.engineStop);
      stopped(undefined);
      acknowledged.push(...(await writes));
      if (n < members.length - 1) {
        const late = await asClerk(writer.ip, `INSERT INTO shop.orders (item) VALUES ('stop${n}-last')`);
        assert.equal(late.code, 0, late.stderr);
        acknowledged.push(`stop${n}-last`);
      }
    }
    assert.ok(await host.exitsWithin(5 * 60_000), `the server was not killed at cluster.restart-stopped:start-most-advanced\n${host.agentLogs(2000)}`);
    assert.match(host.server.output(), /starting it again from the most advanced member/);
    assert.match(readFileSync(note, 'utf8'), /^cluster\.restart-stopped:start-most-advanced:after$/m);
    await host.restart();
    const cluster = await waitAllSynced(5 * 60_000);
    assert.equal(cluster.fault, undefined, JSON.stringify(cluster.fault));
    for (const m of members) {
      const found = [...(await items(m.ip, 'stop0')), ...(await items(m.ip, 'stop1'))].sort();
      assert.deepEqual(found, [...acknowledged].sort(), `every acknowledged write is on ${m.id}`);
    }
  });

  it('is deleted with `trove cluster-delete`, with all its members, leaving no process, mount, folder or quota behind', async () => {
    const deleted = await troveCli(['cluster-delete', 'shop']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /Request to delete cluster shop has been accepted/);
    assert.equal((await host.demo.call('DELETE', `/clusters/${clusterId}`)).status, 202, 'a second delete is accepted too');
    await waitForTask(['GONE'], 3 * 60_000);
    assert.deepEqual((await host.demo.call('GET', '/instances?include_clustered=True')).body.instances, []);
    assert.deepEqual((await host.demo.call('GET', '/clusters')).body.clusters, []);
    assert.equal(await inUse('instances'), 0);
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });
  });
});
