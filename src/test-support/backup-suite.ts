import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DatastoreProfile } from './datastore-profiles.js';
import { DEFAULT_TOML, startTroveHost, type TroveHost } from './trove-host.js';
import { takeBackup } from './backups.js';

/**
 * Backups and restores of one datastore through the API, checked inside the engine: what was
 * written before a backup is in the instance restored from it, what was written after is not.
 * Incremental chains where the datastore's catalog entry offers them, a refusal where not.
 */
export function describeBackups(profile: DatastoreProfile, addressPool: string, incremental: boolean, objectStore?: { name: string; toml(): string; secret(): string }): void {
  describe(`${profile.type} backups and restore${objectStore ? ` on ${objectStore.name}` : ''}`, () => {
    let host: TroveHost;
    let id = '';
    let ip = '';
    const restored: string[] = [];

    const value = async (address: string) => {
      const read = await profile.read(address);
      assert.equal(read.code, 0, read.stderr);
      return read.stdout.trim();
    };
    const write = async (v: string) => assert.equal((await profile.write(ip, v)).code, 0);

    const backUp = (name: string, extra: object = {}) => takeBackup(host.demo, id, name, extra);

    async function restore(name: string, backupId: string): Promise<string> {
      const users = profile.restoreKeepsUsers ? {} : { users: profile.account.users };
      const created = await host.demo.call('POST', '/instances', { instance: { name, flavorRef: '1', volume: { size: 1 }, restorePoint: { backupRef: backupId }, ...users } });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      restored.push(created.body.instance.id);
      const view = await host.demo.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR']);
      assert.equal(view.status, 'ACTIVE', JSON.stringify(view));
      assert.deepEqual([view.datastore.type, view.datastore.version], [profile.type, profile.version], 'the datastore of the backup');
      return view.ip[0];
    }

    before(async () => {
      host = await startTroveHost(addressPool, objectStore ? `${DEFAULT_TOML}\n${objectStore.toml()}` : '');
      const created = await host.demo.call('POST', '/instances', { instance: { name: 'source', flavorRef: '1', volume: { size: 1 }, datastore: { type: profile.type, version: profile.version }, ...profile.account } });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const view = await host.demo.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR']);
      assert.equal(view.status, 'ACTIVE', JSON.stringify(view));
      id = view.id;
      ip = view.ip[0];
      assert.equal((await profile.setUp(ip)).code, 0);
    });
    after(async () => {
      await host?.close();
    });

    it('restores a full backup: what was written before it is there, what was written after is not', async () => {
      await write('before-full');
      const full = await backUp('full');
      await write('after-full');
      assert.equal(await value(await restore('from-full', full.id)), 'before-full');
      assert.equal(await value(ip), 'after-full', 'the source is untouched');
    });

    if (incremental) {
      it('restores a chain of a full and two incremental backups to its last point', async () => {
        await write('one');
        const full = await backUp('chain-full');
        await write('two');
        const first = await backUp('chain-inc1', { parent_id: full.id });
        await write('three');
        const second = await backUp('chain-inc2', { incremental: 1 });
        assert.equal(second.parent_id, first.id);
        await write('four');
        assert.equal(await value(await restore('from-inc2', second.id)), 'three');
        assert.equal(await value(await restore('from-inc1', first.id)), 'two');
      });
    } else {
      it('refuses an incremental backup with a message, and takes full ones', async () => {
        const refused = await host.demo.call('POST', '/backups', { backup: { name: 'inc', instance: id, incremental: 1 } });
        assert.equal(refused.status, 422);
        assert.match(refused.body.unprocessableEntity.message, /does not support incremental backups/);
        await host.demo.waitForStatus(id, ['ACTIVE']);
      });
    }

    if (objectStore) {
      it('never writes the object store’s secret into a log or a response', async () => {
        const texts = [host.server.output(), JSON.stringify((await host.demo.call('GET', '/backups')).body), JSON.stringify((await host.demo.call('GET', `/instances/${id}`)).body)];
        for (const instance of readdirSync(join(host.dataDir, 'instances'))) texts.push(readFileSync(join(host.dataDir, 'instances', instance, 'agent.log'), 'utf8'));
        assert.ok(texts.length > 3);
        for (const text of texts) assert.ok(!text.includes(objectStore.secret()));
      });
    }

    it('deletes the restored instances and the backups', async () => {
      for (const instance of restored) await host.demo.call('DELETE', `/instances/${instance}`);
      for (const instance of restored) await host.demo.waitForStatus(instance, ['GONE']);
      const all = (await host.demo.call('GET', '/backups')).body.backups as Array<{ id: string; parent_id: string | null }>;
      for (const backup of all.filter((b) => b.parent_id === null)) assert.equal((await host.demo.call('DELETE', `/backups/${backup.id}`)).status, 202);
      for (const backup of all) await host.demo.waitForBackup(backup.id, ['GONE']);
    });
  });
}
