import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { leftovers } from '../test-support/leaks.js';
import { psql } from '../test-support/psql.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const CLERK = { name: 'clerk', password: `Cl'erk\\"-ü-1` };

/** PostgreSQL 15 from Debian's package, through the same control plane as MariaDB. */
describe('PostgreSQL instances', () => {
  let host: TroveHost;
  let id = '';
  let ip = '';
  const path = (p: string) => `/instances/${id}${p}`;

  before(async () => {
    host = await startTroveHost('127.0.32.0/24');
  });
  after(async () => {
    await host?.close();
  });

  it('creates a PostgreSQL whose users reach only their databases, with scram passwords', async () => {
    const created = await host.demo.call('POST', '/instances', {
      instance: { name: 'pg', flavorRef: '2', volume: { size: 1 }, datastore: { type: 'postgresql', version: '15' }, databases: [{ name: 'shop' }, { name: 'other' }], users: [{ name: CLERK.name, password: CLERK.password, databases: [{ name: 'shop' }] }] },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    id = created.body.instance.id;
    const active = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR']);
    assert.equal(active.status, 'ACTIVE', JSON.stringify(active));
    assert.equal(active.port, 5432);
    assert.match(active.datastore.version_number, /^15\.\d+/);
    ip = active.ip[0];
    const session = await psql(ip, CLERK.name, CLERK.password, 'shop', 'CREATE TABLE t (x int); INSERT INTO t VALUES (5); SELECT x FROM t');
    assert.equal(session.code, 0, session.stderr);
    assert.equal(session.stdout.trim().split('\n').pop(), '5');
    const other = await psql(ip, CLERK.name, CLERK.password, 'other', 'SELECT 1');
    assert.notEqual(other.code, 0, 'no access to a database not granted');
    assert.match(other.stderr, /permission denied/);
  });

  it('is hardened: no superuser over the network, no trust, listening on its own address only', async () => {
    const superuser = await psql(ip, 'postgres', '', 'postgres', 'SELECT 1');
    assert.notEqual(superuser.code, 0);
    const hba = readFileSync(join(host.dataDir, 'instances', id, 'run', 'pg_hba.conf'), 'utf8');
    assert.doesNotMatch(hba, /\btrust\b|\bmd5\b|\bpassword\b/);
    assert.match(hba, /scram-sha-256/);
    const settings = await psql(ip, CLERK.name, CLERK.password, 'shop', "SELECT current_setting('listen_addresses'), current_setting('password_encryption'), current_setting('shared_buffers')");
    const flavor = (await host.demo.call('GET', '/flavors/2')).body.flavor;
    assert.deepEqual(settings.stdout.trim().split('|'), [ip, 'scram-sha-256', `${flavor.ram / 4}MB`]);
  });

  it('manages databases, users, access and root through the same API', async () => {
    assert.equal((await host.demo.call('POST', path('/databases'), { databases: [{ name: 'reports' }] })).status, 202);
    assert.deepEqual((await host.demo.call('GET', path('/databases'))).body.databases, [{ name: 'other' }, { name: 'reports' }, { name: 'shop' }]);
    assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'analyst', password: 'Analyst-1', databases: [{ name: 'reports' }] }] })).status, 202);
    assert.equal((await psql(ip, 'analyst', 'Analyst-1', 'reports', 'CREATE TABLE r (x int)')).code, 0);
    assert.equal((await host.demo.call('PUT', path('/users/analyst/databases'), { databases: [{ name: 'other' }] })).status, 202);
    assert.equal((await psql(ip, 'analyst', 'Analyst-1', 'other', 'SELECT 1')).code, 0);
    assert.equal((await host.demo.call('DELETE', path('/users/analyst/databases/other'))).status, 202);
    assert.notEqual((await psql(ip, 'analyst', 'Analyst-1', 'other', 'SELECT 1')).code, 0);
    const users = (await host.demo.call('GET', path('/users'))).body.users;
    assert.deepEqual(users, [
      { name: 'analyst', host: '%', databases: [{ name: 'reports' }] },
      { name: 'clerk', host: '%', databases: [{ name: 'shop' }] },
    ]);
    assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'x', password: 'p', host: '10.0.0.1' }] })).status, 400, 'PostgreSQL users have no host');
    assert.equal((await host.demo.call('DELETE', path('/users/analyst'))).status, 202);
    assert.notEqual((await psql(ip, 'analyst', 'Analyst-1', 'reports', 'SELECT 1')).code, 0);

    const root = (await host.demo.call('POST', path('/root'))).body.user;
    const asRoot = await psql(ip, root.name, root.password, 'postgres', 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
    assert.equal(asRoot.stdout.trim(), 't', asRoot.stderr);
    assert.equal((await host.demo.call('DELETE', path('/root'))).status, 204);
    assert.notEqual((await psql(ip, root.name, root.password, 'postgres', 'SELECT 1')).code, 0);
  });

  it("answers the engine's refusals and races on one user with a 4xx, never a 500", async () => {
    const encoding = await host.demo.call('POST', path('/databases'), { databases: [{ name: 'odd', character_set: 'nosuchcharset' }] });
    assert.equal(encoding.status, 400, JSON.stringify(encoding.body));
    assert.match(encoding.body.badRequest.message, /nosuchcharset/);
    const locale = await host.demo.call('POST', path('/databases'), { databases: [{ name: 'odd', collate: 'xx_NOWHERE' }] });
    assert.equal(locale.status, 400, JSON.stringify(locale.body));
    assert.match(locale.body.badRequest.message, /locale/);
    const racing = await Promise.all([1, 2].map(() => host.demo.call('POST', path('/users'), { users: [{ name: 'racer', password: 'Race-Secret-1' }] })));
    assert.deepEqual(racing.map((r) => r.status).sort(), [202, 409], JSON.stringify(racing.map((r) => r.body)));
    for (let i = 0; i < 3; i++) {
      if (i > 0) assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'racer', password: 'Race-Secret-1' }] })).status, 202);
      const [changed, deleted] = await Promise.all([host.demo.call('PUT', path('/users/racer'), { user: { password: `Race-Secret-${i + 2}` } }), host.demo.call('DELETE', path('/users/racer'))]);
      assert.ok([202, 404].includes(changed.status), `password change beside a delete: ${changed.status} ${JSON.stringify(changed.body)}`);
      assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
    }
    // The engine gets a SCRAM verifier made after SASLprep, as libpq prepares the password it logs in with: "ﬁ" is "fi".
    assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'ligature', password: 'Liga-ﬁ-Secret', databases: [{ name: 'shop' }] }] })).status, 202);
    const asLigature = await psql(ip, 'ligature', 'Liga-ﬁ-Secret', 'shop', 'SELECT 1');
    assert.equal(asLigature.code, 0, asLigature.stderr);
    assert.equal((await psql(ip, 'ligature', 'Liga-fi-Secret', 'shop', 'SELECT 1')).code, 0, 'the same password after SASLprep');
    const stored = (await host.demo.call('POST', path('/root'))).body.user;
    const verifier = await psql(ip, stored.name, stored.password, 'postgres', "SELECT rolpassword ~ '^SCRAM-SHA-256[$]4096:' FROM pg_authid WHERE rolname = 'ligature'");
    assert.equal(verifier.stdout.trim(), 't', verifier.stderr);
    assert.equal((await host.demo.call('DELETE', path('/root'))).status, 204);
    assert.equal((await host.demo.call('DELETE', path('/users/ligature'))).status, 202);
  });

  it('logs statements when the general log is on, and publishes them', async () => {
    assert.equal((await host.demo.call('POST', path('/log'), { name: 'general', enable: 1 })).status, 200);
    await psql(ip, CLERK.name, CLERK.password, 'shop', "SELECT 'pg-marker'");
    // PostgreSQL's logging collector writes a moment after the statement: publish until nothing is pending.
    let log = (await host.demo.call('POST', path('/log'), { name: 'general', publish: 1 })).body.log;
    for (let i = 0; i < 10 && log.status === 'Partial'; i++) {
      await sleep(200);
      log = (await host.demo.call('POST', path('/log'), { name: 'general', publish: 1 })).body.log;
    }
    assert.equal(log.status, 'Published');
    const dir = join(host.dataDir, 'objects', 'database_logs', id, 'general');
    const text = existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.startsWith('log-'))
          .map((f) => readFileSync(join(dir, f), 'utf8'))
          .join('')
      : '';
    assert.match(text, /pg-marker/);
  });

  it('resizes its flavor (re-tuned) and volume, keeping data', async () => {
    assert.equal((await host.demo.call('POST', path('/action'), { resize: { flavorRef: '3' } })).status, 202);
    await host.demo.waitForStatus(id, ['ACTIVE']);
    const buffers = await psql(ip, CLERK.name, CLERK.password, 'shop', "SELECT current_setting('shared_buffers'), (SELECT x FROM t)");
    assert.equal(buffers.stdout.trim(), '512MB|5');
    assert.equal((await host.demo.call('POST', path('/action'), { resize: { volume: { size: 2 } } })).status, 202);
    assert.equal((await host.demo.waitForStatus(id, ['ACTIVE'])).volume.size, 2);
    let after = await psql(ip, CLERK.name, CLERK.password, 'shop', 'SELECT x FROM t');
    for (let i = 0; i < 50 && after.code !== 0; i++) {
      await sleep(100);
      after = await psql(ip, CLERK.name, CLERK.password, 'shop', 'SELECT x FROM t');
    }
    assert.equal(after.stdout.trim(), '5');
  });

  it('is deleted without leftovers', async () => {
    assert.equal((await host.demo.call('DELETE', `/instances/${id}`)).status, 202);
    await host.demo.waitForStatus(id, ['GONE'], 60_000);
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });
  });
});
