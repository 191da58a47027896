import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { crashAtStepEnv, type CrashPoint } from '../test-support/crash-at-step.js';
import { leftovers } from '../test-support/leaks.js';
import { mariadbClient } from '../test-support/mariadb.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const MEMBER = { flavorRef: '2', volume: { size: 1 } };
const CLERK = { name: 'clerk', password: 'Clerk-Secret-1' };
const GROW_STEPS = ['wait-members', 'copy-accounts', 'settle-membership', 'add-members', 'wait-formed', 'record'];
const SHRINK_STEPS = ['release-members', 'delete-members', 'wait-members-gone', 'settle-membership', 'wait-formed', 'record'];

/**
 * A kill -9 of `trove serve` at every step of a real Galera cluster's grow and shrink, and in its
 * delete: each time the server dies once a step has done its work but before it is recorded, is
 * started again, and the resumed task must finish with the cluster whole, no row lost, and nothing
 * left behind. The create's own crash is in galera-cluster.test.ts.
 */
describe('Galera cluster tasks through a kill -9 of the server at each step', () => {
  let host: TroveHost;
  let clusterId = '';
  let crashes = 0;

  before(async () => {
    host = await startTroveHost('127.0.41.0/24', { env: { TROVE_LOG_LEVEL: process.env.TROVE_CRASH_TEST_LOG ?? 'warn' } });
  });
  after(async () => {
    await host?.close();
  });

  const waitIdle = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      const response = await host.demo.call('GET', `/clusters/${clusterId}`);
      last = response.status === 404 ? { task: { name: 'GONE' } } : response.body.cluster;
      if (['NONE', 'GONE'].includes(last.task.name)) return last;
      await sleep(500);
    }
    assert.fail(`cluster ${clusterId} is still ${JSON.stringify(last)} after ${timeoutMs / 1000} s\n${host.agentLogs(3000)}`);
  };
  /** Starts the server with a crash planted at `point`, runs `act`, sees the server die there, and starts it again. */
  const throughCrash = async (point: CrashPoint, act: () => Promise<void>) => {
    const note = join(host.dataDir, `crash-note-${++crashes}`);
    await host.restart(crashAtStepEnv(point, note));
    await act();
    assert.ok(await host.exitsWithin(5 * 60_000), `the server was not killed at ${point.kind}:${point.step}\n${host.agentLogs(2000)}`);
    assert.ok(existsSync(note) && readFileSync(note, 'utf8').includes(`${point.kind}:${point.step}:${point.when}`));
    await host.restart();
  };
  const rows = async (ip: string) => (await mariadbClient(ip, CLERK.name, CLERK.password, 'SELECT COUNT(*) FROM shop.orders')).stdout.trim();
  const insert = async (ip: string) => assert.equal((await mariadbClient(ip, CLERK.name, CLERK.password, 'INSERT INTO shop.orders (item) VALUES ("x")')).code, 0);

  it('builds a cluster to work on', async () => {
    const created = await host.demo.call('POST', '/clusters', { cluster: { name: 'shop', datastore: { type: 'mysql', version: '10.11' }, instances: [MEMBER, MEMBER, MEMBER] } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    clusterId = created.body.cluster.id;
    const built = await waitIdle(5 * 60_000);
    assert.equal(built.fault, undefined, JSON.stringify(built.fault));
    const first = built.instances[0];
    assert.equal((await host.demo.call('POST', `/instances/${first.id}/databases`, { databases: [{ name: 'shop' }] })).status, 202);
    assert.equal((await host.demo.call('POST', `/instances/${first.id}/users`, { users: [{ ...CLERK, databases: [{ name: 'shop' }] }] })).status, 202);
    assert.equal((await mariadbClient(first.ip[0], CLERK.name, CLERK.password, 'CREATE TABLE shop.orders (id INT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(20))')).code, 0);
    await insert(first.ip[0]);
  });

  for (let n = 0; n < Math.max(GROW_STEPS.length, SHRINK_STEPS.length); n++) {
    const growStep = GROW_STEPS[n];
    const shrinkStep = SHRINK_STEPS[n];
    it(`grows by one (crash after ${growStep ?? 'no step'}) and shrinks by one (crash after ${shrinkStep ?? 'no step'}), whole and with every row each time`, async () => {
      const grow = async () => assert.equal((await host.demo.call('POST', `/clusters/${clusterId}`, { grow: [MEMBER] })).status, 202);
      if (growStep) await throughCrash({ kind: 'cluster.grow', step: growStep, when: 'after' }, grow);
      else await grow();
      const grown = await waitIdle(5 * 60_000);
      assert.equal(grown.fault, undefined, JSON.stringify(grown.fault));
      assert.deepEqual(
        grown.instances.map((i: { status: string }) => i.status),
        ['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE'],
      );
      const newest = grown.instances[3];
      assert.equal((await mariadbClient(newest.ip[0], CLERK.name, CLERK.password, "SHOW STATUS LIKE 'wsrep_cluster_size'")).stdout.trim(), 'wsrep_cluster_size\t4');
      const before = await rows(grown.instances[0].ip[0]);
      assert.equal(await rows(newest.ip[0]), before, 'the new member has every row');

      const leaving = grown.instances[1];
      const shrink = async () => assert.equal((await host.demo.call('POST', `/clusters/${clusterId}`, { shrink: [{ id: leaving.id }] })).status, 202);
      if (shrinkStep) await throughCrash({ kind: 'cluster.shrink', step: shrinkStep, when: 'after' }, shrink);
      else await shrink();
      const shrunk = await waitIdle(5 * 60_000);
      assert.equal(shrunk.fault, undefined, JSON.stringify(shrunk.fault));
      assert.equal(shrunk.instances.length, 3, JSON.stringify(shrunk.instances.map((i: { name: string; status: string }) => [i.name, i.status])));
      assert.ok(!shrunk.instances.some((i: { id: string }) => i.id === leaving.id));
      assert.equal((await host.demo.call('GET', `/instances/${leaving.id}`)).status, 404);
      for (const member of shrunk.instances) {
        assert.equal((await mariadbClient(member.ip[0], CLERK.name, CLERK.password, "SHOW STATUS LIKE 'wsrep_cluster_size'")).stdout.trim(), 'wsrep_cluster_size\t3', member.id);
        assert.equal(await rows(member.ip[0]), before, `${member.id} keeps every row`);
      }
      await insert(shrunk.instances[0].ip[0]);
    });
  }

  it('is deleted through a kill -9 once every member was asked to go, leaving nothing behind', async () => {
    await throughCrash({ kind: 'cluster.delete', step: 'delete-members', when: 'after' }, async () => {
      assert.equal((await host.demo.call('DELETE', `/clusters/${clusterId}`)).status, 202);
    });
    assert.equal((await waitIdle(3 * 60_000)).task.name, 'GONE');
    assert.equal((await host.demo.call('GET', `/clusters/${clusterId}`)).status, 404);
    assert.deepEqual((await host.demo.call('GET', '/instances?include_clustered=True')).body.instances, []);
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });
  });
});
