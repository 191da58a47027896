import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mariadbClient } from '../test-support/mariadb.js';
import { run } from '../test-support/processes.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const mariadb = (host: string, user: string, password: string, sql: string) => mariadbClient(host, user, password, sql);

/** Databases, users, grants and root on a real MariaDB, checked inside the engine. */
describe('managing a running MariaDB: databases, users, access, root', () => {
  let host: TroveHost;
  let id = '';
  let ip = '';
  const path = (p: string) => `/instances/${id}${p}`;
  /** The instance's binary log as text (what its replicas and backups carry). */
  const binaryLog = async () => {
    const files = (await run('sh', ['-c', `ls ${host.dataDir}/instances/${id}/volume/mysql/mysql-bin.[0-9]*`])).stdout.trim().split('\n').filter(Boolean);
    assert.ok(files.length > 0, 'the instance writes a binary log');
    const decoded = await run('mariadb-binlog', ['--no-defaults', ...files], process.env, 60_000);
    assert.equal(decoded.code, 0, decoded.stderr);
    return decoded.stdout;
  };

  before(async () => {
    host = await startTroveHost('127.0.25.0/24');
    const created = await host.demo.call('POST', '/instances', { instance: { name: 'data', flavorRef: '2', volume: { size: 1 }, datastore: { type: 'mariadb' } } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    id = created.body.instance.id;
    ip = (await host.demo.waitForStatus(id, ['ACTIVE'])).ip[0];
  });
  after(async () => {
    await host?.close();
  });

  it('creates, lists (paged) and deletes databases, with character set and collation', async () => {
    const created = await host.demo.call('POST', path('/databases'), { databases: [{ name: 'sales' }, { name: 'legacy', character_set: 'latin1', collate: 'latin1_swedish_ci' }, { name: 'scratch' }] });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const first = (await host.demo.call('GET', path('/databases?limit=2'))).body;
    assert.deepEqual(first.databases, [{ name: 'legacy' }, { name: 'sales' }]);
    assert.equal(new URL(first.links[0].href).searchParams.get('marker'), 'sales');
    const rest = (await host.demo.call('GET', path('/databases?marker=sales'))).body;
    assert.deepEqual(rest.databases, [{ name: 'scratch' }]);
    assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'inspector', password: 'Inspect-1', databases: [{ name: 'legacy' }, { name: 'sales' }] }] })).status, 202);
    const schemata = await mariadb(ip, 'inspector', 'Inspect-1', "SELECT schema_name, default_character_set_name, default_collation_name FROM information_schema.schemata WHERE schema_name IN ('legacy', 'sales') ORDER BY 1");
    assert.deepEqual(
      schemata.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('\t')),
      [
        ['legacy', 'latin1', 'latin1_swedish_ci'],
        ['sales', 'utf8mb4', 'utf8mb4_general_ci'],
      ],
    );
    assert.equal((await host.demo.call('DELETE', path('/users/inspector'))).status, 202);
    assert.equal((await host.demo.call('DELETE', path('/databases/scratch'))).status, 202);
    assert.deepEqual((await host.demo.call('GET', path('/databases'))).body.databases, [{ name: 'legacy' }, { name: 'sales' }]);
  });

  it('never sends the engine a password in clear: the binary log (and so replicas and backups) holds only its hash', async () => {
    const secrets = ['Binlog-Secret-1', 'Binlog-Secret-2'];
    assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'carol', password: secrets[0] }] })).status, 202);
    assert.equal((await mariadb(ip, 'carol', secrets[0]!, 'SELECT 1')).code, 0);
    assert.equal((await host.demo.call('PUT', path('/users/carol'), { user: { password: secrets[1] } })).status, 202);
    assert.equal((await mariadb(ip, 'carol', secrets[1]!, 'SELECT 1')).code, 0, 'the new password logs in');
    const log = await binaryLog();
    assert.match(log, /CREATE USER 'carol'/i, 'the statement is in the log');
    for (const secret of secrets) assert.ok(!log.includes(secret), 'no password in clear in the binary log');
    assert.equal((await host.demo.call('DELETE', path('/users/carol'))).status, 202);
  });

  it('creates users who can log in and see only the databases granted to them', async () => {
    const created = await host.demo.call('POST', path('/users'), {
      users: [
        { name: 'ann', password: 'Ann-Secret-1', databases: [{ name: 'sales' }] },
        { name: 'bob', password: 'Bob-Secret-1', host: '127.0.0.%' },
      ],
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const ann = await mariadb(ip, 'ann', 'Ann-Secret-1', 'SHOW DATABASES');
    assert.equal(ann.code, 0, ann.stderr);
    assert.deepEqual(ann.stdout.trim().split('\n'), ['information_schema', 'sales']);
    const users = (await host.demo.call('GET', path('/users'))).body.users;
    assert.deepEqual(users, [
      { name: 'ann', host: '%', databases: [{ name: 'sales' }] },
      { name: 'bob', host: '127.0.0.%', databases: [] },
    ]);
    const bob = (await host.demo.call('GET', path(`/users/${encodeURIComponent('bob@127.0.0.%')}`))).body.user;
    assert.equal(bob.host, '127.0.0.%');
    const missing = await host.demo.call('GET', path('/users/nobody'));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.itemNotFound.message, 'User nobody@% cannot be found on the instance.');
  });

  it('grants and revokes access, with the effect inside the engine', async () => {
    assert.equal((await host.demo.call('PUT', path('/users/ann/databases'), { databases: [{ name: 'legacy' }] })).status, 202);
    assert.deepEqual((await host.demo.call('GET', path('/users/ann/databases'))).body.databases, [{ name: 'legacy' }, { name: 'sales' }]);
    assert.equal((await mariadb(ip, 'ann', 'Ann-Secret-1', 'CREATE TABLE legacy.t (x INT)')).code, 0);
    assert.equal((await host.demo.call('DELETE', path('/users/ann/databases/legacy'))).status, 202);
    const denied = await mariadb(ip, 'ann', 'Ann-Secret-1', 'SELECT * FROM legacy.t');
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /denied/);
    assert.equal((await host.demo.call('DELETE', path('/users/ann/databases/legacy'))).status, 404, 'revoking what is not granted');
    assert.equal((await host.demo.call('PUT', path('/users/ann/databases'), { databases: [{ name: 'nowhere' }] })).status, 404);
  });

  it('changes a user’s password and name, and deletes users', async () => {
    assert.equal((await host.demo.call('PUT', path('/users/ann'), { user: { password: 'Ann-Secret-2' } })).status, 202);
    assert.notEqual((await mariadb(ip, 'ann', 'Ann-Secret-1', 'SELECT 1')).code, 0, 'the old password no longer works');
    assert.equal((await mariadb(ip, 'ann', 'Ann-Secret-2', 'SELECT 1')).code, 0);
    assert.equal((await host.demo.call('PUT', path('/users/ann'), { user: { name: 'anna' } })).status, 202);
    assert.equal((await mariadb(ip, 'anna', 'Ann-Secret-2', 'SHOW DATABASES')).stdout.includes('sales'), true, 'grants follow the rename');
    assert.equal((await host.demo.call('DELETE', path('/users/anna'))).status, 202);
    assert.notEqual((await mariadb(ip, 'anna', 'Ann-Secret-2', 'SELECT 1')).code, 0);
  });

  it('handles passwords that break quoting, and refuses injection through names', async () => {
    const nasty = `qu'ote"d\\back\\slash; DROP DATABASE sales; -- ünïcødé ✓`;
    assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'carol', password: nasty, databases: [{ name: 'sales' }] }] })).status, 202);
    const carol = await mariadb(ip, 'carol', nasty, 'SHOW DATABASES');
    assert.equal(carol.code, 0, carol.stderr);
    assert.match(carol.stdout, /sales/);
    const injections: Array<[string, string, object]> = [
      ['POST', '/databases', { databases: [{ name: 'x`; DROP DATABASE sales; --' }] }],
      ['POST', '/users', { users: [{ name: "evil'@'%' IDENTIFIED BY 'x'; --", password: 'p' }] }],
      ['POST', '/users', { users: [{ name: 'eve', password: 'p', host: "%'; DROP USER carol; --" }] }],
      ['PUT', '/users/carol/databases', { databases: [{ name: 'sales`.* TO carol; --' }] }],
    ];
    for (const [method, p, body] of injections) {
      const response = await host.demo.call(method, path(p), body);
      assert.equal(response.status, 400, `${method} ${p} ${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
    }
    assert.deepEqual((await host.demo.call('GET', path('/databases'))).body.databases, [{ name: 'legacy' }, { name: 'sales' }], 'nothing was dropped');
    assert.equal((await mariadb(ip, 'carol', nasty, 'SELECT 1')).code, 0, 'carol still exists');
  });

  it('refuses duplicates, unknown names, bad host patterns and reserved users with a message', async () => {
    const cases: Array<[string, string, object | undefined, number, RegExp]> = [
      ['POST', '/databases', { databases: [{ name: 'sales' }] }, 409, /already exists/],
      ['POST', '/databases', { databases: [{ name: 'mysql' }] }, 400, /belongs to the server/],
      ['POST', '/users', { users: [{ name: 'carol', password: 'x' }] }, 409, /already exists/],
      ['POST', '/users', { users: [{ name: 'root', password: 'x' }] }, 400, /reserved/],
      ['POST', '/users', { users: [{ name: 'dan', password: 'x', host: 'bad host!' }] }, 400, /not a valid host/],
      ['DELETE', '/databases/nowhere', undefined, 404, /cannot be found/],
      ['DELETE', '/users/nobody', undefined, 404, /cannot be found/],
      ['DELETE', '/users/root', undefined, 400, /reserved/],
      ['PUT', '/users/carol', { user: {} }, 400, /Nothing to change/],
    ];
    for (const [method, p, body, status, message] of cases) {
      const response = await host.demo.call(method, path(p), body);
      assert.equal(response.status, status, `${method} ${p} → ${JSON.stringify(response.body)}`);
      assert.match((Object.values(response.body)[0] as { message: string }).message, message);
    }
  });

  it("answers the engine's refusals and races on one user with a 4xx, never a 500", async () => {
    const charset = await host.demo.call('POST', path('/databases'), { databases: [{ name: 'odd', character_set: 'nosuchcharset' }] });
    assert.equal(charset.status, 400, JSON.stringify(charset.body));
    assert.match(charset.body.badRequest.message, /Unknown character set: 'nosuchcharset'/);
    const collation = await host.demo.call('POST', path('/databases'), { databases: [{ name: 'odd', character_set: 'latin1', collate: 'utf8mb4_bin' }] });
    assert.equal(collation.status, 400, JSON.stringify(collation.body));
    // MariaDB keeps hosts in lower case: the same account given twice in capitals is a duplicate.
    assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'fzcase', password: 'Fz-Secret-1', host: 'FZHOST' }] })).status, 202);
    const again = await host.demo.call('POST', path('/users'), { users: [{ name: 'fzcase', password: 'Fz-Secret-1', host: 'FZHOST' }] });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    const racing = await Promise.all([1, 2].map(() => host.demo.call('POST', path('/users'), { users: [{ name: 'racer', password: 'Race-Secret-1' }] })));
    assert.deepEqual(racing.map((r) => r.status).sort(), [202, 409], JSON.stringify(racing.map((r) => r.body)));
    for (let i = 0; i < 3; i++) {
      if (i > 0) assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'racer', password: 'Race-Secret-1' }] })).status, 202);
      const [changed, deleted] = await Promise.all([host.demo.call('PUT', path('/users/racer'), { user: { password: `Race-Secret-${i + 2}` } }), host.demo.call('DELETE', path('/users/racer'))]);
      assert.ok([202, 404, 409].includes(changed.status), `password change beside a delete: ${changed.status} ${JSON.stringify(changed.body)}`);
      assert.ok([202, 404, 409].includes(deleted.status), `delete beside a password change: ${deleted.status} ${JSON.stringify(deleted.body)}`);
    }
    assert.equal((await host.demo.call('DELETE', path(`/users/${encodeURIComponent('fzcase@fzhost')}`))).status, 202);
  });

  it('enables root once with a password shown once, reports it, and disables it', async () => {
    assert.deepEqual((await host.demo.call('GET', path('/root'))).body, { rootEnabled: false });
    const enabled = await host.demo.call('POST', path('/root'));
    assert.equal(enabled.status, 200);
    const { name, password } = enabled.body.user;
    assert.equal(name, 'root');
    assert.ok(password.length >= 24);
    const root = await mariadb(ip, 'root', password, 'SELECT COUNT(*) FROM mysql.user');
    assert.equal(root.code, 0, root.stderr);
    assert.deepEqual((await host.demo.call('GET', path('/root'))).body, { rootEnabled: true });
    assert.ok(!(await binaryLog()).includes(password), "root's password is not in the binary log in clear");
    assert.equal((await host.demo.call('DELETE', path('/root'))).status, 204);
    assert.notEqual((await mariadb(ip, 'root', password, 'SELECT 1')).code, 0, 'root cannot log in once disabled');
    assert.deepEqual((await host.demo.call('GET', path('/root'))).body, { rootEnabled: true }, 'Trove reports that root was ever enabled');
  });

  it('works from the real trove client', async () => {
    const env = openstackEnv(host);
    const trove = (args: string[]) => run('/usr/bin/python3', ['/usr/bin/trove', ...args], env, 120_000);
    for (const args of [
      ['database-create', id, 'cli_db'],
      ['user-create', id, 'cli_user', 'Cli-Secret-1', '--databases', 'cli_db'],
      ['user-grant-access', id, 'cli_user', 'legacy'],
      ['user-revoke-access', id, 'cli_user', 'legacy'],
    ]) {
      const result = await trove(args);
      assert.equal(result.code, 0, `trove ${args.join(' ')}: ${result.stderr}`);
    }
    assert.match((await trove(['database-list', id])).stdout, /cli_db/);
    assert.match((await trove(['user-list', id])).stdout, /cli_user/);
    assert.match((await trove(['user-show-access', id, 'cli_user'])).stdout, /cli_db/);
    const login = await mariadb(ip, 'cli_user', 'Cli-Secret-1', 'SHOW DATABASES');
    assert.deepEqual(login.stdout.trim().split('\n'), ['cli_db', 'information_schema']);
    const root = await trove(['root-enable', id]);
    assert.equal(root.code, 0, root.stderr);
    assert.match((await trove(['root-show', id])).stdout, /True/);
    for (const args of [
      ['user-delete', id, 'cli_user'],
      ['database-delete', id, 'cli_db'],
    ]) {
      const result = await trove(args);
      assert.equal(result.code, 0, `trove ${args.join(' ')}: ${result.stderr}`);
    }
    assert.doesNotMatch((await trove(['database-list', id])).stdout, /cli_db/);
  });
});
