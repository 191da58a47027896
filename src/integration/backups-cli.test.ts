import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { propertyTable } from '../test-support/cli-output.js';
import { leftovers } from '../test-support/leaks.js';
import { run } from '../test-support/processes.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/** Backups and restores as a user of Debian's `trove` and `openstack database` clients does them. */
describe('backups through the real trove and openstack clients', () => {
  let host: TroveHost;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    host = await startTroveHost('127.0.53.0/24');
    env = openstackEnv(host);
  });
  after(async () => {
    await host?.close();
  });

  const troveCli = async (args: string[]) => run('/usr/bin/python3', ['/usr/bin/trove', ...args], env, 120_000);
  const ok = async (args: string[]) => {
    const result = await troveCli(args);
    assert.equal(result.code, 0, `trove ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const openstack = async (args: string[]) => {
    const result = await run('/usr/bin/python3', ['/usr/bin/openstack', 'database', ...args], env, 120_000);
    assert.equal(result.code, 0, `openstack database ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const properties = propertyTable;
  async function waitFor(args: string[], wanted: string): Promise<Record<string, string | undefined>> {
    const deadline = Date.now() + 120_000;
    let shown: Record<string, string | undefined> = {};
    while (Date.now() < deadline) {
      shown = properties(await ok(args));
      if (shown.status === wanted || shown.status === 'ERROR' || shown.status === 'FAILED') break;
      await sleep(250);
    }
    assert.equal(shown.status, wanted, JSON.stringify(shown));
    return shown;
  }
  const rows = async (ip: string) => (await run('mariadb', ['--no-defaults', '-h', ip, '-u', 'clerk', '--password=Clerk-Secret-1', '--batch', '--skip-column-names', '-e', 'SELECT x FROM shop.t ORDER BY x'])).stdout.trim().split('\n');
  const sql = (ip: string, statement: string) => run('mariadb', ['--no-defaults', '-h', ip, '-u', 'clerk', '--password=Clerk-Secret-1', '-e', statement]);

  it('backs up with trove backup-create (full, then --parent), lists, restores with create --backup, deletes', async () => {
    await ok(['create', 'cli-src', '2', '--size', '1', '--datastore', 'mysql', '--datastore_version', '10.11', '--databases', 'shop', '--users', 'clerk:Clerk-Secret-1']);
    const ip = (await waitFor(['show', 'cli-src'], 'ACTIVE')).ip!;
    assert.equal((await sql(ip, 'CREATE TABLE shop.t (x INT); INSERT INTO shop.t VALUES (1)')).code, 0);

    const first = properties(await ok(['backup-create', 'cli-src', 'bk1', '--description', 'first']));
    assert.equal(first.status, 'NEW');
    await waitFor(['backup-show', 'bk1'], 'COMPLETED');
    await waitFor(['show', 'cli-src'], 'ACTIVE');
    assert.equal((await sql(ip, 'INSERT INTO shop.t VALUES (2)')).code, 0);
    const second = properties(await ok(['backup-create', 'cli-src', 'bk2', '--parent', first.id!]));
    const done = await waitFor(['backup-show', second.id!], 'COMPLETED');
    assert.equal(done.parent_id, first.id);
    await waitFor(['show', 'cli-src'], 'ACTIVE');
    assert.equal((await sql(ip, 'INSERT INTO shop.t VALUES (3)')).code, 0);

    assert.match(await ok(['backup-list']), /bk1[\s\S]*COMPLETED|COMPLETED[\s\S]*bk1/);
    const perInstance = await ok(['backup-list-instance', 'cli-src']);
    assert.match(perInstance, /bk1/);
    assert.match(perInstance, /bk2/);

    await ok(['create', 'cli-restored', '2', '--size', '1', '--backup', 'bk2']);
    const restoredIp = (await waitFor(['show', 'cli-restored'], 'ACTIVE')).ip!;
    assert.deepEqual(await rows(restoredIp), ['1', '2'], 'the rows written before bk2, not the one after');

    await ok(['backup-delete', 'bk1']);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && /bk[12]/.test(await ok(['backup-list']))) await sleep(250);
    assert.doesNotMatch(await ok(['backup-list']), /bk[12]/, 'bk2 went with its parent');
  });

  it('backs up with openstack database backup create, shows and deletes it', async () => {
    const created = JSON.parse(await openstack(['backup', 'create', 'ostack-bk', '--instance', 'cli-src', '--description', 'nine', '-f', 'json']));
    assert.equal(created.status, 'NEW');
    const deadline = Date.now() + 120_000;
    let shown: { status: string; size: number; datastore: string } = created;
    while (Date.now() < deadline && shown.status !== 'COMPLETED' && shown.status !== 'FAILED') {
      await sleep(300);
      shown = JSON.parse(await openstack(['backup', 'show', 'ostack-bk', '-f', 'json']));
    }
    assert.equal(shown.status, 'COMPLETED');
    assert.ok(shown.size > 0);
    const listed = JSON.parse(await openstack(['backup', 'list', '-f', 'json'])) as Array<{ Name: string }>;
    assert.deepEqual(
      listed.map((b) => b.Name),
      ['ostack-bk'],
    );
    await openstack(['backup', 'delete', 'ostack-bk']);
  });

  it('reports bad requests as the API says, with a non-zero exit', async () => {
    const unknown = await troveCli(['backup-create', 'no-such-instance', 'bk']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no-such-instance/);
    const missing = await troveCli(['create', 'r', '2', '--size', '1', '--backup', 'no-such-backup']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no-such-backup/);
  });

  it('deletes the instances and leaves nothing behind', async () => {
    await ok(['delete', 'cli-restored']);
    await ok(['delete', 'cli-src']);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && /cli-/.test(await ok(['list']))) await sleep(250);
    assert.doesNotMatch(await ok(['list']), /cli-/);
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });
  });
});
