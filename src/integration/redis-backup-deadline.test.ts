import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { run } from '../test-support/processes.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const TOML = '[tasks]\nlease_seconds = 5\nreconcile_seconds = 1\npoll_ms = 50\n\n[backups]\ntimeout_seconds = 15\n\n[rate_limits]\nGET = 0\nPOST = 0\nPUT = 0\nPATCH = 0\nDELETE = 0\n';

/** A Redis snapshot that never ends must not hold the instance's backups hostage. */
describe('a Redis backup stuck in its snapshot', () => {
  let host: TroveHost;
  let id: string;
  before(async () => {
    host = await startTroveHost('127.0.35.0/24', TOML);
    const created = await host.demo.call('POST', '/instances', { instance: { name: 'slow-kv', flavorRef: '1', volume: { size: 1 }, datastore: { type: 'redis', version: '7.0' } } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    id = created.body.instance.id;
    await host.demo.waitForStatus(id, ['ACTIVE']);
  });
  after(async () => {
    await host?.close();
  });

  /** As the agent's own ACL user, over the instance's socket: what tenants cannot do (CONFIG SET). */
  const asAgent = (args: string[]) => {
    const folder = join(host.dataDir, 'instances', id);
    const secret = readFileSync(join(folder, 'run', 'agent.secret'), 'utf8').trim();
    return run('redis-cli', ['-s', join(folder, 'run', 'redis.sock'), '--user', 'trove-agent', '--no-auth-warning', '-e', ...args], { PATH: process.env.PATH, REDISCLI_AUTH: secret });
  };
  const persistence = async () => (await asAgent(['INFO', 'persistence'])).stdout;

  it('fails at its deadline, ends the snapshot child, and the next backup succeeds', async () => {
    for (const key of ['a', 'b']) assert.equal((await asAgent(['SET', key, 'value'])).code, 0);
    // Each key now takes 100 s to write: the snapshot would outlive the 15 s deadline by minutes.
    assert.equal((await asAgent(['CONFIG', 'SET', 'rdb-key-save-delay', '100000000'])).code, 0);
    const stuck = await host.demo.call('POST', '/backups', { backup: { name: 'stuck', instance: id } });
    assert.equal(stuck.status, 202, JSON.stringify(stuck.body));
    const ended = await host.demo.waitForBackup(stuck.body.backup.id, ['COMPLETED', 'FAILED'], 60_000);
    assert.equal(ended.status, 'FAILED');
    assert.match(ended.fail_reason, /deadline/);
    await host.demo.waitForStatus(id, ['ACTIVE']);
    const deadline = Date.now() + 10_000;
    while (/rdb_bgsave_in_progress:1/.test(await persistence()) && Date.now() < deadline) await sleep(100);
    assert.match(await persistence(), /rdb_bgsave_in_progress:0/, 'the snapshot child was ended');
    // Ended as a cancel, not as a failed save: Redis would otherwise refuse writes (and PING) with MISCONF.
    assert.match(await persistence(), /rdb_last_bgsave_status:ok/);
    assert.equal((await asAgent(['SET', 'c', 'value'])).stdout.trim(), 'OK');

    assert.equal((await asAgent(['CONFIG', 'SET', 'rdb-key-save-delay', '0'])).code, 0);
    const next = await host.demo.call('POST', '/backups', { backup: { name: 'next', instance: id } });
    assert.equal(next.status, 202, `the next backup is not refused as under way: ${JSON.stringify(next.body)}`);
    const completed = await host.demo.waitForBackup(next.body.backup.id, ['COMPLETED', 'FAILED'], 60_000);
    const agentLog = () =>
      readFileSync(join(host.dataDir, 'instances', id, 'agent.log'), 'utf8')
        .split('\n')
        .slice(-15)
        .join('\n');
    assert.equal(completed.status, 'COMPLETED', `${completed.fail_reason}\n${agentLog()}`);
  });
});
