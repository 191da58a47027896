import assert from 'node:assert/strict';
import { existsSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { asApp, createAppInstance } from '../test-support/mariadb.js';
import { run } from '../test-support/processes.js';
import { openstackEnv, startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/** Resizing flavor and volume of a real MariaDB, through crashes of trove serve too. */
describe('resizing a MariaDB instance', () => {
  let host: TroveHost;
  let id = '';
  let ip = '';
  const action = (body: object, instance = id) => host.demo.call('POST', `/instances/${instance}/action`, body);
  const volumeBytes = () => statfsSync(join(host.dataDir, 'instances', id, 'volume'));

  before(async () => {
    host = await startTroveHost('127.0.26.0/24');
    ({ id, ip } = await createAppInstance(host.demo, 'grow', '1'));
    assert.equal((await asApp(ip, 'CREATE TABLE appdb.t (x INT); INSERT INTO appdb.t VALUES (7)')).code, 0);
  });
  after(async () => {
    await host?.close();
  });

  it('grows the volume online: RESIZE, then ACTIVE with the new size, data kept', async () => {
    const before = volumeBytes();
    assert.equal((await action({ resize: { volume: { size: 2 } } })).status, 202);
    const during = (await host.demo.call('GET', `/instances/${id}`)).body.instance.status;
    assert.ok(['RESIZE', 'ACTIVE'].includes(during), during);
    const after = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR']);
    assert.equal(after.status, 'ACTIVE', JSON.stringify(after));
    assert.equal(after.volume.size, 2);
    const grown = volumeBytes();
    if (existsSync(join(host.dataDir, 'instances', id, 'volume.img'))) {
      assert.ok(grown.blocks * grown.bsize > before.blocks * before.bsize * 1.8, 'the mounted file system grew');
    }
    assert.equal((await asApp(ip, 'SELECT x FROM appdb.t')).stdout.trim(), '7');
  });

  it('refuses to shrink or keep the volume size, or to pass the maximum', async () => {
    const shrink = await action({ resize: { volume: { size: 1 } } });
    assert.equal(shrink.status, 400);
    assert.match(shrink.body.badRequest.message, /must be larger than the current one \(2 GB\)/);
    assert.equal((await action({ resize: { volume: { size: 2 } } })).status, 400);
    assert.equal((await action({ resize: { volume: { size: 100000 } } })).status, 413);
    assert.equal((await action({ resize: { volume: { size: 'x' } } })).status, 400);
    assert.equal((await action({ resize: { flavorRef: '2', volume: { size: 3 } } })).status, 400, 'one resize at a time');
  });

  it('changes the flavor: re-tuned, new limits, restarted, data kept', async () => {
    assert.equal((await action({ resize: { flavorRef: '2' } })).status, 202);
    const after = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR']);
    assert.equal(after.status, 'ACTIVE', JSON.stringify(after));
    assert.equal(after.flavor.id, '2');
    const [pool] = (await asApp(ip, 'SELECT @@innodb_buffer_pool_size')).stdout.trim().split('\t').map(Number);
    assert.equal(pool, Math.floor((150 * 1024) / 512) * 1024 * 1024);
    assert.equal((await asApp(ip, 'SELECT x FROM appdb.t')).stdout.trim(), '7');
    const memoryLimit = `/sys/fs/cgroup/memory/trove/${id}/memory.limit_in_bytes`;
    if (existsSync(memoryLimit)) assert.equal(Number(readFileSync(memoryLimit, 'utf8')), (1024 + 128) * 1024 * 1024);
    const same = await action({ resize: { flavorRef: '2' } });
    assert.equal(same.status, 400);
    assert.equal((await action({ resize: { flavorRef: '999' } })).status, 400);
  });

  it('refuses a resize while the instance is building', async () => {
    const created = await host.demo.call('POST', '/instances', { instance: { name: 'young', flavorRef: '1', volume: { size: 1 } } });
    const young = created.body.instance.id;
    const refused = await action({ resize: { volume: { size: 2 } } }, young);
    assert.equal(refused.status, 422);
    assert.match(refused.body.unprocessableEntity.message, /while building/);
    await host.demo.waitForStatus(young, ['ACTIVE']);
    await host.demo.call('DELETE', `/instances/${young}`);
    await host.demo.waitForStatus(young, ['GONE']);
  });

  it('finishes a volume and a flavor resize after trove serve is killed mid-way', async () => {
    assert.equal((await action({ resize: { volume: { size: 3 } } })).status, 202);
    host.crash();
    await host.restart();
    const volume = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR'], 120_000);
    assert.ok(volume.status === 'ACTIVE' ? volume.volume.size === 3 : volume.volume.size === 2 && volume.fault, JSON.stringify(volume));

    assert.equal((await action({ resize: { flavorRef: '1' } })).status, 202);
    await sleep(100);
    host.crash();
    await host.restart();
    const flavor = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR'], 120_000);
    assert.ok(flavor.status === 'ACTIVE' ? flavor.flavor.id === '1' : flavor.flavor.id === '2' && flavor.fault, JSON.stringify(flavor));
    let data = await asApp(ip, 'SELECT x FROM appdb.t');
    for (let i = 0; i < 50 && data.code !== 0; i++) {
      await sleep(100);
      data = await asApp(ip, 'SELECT x FROM appdb.t');
    }
    assert.equal(data.stdout.trim(), '7');
  });

  it('resizes from the real trove client', async () => {
    const env = openstackEnv(host);
    const trove = (args: string[]) => run('/usr/bin/python3', ['/usr/bin/trove', ...args], env, 120_000);
    const volume = await trove(['resize-volume', id, '4']);
    assert.equal(volume.code, 0, volume.stderr);
    assert.equal((await host.demo.waitForStatus(id, ['ACTIVE'])).volume.size, 4);
    const flavor = await trove(['resize-instance', id, '2']);
    assert.equal(flavor.code, 0, flavor.stderr);
    const after = await host.demo.waitForStatus(id, ['ACTIVE']);
    assert.equal(after.flavor.id, '2');
  });
});
