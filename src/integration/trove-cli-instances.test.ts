import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { propertyTable } from '../test-support/cli-output.js';
import { leftovers } from '../test-support/leaks.js';
import { run } from '../test-support/processes.js';
import { psql } from '../test-support/psql.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/** Debian's python3-troveclient driving instances' whole lives, as a new user would. */
describe('instances through the real trove CLI', () => {
  let host: TroveHost;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    // As scripts/up.sh runs it: with a umask that keeps its files private.
    host = await startTroveHost('127.0.23.0/24', '', '077');
    env = openstackEnv(host);
  });
  after(async () => {
    await host?.close();
  });

  const troveCli = (args: string[]) => run('/usr/bin/python3', ['/usr/bin/trove', ...args], env, 120_000);
  const properties = propertyTable;

  async function waitUntilActive(name: string): Promise<Record<string, string | undefined>> {
    let shown: Record<string, string | undefined> = {};
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const show = await troveCli(['show', name]);
      assert.equal(show.code, 0, show.stderr);
      shown = properties(show.stdout);
      if (shown.status === 'ACTIVE' || shown.status === 'ERROR') break;
      await sleep(250);
    }
    assert.equal(shown.status, 'ACTIVE', JSON.stringify(shown));
    return shown;
  }

  async function deleteAndWait(name: string): Promise<void> {
    const deleted = await troveCli(['delete', name]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = Date.now() + 60_000;
    while (Date.now() < gone && (await troveCli(['list'])).stdout.includes(` ${name} `)) await sleep(250);
    assert.doesNotMatch((await troveCli(['list'])).stdout, new RegExp(` ${name} `));
  }

  it('creates a PostgreSQL, adds a database and a user, connects with psql, deletes it', async () => {
    const created = await troveCli(['create', 'cli-pg', '2', '--size', '1', '--datastore', 'postgresql', '--datastore_version', '15']);
    assert.equal(created.code, 0, created.stderr);
    const ip = (await waitUntilActive('cli-pg')).ip!;
    assert.equal((await troveCli(['database-create', 'cli-pg', 'shop'])).code, 0);
    const user = await troveCli(['user-create', 'cli-pg', 'clerk', 'Clerk-Secret-1', '--databases', 'shop']);
    assert.equal(user.code, 0, user.stderr);
    const users = await troveCli(['user-list', 'cli-pg']);
    // troveclient prints some cells as b'…' under Python 3.
    assert.match(users.stdout, /\| (b')?clerk'? +\| (b')?%'? +\| (b')?shop'? +\|/);
    const session = await psql(ip, 'clerk', 'Clerk-Secret-1', 'shop', 'CREATE TABLE t (x int); INSERT INTO t VALUES (7); SELECT x FROM t');
    assert.equal(session.code, 0, session.stderr);
    assert.equal(session.stdout.trim().split('\n').pop(), '7');
    await deleteAndWait('cli-pg');
  });

  it('creates a Redis, adds an ACL user, connects with redis-cli, enables root, deletes it', async () => {
    const created = await troveCli(['create', 'cli-kv', '2', '--size', '1', '--datastore', 'redis', '--datastore_version', '7.0']);
    assert.equal(created.code, 0, created.stderr);
    const ip = (await waitUntilActive('cli-kv')).ip!;
    const user = await troveCli(['user-create', 'cli-kv', 'cache', 'Cache-Secret-1']);
    assert.equal(user.code, 0, user.stderr);
    const cli = (args: string[]) => run('redis-cli', ['-h', ip, '--user', 'cache', '--pass', 'Cache-Secret-1', '--no-auth-warning', ...args]);
    assert.equal((await cli(['SET', 'k', 'v'])).stdout.trim(), 'OK');
    assert.equal((await cli(['GET', 'k'])).stdout.trim(), 'v');
    const databases = await troveCli(['database-list', 'cli-kv']);
    assert.notEqual(databases.code, 0);
    assert.match(databases.stderr, /does not support databases/);
    const root = await troveCli(['root-enable', 'cli-kv']);
    assert.equal(root.code, 0, root.stderr);
    const { name, password } = properties(root.stdout);
    assert.equal(name, 'default');
    assert.equal((await run('redis-cli', ['-h', ip, '--pass', password!, '--no-auth-warning', 'GET', 'k'])).stdout.trim(), 'v');
    await deleteAndWait('cli-kv');
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });
  });

  it('creates, shows, connects to and deletes an instance', async () => {
    const created = await troveCli(['create', 'cli-db', '2', '--size', '1', '--datastore', 'mysql', '--datastore_version', '10.11', '--databases', 'orders', '--users', 'clerk:Clerk-Secret-1', '--nic', 'net-id=11111111-2222-3333-4444-555555555555']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(properties(created.stdout).status, 'BUILD');

    let shown: Record<string, string | undefined> = {};
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const show = await troveCli(['show', 'cli-db']);
      assert.equal(show.code, 0, show.stderr);
      shown = properties(show.stdout);
      if (shown.status === 'ACTIVE' || shown.status === 'ERROR') break;
      await sleep(250);
    }
    assert.equal(shown.status, 'ACTIVE', JSON.stringify(shown));
    const ip = shown.ip!;
    assert.match(ip, /^127\.0\.23\.\d+$/);

    const session = await run('mariadb', ['--no-defaults', '-h', ip, '-u', 'clerk', '--password=Clerk-Secret-1', '--batch', '--skip-column-names', '-e', 'SHOW DATABASES']);
    assert.equal(session.code, 0, session.stderr);
    assert.deepEqual(session.stdout.trim().split('\n'), ['information_schema', 'orders']);

    const list = await troveCli(['list']);
    assert.match(list.stdout, /cli-db.*ACTIVE/);
    const deleted = await troveCli(['delete', 'cli-db']);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = Date.now() + 60_000;
    while (Date.now() < gone && !/No instance with a name or ID of 'cli-db' exists|cannot be found/.test((await troveCli(['show', 'cli-db'])).stderr)) {
      await sleep(250);
    }
    assert.doesNotMatch((await troveCli(['list'])).stdout, /cli-db/);
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });
  });

  it('reports a bad flavor as the API says, with a non-zero exit', async () => {
    const result = await troveCli(['create', 'bad', '9999', '--size', '1']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /9999/);
  });
});
