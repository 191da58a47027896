import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { leftovers } from '../test-support/leaks.js';
import { run } from '../test-support/processes.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/** Debian's python3-troveclient driving a MariaDB instance's whole life, as a new user would. */
describe('an instance through the real trove CLI', () => {
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
  /** `trove show`'s property table as a map, without troveclient's b'…' wrapping. */
  const properties = (table: string) =>
    Object.fromEntries(
      table
        .split('\n')
        .filter((l) => l.startsWith('| '))
        .map((l) => l.split('|').slice(1, -1).map((c) => c.trim().replace(/^b'(.*)'$/, '$1')))
        .map(([k, v]) => [k, v]),
    );

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
      await new Promise((r) => setTimeout(r, 250));
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
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.doesNotMatch((await troveCli(['list'])).stdout, /cli-db/);
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [] });
  });

  it('reports a bad flavor as the API says, with a non-zero exit', async () => {
    const result = await troveCli(['create', 'bad', '9999', '--size', '1']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /9999/);
  });
});
