import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { asApp, createAppInstance } from '../test-support/mariadb.js';
import { run } from '../test-support/processes.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/** Guest logs of a real MariaDB: switched on and off in the engine, published to the object store. */
describe('guest logs of a MariaDB instance', () => {
  let host: TroveHost;
  let id = '';
  let ip = '';
  const log = (body: object) => host.demo.call('POST', `/instances/${id}/log`, body);
  const published = (name: string) => {
    const dir = join(host.dataDir, 'objects', 'database_logs', id, name);
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.startsWith('log-'))
          .map((f) => readFileSync(join(dir, f), 'utf8'))
          .join('')
      : '';
  };

  before(async () => {
    host = await startTroveHost('127.0.28.0/24');
    ({ id, ip } = await createAppInstance(host.demo, 'logs', '1'));
  });
  after(async () => {
    await host?.close();
  });

  it('lists the datastore’s logs with Trove’s fields', async () => {
    const { logs } = (await host.demo.call('GET', `/instances/${id}/log`)).body;
    assert.deepEqual(
      logs.map((l: { name: string; type: string; status: string }) => [l.name, l.type, l.status]),
      [
        ['general', 'USER', 'Disabled'],
        ['slow_query', 'USER', 'Disabled'],
        ['error', 'SYS', 'Ready'],
      ],
    );
    assert.deepEqual(logs[0], { name: 'general', type: 'USER', status: 'Disabled', published: 0, pending: 0, container: 'database_logs', prefix: `${id}/general/`, metafile: `${id}/general/_metafile` });
  });

  it('enables the general log in the engine, publishes it, then publishes only what is new', async () => {
    const enabled = await log({ name: 'general', enable: 1 });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    assert.equal((await asApp(ip, 'SELECT @@general_log')).stdout.trim(), '1');
    await asApp(ip, "SELECT 'first-marker'");
    const ready = (await log({ name: 'general' })).body.log;
    assert.equal(ready.status, 'Ready');
    assert.ok(ready.pending > 0);
    const afterPublish = (await log({ name: 'general', publish: 1 })).body.log;
    assert.equal(afterPublish.status, 'Published');
    assert.equal(afterPublish.pending, 0);
    assert.match(published('general'), /first-marker/);
    await asApp(ip, "SELECT 'second-marker'");
    assert.equal((await log({ name: 'general' })).body.log.status, 'Partial');
    await log({ name: 'general', publish: 1 });
    const text = published('general');
    assert.equal(text.match(/first-marker/g)?.length, 1, 'published parts do not repeat');
    assert.match(text, /second-marker/);
  });

  it('discards published objects, and disables the log in the engine', async () => {
    const discarded = (await log({ name: 'general', discard: 1 })).body.log;
    assert.equal(discarded.published, 0);
    assert.equal(published('general'), '');
    assert.equal((await log({ name: 'general', disable: 1 })).body.log.status, 'Disabled');
    assert.equal((await asApp(ip, 'SELECT @@general_log')).stdout.trim(), '0');
  });

  it('keeps a log enabled across a restart of the engine', async () => {
    await log({ name: 'slow_query', enable: 1 });
    assert.equal((await host.demo.call('POST', `/instances/${id}/action`, { restart: {} })).status, 202);
    await host.demo.waitForStatus(id, ['ACTIVE']);
    assert.equal((await asApp(ip, 'SELECT @@slow_query_log')).stdout.trim(), '1');
  });

  it('publishes the error log, and refuses to switch it or unknown logs', async () => {
    const error = (await log({ name: 'error', publish: 1 })).body.log;
    assert.equal(error.status, 'Published');
    assert.match(published('error'), /ready for connections/);
    const sys = await log({ name: 'error', disable: 1 });
    assert.equal(sys.status, 400);
    assert.match(sys.body.badRequest.message, /system log/);
    assert.equal((await log({ name: 'audit', enable: 1 })).status, 404);
    assert.equal((await log({ name: 'general', enable: 1, disable: 1 })).status, 400);
  });

  it('works from the real trove client', async () => {
    const env = openstackEnv(host);
    const trove = (args: string[]) => run('/usr/bin/python3', ['/usr/bin/trove', ...args], env, 120_000);
    const list = await trove(['log-list', id]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /slow_query/);
    const enable = await trove(['log-enable', id, 'general']);
    assert.equal(enable.code, 0, enable.stderr);
    const show = await trove(['log-show', id, 'general']);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /Ready|Unavailable/);
  });
});
