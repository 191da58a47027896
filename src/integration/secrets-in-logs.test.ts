import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { SecretBox } from '../common/secrets.js';
import { mariadbClient } from '../test-support/mariadb.js';
import { run, type RunResult } from '../test-support/processes.js';
import { DEFAULT_TOML, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/**
 * Every operation that carries a secret is made to fail at the engine (the engine refuses the
 * statement, or cannot save what it was told), and then every log of the server, the agents and
 * the engines is searched for the secrets: the tenant's passwords, root's, the replication
 * password and the backup key. Logs are at debug level, so nothing is hidden by a quiet level.
 */

interface Sabotage {
  /** Makes the engine refuse or fail what carries a secret, as an engine can be made to by its operator. */
  on(host: TroveHost, id: string, ip: string, root: string): Promise<void>;
  off(host: TroveHost, id: string, ip: string, root: string): Promise<void>;
}

interface EngineCase {
  type: string;
  version: string;
  hasDatabases: boolean;
  sabotage: Sabotage;
}

const ok = (result: RunResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stdout}${result.stderr}`);

/** MariaDB's password-validation plugin with strict_password_validation (its default): statements that carry a hash, or a weak password, are refused. */
const mariadbSabotage: Sabotage = {
  on: async (_host, _id, ip, root) => ok(await mariadbClient(ip, 'root', root, "INSTALL SONAME 'simple_password_check'"), 'install the plugin'),
  off: async (_host, _id, ip, root) => ok(await mariadbClient(ip, 'root', root, "UNINSTALL SONAME 'simple_password_check'"), 'uninstall the plugin'),
};

/** PostgreSQL put in read-only mode: CREATE/ALTER ROLE are refused (and, by default, the refused statement would be logged). */
function superuserSql(ip: string, root: string, sql: string) {
  return run('psql', ['-w', '-X', '-A', '-t', '-h', ip, '-U', 'root', '-d', 'postgres', '-c', sql], { PATH: process.env.PATH, PGPASSWORD: root, PGCONNECT_TIMEOUT: '5', PGOPTIONS: '-c default_transaction_read_only=off' });
}
const postgresSabotage: Sabotage = {
  async on(_host, _id, ip, root) {
    ok(await superuserSql(ip, root, 'ALTER SYSTEM SET default_transaction_read_only = on'), 'read-only on');
    ok(await superuserSql(ip, root, 'SELECT pg_reload_conf()'), 'reload');
  },
  async off(_host, _id, ip, root) {
    ok(await superuserSql(ip, root, 'ALTER SYSTEM RESET default_transaction_read_only'), 'read-only off');
    ok(await superuserSql(ip, root, 'SELECT pg_reload_conf()'), 'reload');
  },
};

/** The instance's folder files named *.acl, found wherever the Redis module keeps them. */
function aclFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.acl'))
    .map((f) => join(dir, f));
}
/** Redis's ACL file replaced by a folder: ACL SAVE fails, so every user change fails after the engine took it. */
const redisSabotage: Sabotage = {
  async on(host, id) {
    const files = aclFiles(join(host.dataDir, 'instances', id)).filter((f) => statSync(f).isFile());
    assert.ok(files.length > 0, 'the Redis instance has an ACL file');
    for (const file of files) {
      renameSync(file, `${file}.aside`);
      mkdirSync(file);
    }
  },
  async off(host, id) {
    for (const file of aclFiles(join(host.dataDir, 'instances', id)).filter((f) => statSync(f).isDirectory())) {
      rmdirSync(file);
      renameSync(`${file}.aside`, file);
    }
  },
};

const ENGINES: EngineCase[] = [
  { type: 'mysql', version: '10.11', hasDatabases: true, sabotage: mariadbSabotage },
  { type: 'postgresql', version: '15', hasDatabases: true, sabotage: postgresSabotage },
  { type: 'redis', version: '7.0', hasDatabases: false, sabotage: redisSabotage },
];

/** Files a log can be: everything under the instances' folders except data files, plus binary logs, which hold statement texts. */
function logFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => {
      try {
        if (!statSync(f).isFile()) return false;
      } catch {
        return false;
      }
      return /(\.log|\.err|\.out|\.json|-bin\.\d+|\/log\/[^/]+)$/.test(f) && !/\/pg_wal\//.test(f);
    });
}

/** Secrets the server keeps sealed in its store: the replication sets' passwords. */
function replicationPasswords(dataDir: string): string[] {
  const db = new SQLite(join(dataDir, 'trove.db'), { readonly: true });
  try {
    const box = new SecretBox(join(dataDir, 'secret.key'));
    const rows = db.prepare('SELECT replication_secret FROM instances WHERE replication_secret IS NOT NULL').all() as Array<{ replication_secret: string }>;
    return [...new Set(rows.map((r) => box.open(r.replication_secret)))];
  } finally {
    db.close();
  }
}

describe('no secret reaches a log when the engine refuses it', { timeout: 900_000 }, () => {
  let host: TroveHost;
  const secrets = new Map<string, string>();
  const refusals: string[] = [];

  before(async () => {
    // A replica whose source cannot save the replication account may wait for the engine until its build deadline: keep that short.
    host = await startTroveHost('127.0.98.0/24', { env: { TROVE_LOG_LEVEL: 'debug' }, toml: DEFAULT_TOML.replace('[tasks]\n', '[tasks]\nbuild_timeout_seconds = 60\n') });
  });
  after(async () => {
    await host?.close();
  });

  for (const engine of ENGINES) {
    it(`${engine.type}: users, root, replication and backups fail at the engine without their secrets in any log`, async () => {
      const tag = engine.type.slice(0, 2);
      const secret = (name: string) => {
        // Weak enough for MariaDB's password check to refuse it in clear too, long enough to be unmistakable in a log.
        const value = `${tag}${name}zq${Math.random().toString(36).slice(2, 10)}`;
        secrets.set(`${engine.type} ${name}`, value);
        return value;
      };
      const databases = engine.hasDatabases ? [{ name: 'appdb' }] : [];
      const created = await host.demo.call('POST', '/instances', {
        instance: { name: `s-${tag}`, flavorRef: '2', volume: { size: 1 }, datastore: { type: engine.type, version: engine.version }, databases, users: [{ name: 'first', password: secret('create-time'), databases }] },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const view = await host.demo.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR'], 240_000);
      assert.equal(view.status, 'ACTIVE', host.agentLogs());
      const id: string = view.id;
      const ip: string = view.ip[0];
      const path = (suffix: string) => `/instances/${id}${suffix}`;

      // The same operations succeed first, so their secrets are in play wherever they would leak.
      assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'second', password: secret('user'), databases }] })).status, 202);
      assert.equal((await host.demo.call('PUT', path('/users/second'), { user: { password: secret('new-password') } })).status, 202);
      const root = await host.demo.call('POST', path('/root'), { password: secret('root') });
      assert.equal(root.status, 200, JSON.stringify(root.body));

      await engine.sabotage.on(host, id, ip, root.body.user.password);
      try {
        const refused = async (what: string, answer: Promise<{ status: number; body: unknown }>) => {
          const { status, body } = await answer;
          assert.ok(status >= 400, `${what} should fail while the engine refuses it: ${status} ${JSON.stringify(body)}`);
          refusals.push(`${engine.type} ${what}: ${status}`);
        };
        await refused('create user', host.demo.call('POST', path('/users'), { users: [{ name: 'third', password: secret('refused-user'), databases }] }));
        await refused('change password', host.demo.call('PUT', path('/users/second'), { user: { password: secret('refused-password') } }));
        await refused('enable root', host.demo.call('POST', path('/root'), { password: secret('refused-root') }));

        const replica = await host.demo.call('POST', '/instances', { instance: { name: `r-${tag}`, flavorRef: '2', volume: { size: 1 }, replica_of: id } });
        assert.equal(replica.status, 200, JSON.stringify(replica.body));
        const replicaView = await host.demo.waitForStatus(replica.body.instance.id, ['ACTIVE', 'ERROR'], 120_000);
        assert.equal(replicaView.status, 'ERROR', `a replica cannot be made while its source refuses the replication account: ${JSON.stringify(replicaView)}`);
        refusals.push(`${engine.type} create replica: ${replicaView.status} (${replicaView.fault?.message ?? ''})`);
        replicationPasswords(host.dataDir).forEach((p, i) => {
          secrets.set(`${engine.type} replication password ${i}`, p);
        });
        assert.equal((await host.demo.call('DELETE', `/instances/${replicaView.id}`)).status, 202);
      } finally {
        await engine.sabotage.off(host, id, ip, root.body.user.password);
      }

      // A backup whose upload cannot be stored: the object store's container is a file, not a folder.
      const container = join(host.dataDir, 'objects', 'database_backups');
      const aside = `${container}.aside`;
      if (existsSync(container)) renameSync(container, aside);
      mkdirSync(join(host.dataDir, 'objects'), { recursive: true });
      writeFileSync(container, 'not a folder');
      try {
        const backup = await host.demo.call('POST', '/backups', { backup: { name: `b-${tag}`, instance: id } });
        assert.equal(backup.status, 202, JSON.stringify(backup.body));
        const backupView = await host.demo.waitForBackup(backup.body.backup.id, ['COMPLETED', 'FAILED'], 240_000);
        assert.equal(backupView.status, 'FAILED', 'a backup with nowhere to go fails');
        refusals.push(`${engine.type} backup: ${backupView.status}`);
      } finally {
        rmSync(container);
        if (existsSync(aside)) renameSync(aside, container);
      }
      await host.demo.waitForStatus(id, ['ACTIVE'], 60_000);
      assert.equal((await host.demo.call('DELETE', path(''))).status, 202);
    });
  }

  it('finds none of those secrets in the server log, the agent logs or the engine logs', async () => {
    const backupKey = readFileSync(join(host.dataDir, 'backup.key'));
    const keyForms = [backupKey.toString('base64'), backupKey.toString('hex'), backupKey.toString('base64url')].filter((k) => k.length >= 16);
    const all = new Map<string, string>([...secrets, ...keyForms.map((k, i) => [`backup key form ${i}`, k] as [string, string])]);
    assert.ok(secrets.size >= ENGINES.length * 7, `every engine case ran: ${[...secrets.keys()].join(', ')}`);
    assert.ok(
      [...secrets.keys()].some((k) => k.includes('replication password')),
      'replication sets were made, so their password was in play',
    );

    const logs: Array<[string, string]> = [['trove serve output', host.server.output()], ...logFiles(join(host.dataDir, 'instances')).map((f) => [f, readFileSync(f, 'latin1')] as [string, string])];
    assert.ok(
      logs.some(([name]) => name.endsWith('agent.log')),
      "the agents' logs were searched",
    );
    assert.ok(host.server.output().includes('"level":30'), 'the server logged below its quiet test level, requests included');
    const found: string[] = [];
    for (const [what, value] of all) for (const [file, text] of logs) if (text.includes(value)) found.push(`${what} in ${file}`);
    console.log(`refused at the engine: ${refusals.join('; ')}\nsearched ${logs.length} logs for ${all.size} secrets`);
    assert.deepEqual(found, []);
  });
});
