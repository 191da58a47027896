import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { propertyTable } from '../test-support/cli-output.js';
import { crashAtStepEnv } from '../test-support/crash-at-step.js';
import { waitForClusterTask } from '../test-support/cluster-task.js';
import { leftovers } from '../test-support/leaks.js';
import { redisCli } from '../test-support/redis.js';
import { run, TROVE_BIN } from '../test-support/processes.js';
import { DEFAULT_TOML, openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const CLERK = { name: 'clerk', password: 'Clerk-Secret-1' };
const KEYS = 10_000;
const primary = 'flavor=2,volume=1,type=primary';
const replica = 'flavor=2,volume=1,type=replica';

interface Member {
  id: string;
  name: string;
  type: string;
  status: string;
  ip: string[];
}

/** Redis Cluster from Debian's redis-server: real servers, formed, grown and shrunk by redis-cli's own cluster manager. */
describe('Redis clusters', () => {
  let host: TroveHost;
  let clusterId = '';

  before(async () => {
    host = await startTroveHost('127.0.43.0/24', DEFAULT_TOML);
  });
  after(async () => {
    await host?.close();
  });

  const showCluster = async () => (await host.demo.call('GET', `/clusters/${clusterId}`)).body.cluster;
  const waitForTask = (tasks: string[], timeoutMs: number) => waitForClusterTask(host, clusterId, tasks, timeoutMs);
  /** The server dies once `step` of `kind` has run, before that is recorded; `act` starts the task; resumed, the task runs the step again. */
  const throughCrash = async (kind: string, step: string, act: () => Promise<void>) => {
    const note = join(host.dataDir, `crash-${step}`);
    await host.restart(crashAtStepEnv({ kind, step, when: 'after' }, note));
    await act();
    assert.ok(await host.exitsWithin(5 * 60_000), `the server was not killed at ${kind}:${step}\n${host.agentLogs(2000)}`);
    assert.match(readFileSync(note, 'utf8'), new RegExp(`^${kind.replace('.', '\\.')}:${step}:after$`, 'm'));
    await host.restart();
  };
  const faultMessage = (body: unknown) => Object.values(body as Record<string, { message?: string }>)[0]?.message ?? JSON.stringify(body);
  const troveCli = (args: string[]) => run('/usr/bin/python3', ['/usr/bin/trove', ...args], openstackEnv(host), 120_000);
  const ownCli = (args: string[]) => run(TROVE_BIN, args, { ...openstackEnv(host), HOME: host.dataDir }, 600_000);
  const asClerk = (ip: string, args: string[]) => redisCli(ip, CLERK.name, CLERK.password, args);
  /** `redis-cli -c` with one command a line on its standard input, following the cluster's redirections. */
  const clusterClient = (ip: string, commands: string[]) => run('redis-cli', ['-c', '-h', ip, '-p', '6379', '--no-auth-warning', '--user', CLERK.name], { PATH: process.env.PATH, REDISCLI_AUTH: CLERK.password }, 300_000, `${commands.join('\n')}\n`);
  const keyNames = Array.from({ length: KEYS }, (_, i) => `item:${i}`);
  /** How many of the keys read back through `ip` hold what was written. */
  const readable = async (ip: string) => {
    const read = await clusterClient(
      ip,
      keyNames.map((k) => `GET ${k}`),
    );
    assert.equal(read.code, 0, read.stderr);
    // redis-cli tells of each redirection on a line of its own.
    const values = read.stdout.split('\n').filter((line) => line !== '' && !line.startsWith('-> Redirected'));
    return values.filter((v, i) => v === `value-${i}`).length;
  };
  /** Each member's view of itself, through the cluster's own CLUSTER NODES. */
  const primariesWithSlots = async (ip: string) => {
    const nodes = await asClerk(ip, ['CLUSTER', 'NODES']);
    assert.equal(nodes.code, 0, nodes.stderr);
    return nodes.stdout
      .trim()
      .split('\n')
      .filter((line) => line.split(' ')[2]!.includes('master') && !line.split(' ')[2]!.includes('fail') && line.split(' ').length > 8)
      .map((line) => line.split(' ')[1]!.split(':')[0]!)
      .sort();
  };

  it('refuses bad requests with a 4xx that says what to fix, and makes nothing', async () => {
    const one = { flavorRef: '2', volume: { size: 1 } };
    const create = (instances: object[]) => host.demo.call('POST', '/clusters', { cluster: { name: 'bad', datastore: { type: 'redis' }, instances } });
    const cases: Array<[object[], RegExp]> = [
      [[one, one, { ...one, type: 'replica' }], /at least 3 instances of type 'primary'; got 2/],
      [[one, one, { ...one, type: 'member' }], /of type 'primary' or 'replica'; got 'member'/],
      [[one, one, { ...one, type: ['primary', 'replica'] }], /one type .*got 'primary' and 'replica'/],
    ];
    for (const [instances, message] of cases) {
      const refused = await create(instances);
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.match(faultMessage(refused.body), message);
    }
    assert.deepEqual((await host.demo.call('GET', '/clusters')).body.clusters, []);
  });

  it('creates three shards, each with a replica, from `trove cluster-create`, through a kill -9 of the server once formed; a user made on one member logs in on every one', async () => {
    await throughCrash('cluster.create', 'form', async () => {
      const created = await troveCli(['cluster-create', 'cache', 'redis', '7.0', ...[primary, primary, primary, replica, replica, replica].flatMap((spec) => ['--instance', spec])]);
      assert.equal(created.code, 0, created.stderr);
      clusterId = propertyTable(created.stdout).id!;
    });
    const built = await waitForTask(['NONE'], 5 * 60_000);
    assert.equal(built.fault, undefined, JSON.stringify(built.fault));
    assert.deepEqual(
      built.instances.map((m: Member) => [m.name, m.type, m.status]),
      [1, 2, 3, 4, 5, 6].map((n) => [`cache-member-${n}`, n <= 3 ? 'primary' : 'replica', 'ACTIVE']),
    );
    const ips = built.instances.map((m: Member) => m.ip[0]!);
    assert.deepEqual(built.ip, [...ips].sort());

    const first = built.instances[0] as Member;
    const made = await host.demo.call('POST', `/instances/${first.id}/users`, { users: [{ name: CLERK.name, password: CLERK.password }] });
    assert.equal(made.status, 202, JSON.stringify(made.body));
    for (const ip of ips) assert.equal((await asClerk(ip, ['ACL', 'WHOAMI'])).stdout.trim(), CLERK.name, `the user logs in on ${ip}`);
    assert.deepEqual(await primariesWithSlots(ips[5]), ips.slice(0, 3).sort(), 'the three primaries share the slots');
    const nodes = (await asClerk(ips[0], ['CLUSTER', 'NODES'])).stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' '));
    const followed = nodes.filter((fields) => fields[2]!.includes('slave')).map((fields) => fields[3]);
    assert.equal(new Set(followed).size, 3, 'each primary has one replica');
    const info = await asClerk(ips[4], ['CLUSTER', 'INFO']);
    assert.match(info.stdout, /cluster_state:ok/);
    assert.match(info.stdout, /cluster_known_nodes:6/);
  });

  it(`takes ${KEYS} keys through \`redis-cli -c\` on one address and reads every one back through another`, async () => {
    const { ip } = await showCluster();
    const wrote = await clusterClient(
      ip[0],
      keyNames.map((k, i) => `SET ${k} value-${i}`),
    );
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.equal(wrote.stdout.split('\n').filter((line) => line === 'OK').length, KEYS);
    assert.equal(await readable(ip[ip.length - 1]), KEYS);
  });

  it('grows to four shards with `trove cluster-grow`, through a kill -9 of the server once the slots moved: every key stays readable', async () => {
    await throughCrash('cluster.grow', 'add-members', async () => {
      const grown = await troveCli(['cluster-grow', 'cache', '--instance', primary, '--instance', replica]);
      assert.equal(grown.code, 0, grown.stderr);
    });
    const after = await waitForTask(['NONE'], 5 * 60_000);
    assert.equal(after.fault, undefined, JSON.stringify(after.fault));
    assert.equal(after.instances.length, 8);
    assert.deepEqual(
      after.instances.slice(6).map((m: Member) => [m.name, m.type, m.status]),
      [
        ['cache-member-7', 'primary', 'ACTIVE'],
        ['cache-member-8', 'replica', 'ACTIVE'],
      ],
    );
    const newPrimary = (after.instances[6] as Member).ip[0]!;
    const nodes = (await asClerk(newPrimary, ['CLUSTER', 'NODES'])).stdout
      .trim()
      .split('\n')
      .map((line) => line.split(' '));
    const nodeAt = (ip: string) => nodes.find((fields) => fields[1]!.startsWith(`${ip}:`))!;
    assert.equal(nodeAt((after.instances[7] as Member).ip[0]!)[3], nodeAt(newPrimary)[0], 'the new replica follows the new primary');
    assert.ok((await primariesWithSlots(after.ip[0])).includes(newPrimary), 'the new primary serves slots');
    const keysThere = await asClerk(newPrimary, ['DBSIZE']);
    assert.ok(Number(keysThere.stdout.trim()) > KEYS / 8, `keys moved onto the new primary: ${keysThere.stdout}`);
    assert.equal((await asClerk((after.instances[7] as Member).ip[0]!, ['ACL', 'WHOAMI'])).stdout.trim(), CLERK.name, 'the new members have the user');
    assert.equal(await readable(newPrimary), KEYS);
  });

  it('fails a primary over to its replica when it is killed with SIGKILL and stays down; it comes back as a replica', async () => {
    const cluster = await showCluster();
    const victim = cluster.instances[0] as Member;
    const dir = join(host.dataDir, 'instances', victim.id);
    const agentPid = Number(readFileSync(join(dir, 'agent.pid'), 'utf8').trim());
    const enginePid = Number(readFileSync(join(dir, 'run', 'redis.pid'), 'utf8').trim());
    // The agent is frozen first, so that nothing starts the engine again: the member is gone as a dead host is.
    process.kill(agentPid, 'SIGSTOP');
    try {
      process.kill(enginePid, 'SIGKILL');
      const other = cluster.ip.find((ip: string) => ip !== victim.ip[0]);
      const deadline = Date.now() + 60_000;
      let primaries: string[] = [];
      while (Date.now() < deadline) {
        primaries = await primariesWithSlots(other);
        if (primaries.length === 4 && !primaries.includes(victim.ip[0]!)) break;
        await sleep(500);
      }
      assert.equal(primaries.length, 4, `four primaries serve again: ${primaries.join(' ')}`);
      assert.ok(!primaries.includes(victim.ip[0]!), 'a replica took over the dead primary’s slots');
      assert.match((await asClerk(other, ['CLUSTER', 'INFO'])).stdout, /cluster_state:ok/);
      assert.equal(await readable(other), KEYS);
    } finally {
      process.kill(agentPid, 'SIGCONT');
    }
    const deadline = Date.now() + 120_000;
    let types: string[] = [];
    while (Date.now() < deadline) {
      const now = await showCluster();
      types = now.instances.map((m: Member) => `${m.name}:${m.type}:${m.status}`);
      if (types[0] === `${victim.name}:replica:ACTIVE` && types.filter((t) => t.includes(':primary:')).length === 4) break;
      await sleep(1000);
    }
    assert.equal(types[0], `${victim.name}:replica:ACTIVE`, `the old primary is back as a replica: ${types.join(' ')}`);
    assert.equal(types.filter((t) => t.includes(':primary:')).length, 4, types.join(' '));
  });

  it('restarts every member in turn with this project’s `trove cluster-restart --wait`, every key still readable', async () => {
    const restarted = await ownCli(['cluster-restart', clusterId, '--wait']);
    assert.equal(restarted.code, 0, restarted.stderr);
    const after = await waitForTask(['NONE'], 60_000);
    assert.equal(after.fault, undefined, JSON.stringify(after.fault));
    assert.deepEqual(
      after.instances.map((m: Member) => m.status),
      after.instances.map(() => 'ACTIVE'),
    );
    assert.match((await asClerk(after.ip[0], ['CLUSTER', 'INFO'])).stdout, /cluster_state:ok/);
    assert.equal(await readable(after.ip[1]), KEYS);
  });

  it('shrinks back to three shards with this project’s `trove cluster-shrink`, through a kill -9 of the server: the shard’s slots move off first, no key lost; below three primaries is refused', async () => {
    const cluster = await showCluster();
    const leaving = (cluster.instances as Member[]).filter((m) => m.name === 'cache-member-7' || m.name === 'cache-member-8');
    const primaries = (cluster.instances as Member[]).filter((m) => m.type === 'primary');
    const tooMany = await host.demo.call('POST', `/clusters/${clusterId}`, { shrink: primaries.slice(0, 2).map((m) => ({ id: m.id })) });
    assert.equal(tooMany.status, 400, JSON.stringify(tooMany.body));
    assert.match(faultMessage(tooMany.body), /keeps at least 3 members of type 'primary'.*would leave 2/);

    await throughCrash('cluster.shrink', 'release-members', async () => {
      const shrunk = await ownCli(['cluster-shrink', clusterId, ...leaving.map((m) => m.id)]);
      assert.equal(shrunk.code, 0, shrunk.stderr);
    });
    const after = await waitForTask(['NONE'], 5 * 60_000);
    assert.equal(after.fault, undefined, JSON.stringify(after.fault));
    assert.equal(after.instances.length, 6);
    assert.equal((await primariesWithSlots(after.ip[0])).length, 3);
    assert.match((await asClerk(after.ip[0], ['CLUSTER', 'INFO'])).stdout, /cluster_known_nodes:6/);
    assert.equal(await readable(after.ip[after.ip.length - 1]), KEYS);
  });

  it('is deleted with `trove cluster-delete`, leaving no process, mount, folder or address behind', async () => {
    const deleted = await troveCli(['cluster-delete', 'cache']);
    assert.equal(deleted.code, 0, deleted.stderr);
    await waitForTask(['GONE'], 3 * 60_000);
    assert.deepEqual((await host.demo.call('GET', '/instances?include_clustered=True')).body.instances, []);
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });
  });
});
