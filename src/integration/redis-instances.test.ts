import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { leftovers } from '../test-support/leaks.js';
import { redisCli } from '../test-support/redis.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const CACHE = { name: 'cache', password: 'Cache Secret "1"' };

/** Redis 7.0 from Debian's package, through the same control plane as the SQL engines. */
describe('Redis instances', () => {
  let host: TroveHost;
  let id = '';
  let ip = '';
  const path = (p: string) => `/instances/${id}${p}`;
  const asCache = (...args: string[]) => redisCli(ip, CACHE.name, CACHE.password, args);

  before(async () => {
    host = await startTroveHost('127.0.33.0/24');
  });
  after(async () => {
    await host?.close();
  });

  it('is in the catalog with its installed version, smallest flavor and capabilities', async () => {
    const { datastore } = (await host.demo.call('GET', '/datastores/redis')).body;
    assert.deepEqual(
      datastore.versions.map((v: { name: string }) => v.name),
      ['7.0'],
    );
    assert.equal(datastore.default_port, 6379);
    assert.deepEqual([datastore.capabilities.databases, datastore.capabilities.users, datastore.capabilities.root], [false, true, true]);
    const flavors = (await host.demo.call('GET', '/datastores/redis/versions/7.0/flavors')).body.flavors;
    assert.ok(flavors.length > 0 && flavors.every((f: { ram: number }) => f.ram >= datastore.min_ram));
  });

  it('creates a Redis whose ACL user reads and writes keys at the address the API reports', async () => {
    const created = await host.demo.call('POST', '/instances', {
      instance: { name: 'kv', flavorRef: '2', volume: { size: 1 }, datastore: { type: 'redis' }, users: [CACHE] },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    id = created.body.instance.id;
    const active = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR']);
    assert.equal(active.status, 'ACTIVE', JSON.stringify(active));
    assert.equal(active.port, 6379);
    assert.deepEqual([active.datastore.type, active.datastore.version], ['redis', '7.0']);
    assert.match(active.datastore.version_number, /^7\.0\.\d+$/);
    ip = active.ip[0];
    assert.equal((await asCache('SET', 'greeting', 'hello')).stdout.trim(), 'OK');
    assert.equal((await asCache('GET', 'greeting')).stdout.trim(), 'hello');
  });

  it('is hardened: no access without a password, admin commands refused, bound to its own address', async () => {
    const anonymous = await redisCli(ip, undefined, undefined, ['GET', 'greeting']);
    assert.notEqual(anonymous.code, 0);
    assert.match(anonymous.stdout + anonymous.stderr, /NOAUTH/);
    const wrong = await redisCli(ip, CACHE.name, 'wrong', ['PING']);
    assert.match(wrong.stdout + wrong.stderr, /WRONGPASS/);
    for (const command of [['CONFIG', 'SET', 'dir', '/tmp'], ['CONFIG', 'GET', 'requirepass'], ['DEBUG', 'SLEEP', '0'], ['FLUSHALL'], ['SHUTDOWN'], ['MODULE', 'LIST'], ['ACL', 'LIST'], ['REPLICAOF', '127.0.0.1', '1']]) {
      const refused = await asCache(...command);
      assert.notEqual(refused.code, 0, `${command.join(' ')} is refused`);
      assert.match(refused.stdout + refused.stderr, /NOPERM|command not allowed/, command.join(' '));
    }
    assert.equal((await asCache('GET', 'greeting')).stdout.trim(), 'hello', 'the refused commands changed nothing');
    const other = await redisCli('127.0.0.1', CACHE.name, CACHE.password, ['PING']);
    assert.notEqual(other.code, 0, 'nothing listens on another address of the host for this instance');
  });

  it('tunes maxmemory from the flavor with headroom, and persists on the volume', async () => {
    const flavor = (await host.demo.call('GET', '/flavors/2')).body.flavor;
    const conf = readFileSync(join(host.dataDir, 'instances', id, 'run', 'redis.conf'), 'utf8');
    assert.match(conf, new RegExp(`^maxmemory ${Math.floor((flavor.ram * 3) / 4)}mb$`, 'm'));
    const memory = await asCache('INFO', 'memory');
    assert.match(memory.stdout, new RegExp(`maxmemory:${Math.floor((flavor.ram * 3) / 4) * 1024 * 1024}\\r?\\n`));
    assert.match(memory.stdout, /maxmemory_policy:noeviction/);
    const persistence = await asCache('INFO', 'persistence');
    assert.match(persistence.stdout, /aof_enabled:1/);
    assert.ok(readdirSync(join(host.dataDir, 'instances', id, 'volume', 'redis')).includes('appendonlydir'));
  });

  it('manages users through ACL, refuses databases with a message, and makes root the default user', async () => {
    const databases = await host.demo.call('GET', path('/databases'));
    assert.equal(databases.status, 422);
    assert.match(databases.body.unprocessableEntity.message, /does not support databases/);
    const withDatabases = await host.demo.call('POST', path('/users'), { users: [{ name: 'x', password: 'p', databases: [{ name: 'd' }] }] });
    assert.equal(withDatabases.status, 422);
    assert.match(withDatabases.body.unprocessableEntity.message, /no databases; create its users without "databases"/);
    assert.equal((await host.demo.call('PUT', path('/users/cache/databases'), { databases: [{ name: 'd' }] })).status, 422);

    assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'worker', password: 'Worker-1' }] })).status, 202);
    assert.deepEqual((await host.demo.call('GET', path('/users'))).body.users, [
      { name: 'cache', host: '%', databases: [] },
      { name: 'worker', host: '%', databases: [] },
    ]);
    assert.equal((await redisCli(ip, 'worker', 'Worker-1', ['GET', 'greeting'])).stdout.trim(), 'hello');
    assert.equal((await host.demo.call('PUT', path('/users/worker'), { user: { name: 'runner', password: 'Runner-2' } })).status, 202);
    assert.notEqual((await redisCli(ip, 'worker', 'Worker-1', ['PING'])).code, 0, 'the old name is gone');
    assert.equal((await redisCli(ip, 'runner', 'Runner-2', ['PING'])).stdout.trim(), 'PONG');
    assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'default', password: 'x' }] })).status, 400, 'the default user is root, not a tenant user');
    assert.equal((await host.demo.call('POST', path('/users'), { users: [{ name: 'runner', password: 'x' }] })).status, 409);
    assert.equal((await host.demo.call('DELETE', path('/users/runner'))).status, 202);
    assert.notEqual((await redisCli(ip, 'runner', 'Runner-2', ['PING'])).code, 0);

    assert.deepEqual((await host.demo.call('GET', path('/root'))).body, { rootEnabled: false });
    const root = (await host.demo.call('POST', path('/root'))).body.user;
    assert.equal(root.name, 'default');
    // redis-cli without --user authenticates as the default user.
    assert.equal((await redisCli(ip, undefined, root.password, ['GET', 'greeting'])).stdout.trim(), 'hello');
    assert.match((await redisCli(ip, undefined, root.password, ['CONFIG', 'GET', 'maxmemory'])).stdout, /maxmemory/);
    const rootConfigSet = await redisCli(ip, undefined, root.password, ['CONFIG', 'SET', 'dir', '/tmp']);
    assert.match(rootConfigSet.stdout + rootConfigSet.stderr, /NOPERM/, 'not even root may move the data folder');
    assert.deepEqual((await host.demo.call('GET', path('/root'))).body, { rootEnabled: true });
    assert.equal((await host.demo.call('DELETE', path('/root'))).status, 204);
    assert.notEqual((await redisCli(ip, undefined, root.password, ['PING'])).code, 0);
  });

  it('keeps users and data across a restart', async () => {
    assert.equal((await host.demo.call('POST', path('/action'), { restart: {} })).status, 202);
    await host.demo.waitForStatus(id, ['ACTIVE']);
    assert.equal((await asCache('GET', 'greeting')).stdout.trim(), 'hello');
  });

  it('publishes its server log', async () => {
    const logs = (await host.demo.call('GET', path('/log'))).body.logs;
    assert.deepEqual(
      logs.map((l: { name: string; type: string }) => [l.name, l.type]),
      [['server', 'SYS']],
    );
    const published = await host.demo.call('POST', path('/log'), { name: 'server', publish: 1 });
    assert.equal(published.body.log.status, 'Published', JSON.stringify(published.body));
    const dir = join(host.dataDir, 'objects', 'database_logs', id, 'server');
    const text = readdirSync(dir)
      .filter((f) => f.startsWith('log-'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('');
    assert.match(text, /Ready to accept connections/);
  });

  it('resizes its flavor (re-tuned) and volume, keeping data', async () => {
    assert.equal((await host.demo.call('POST', path('/action'), { resize: { flavorRef: '3' } })).status, 202);
    await host.demo.waitForStatus(id, ['ACTIVE']);
    const flavor = (await host.demo.call('GET', '/flavors/3')).body.flavor;
    assert.match((await asCache('INFO', 'memory')).stdout, new RegExp(`maxmemory:${Math.floor((flavor.ram * 3) / 4) * 1024 * 1024}\\r?\\n`));
    assert.equal((await host.demo.call('POST', path('/action'), { resize: { volume: { size: 2 } } })).status, 202);
    assert.equal((await host.demo.waitForStatus(id, ['ACTIVE'])).volume.size, 2);
    let after = await asCache('GET', 'greeting');
    for (let i = 0; i < 50 && after.stdout.trim() !== 'hello'; i++) {
      await sleep(100);
      after = await asCache('GET', 'greeting');
    }
    assert.equal(after.stdout.trim(), 'hello');
  });

  it('is deleted without leftovers', async () => {
    assert.equal((await host.demo.call('DELETE', `/instances/${id}`)).status, 202);
    await host.demo.waitForStatus(id, ['GONE'], 60_000);
    assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });
  });
});
