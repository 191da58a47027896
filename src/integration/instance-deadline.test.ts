import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { leftovers } from '../test-support/leaks.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

describe('a build that misses its deadline', () => {
  let host: TroveHost;
  before(async () => {
    // A build deadline of 10 s for this server; the test freezes the agent so the build cannot finish.
    host = await startTroveHost('127.0.22.0/24', '[tasks]\nbuild_timeout_seconds = 10\nlease_seconds = 5\nreconcile_seconds = 1\npoll_ms = 50\n');
  });
  after(async () => {
    await host?.close();
  });

  it('fails with a fault the API shows, and leaves no process, mount, address or folder', async () => {
    const created = await host.demo.call('POST', '/instances', {
      instance: { name: 'doomed', flavorRef: '2', volume: { size: 1 }, datastore: { type: 'mysql', version: '10.11' } },
    });
    assert.equal(created.status, 200);
    const id = created.body.instance.id;
    const pidFile = `${host.dataDir}/instances/${id}/agent.pid`;
    const deadline = Date.now() + 30_000;
    let agentPid = 0;
    while (!agentPid && Date.now() < deadline) {
      try {
        agentPid = Number(readFileSync(pidFile, 'utf8').trim());
      } catch {
        await sleep(10);
      }
    }
    assert.ok(agentPid > 0, 'the agent was started');
    process.kill(agentPid, 'SIGSTOP');

    const failed = await host.demo.waitForStatus(id, ['ERROR', 'ACTIVE'], 90_000);
    assert.equal(failed.status, 'ERROR', JSON.stringify(failed));
    assert.match(failed.fault.message, /Instance could not be built: did not finish before its deadline \(10 s\)/);
    assert.match(failed.fault.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assert.equal(failed.ip, undefined, 'the address went back to the pool');
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });

    assert.equal((await host.demo.call('DELETE', `/instances/${id}`)).status, 202, 'a failed instance can be deleted');
    await host.demo.waitForStatus(id, ['GONE'], 60_000);
  });
});
