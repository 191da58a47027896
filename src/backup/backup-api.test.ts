import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newId } from '../common/ids.js';
import { collectArchive } from './archive-parts.js';
import { BackupObjects } from '../object-storage/backup-objects.js';
import type { BackupTable, InstanceTable } from '../state/schema.js';
import { startTestApi, type TestApi } from '../test-support/api.js';

const GB = 1024 ** 3;

/** The backup API's rules, on rows written straight into the store: no engine is needed to check them. */
describe('backup API rules', () => {
  let api: TestApi;
  let instance: InstanceTable;
  const call = (method: string, path: string, payload?: object, who: 'demo' | 'admin' = 'demo') =>
    api.app.inject({ method: method as 'GET', url: `/v1.0/${api[who].projectId}${path}`, headers: { 'x-auth-token': api[who].token }, ...(payload ? { payload } : {}) });

  async function completedBackup(values: Partial<BackupTable> = {}): Promise<BackupTable> {
    const now = new Date(Date.now() + Math.floor(Math.random() * 1000)).toISOString();
    const id = newId();
    const row: BackupTable = {
      id,
      project_id: api.demo.projectId,
      name: `b-${id.slice(0, 4)}`,
      description: null,
      instance_id: instance.id,
      datastore: 'mysql',
      datastore_version: '10.11',
      parent_id: null,
      kind: 'full',
      status: 'COMPLETED',
      container: 'database_backups',
      object_key: `${id}/data.full.zst.enc`,
      location: `file:///objects/database_backups/${id}/data.full.zst.enc`,
      size_bytes: 1234,
      progress_bytes: null,
      sha256: 'a'.repeat(64),
      tool: 'mariabackup',
      positions: '{"to_lsn":"1"}',
      volume_used_bytes: 100 * 1024 * 1024,
      parts: null,
      archive_floor: null,
      key_id: api.services.runtime.backupObjects.keyring.current.id,
      fail_reason: null,
      deleted: 0,
      deleted_at: null,
      created_at: now,
      updated_at: now,
      ...values,
    };
    await api.services.store.db.insertInto('backups').values(row).execute();
    return row;
  }

  before(async () => {
    api = await startTestApi();
    const now = new Date().toISOString();
    instance = {
      id: newId(),
      project_id: api.demo.projectId,
      name: 'src',
      flavor_id: '1',
      ram_mb: 512,
      vcpus: 1,
      volume_size: 1,
      datastore: 'mysql',
      datastore_version: '10.11',
      datastore_version_full: '10.11.19',
      task_status: 'NONE',
      address: null,
      port: null,
      server_status: 'ACTIVE',
      service_status: 'HEALTHY',
      service_status_updated: now,
      last_contact_at: now,
      volume_used_bytes: 0,
      fault_message: null,
      fault_details: null,
      fault_created: null,
      deleted: 0,
      deleted_at: null,
      created_at: now,
      updated_at: now,
      root_enabled_at: null,
      configuration_id: null,
      applied_configuration: null,
      restart_required: 0,
      replica_of_id: null,
      replication_secret: null,
      replication_status: null,
      auto_failover: 0,
      access_public: 0,
      access_cidrs: '[]',
      cluster_id: null,
      cluster_member_type: null,
    };
    await api.services.store.db.insertInto('instances').values(instance).execute();
  });
  after(() => api.close());

  it('refuses a restore onto a volume smaller than the source used, saying how large to ask for', async () => {
    const big = await completedBackup({ volume_used_bytes: Math.round(2.5 * GB) });
    const small = await call('POST', '/instances', { instance: { name: 'r', flavorRef: '1', volume: { size: 2 }, restorePoint: { backupRef: big.id } } });
    assert.equal(small.statusCode, 400);
    assert.match(small.json().badRequest.message, /too small .* used 2\.50 GB; ask for at least 3 GB/);
    const version = await call('POST', '/instances', { instance: { name: 'r', flavorRef: '1', volume: { size: 3 }, datastore: { type: 'mysql', version: '8.0' }, restorePoint: { backupRef: big.id } } });
    assert.equal(version.statusCode, 400);
    assert.match(version.json().badRequest.message, /cannot be restored as version 8\.0/);
    const noRef = await call('POST', '/instances', { instance: { name: 'r', flavorRef: '1', volume: { size: 3 }, restorePoint: {} } });
    assert.equal(noRef.statusCode, 400);
    assert.equal((await api.services.instances.list(api.demo.projectId)).length, 1, 'no instance was written');
  });

  it('refuses to restore a backup that is not COMPLETED, or one whose chain is broken', async () => {
    const failed = await completedBackup({ status: 'FAILED' });
    const refused = await call('POST', '/instances', { instance: { name: 'r', flavorRef: '1', volume: { size: 1 }, restoreFrom: { backupRef: failed.id } } });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.json().badRequest.message, /is FAILED; only a COMPLETED backup can be restored/);
    const child = await completedBackup({ kind: 'incremental', parent_id: failed.id });
    const broken = await call('POST', '/instances', { instance: { name: 'r', flavorRef: '1', volume: { size: 1 }, restorePoint: { backupRef: child.id } } });
    assert.equal(broken.statusCode, 400);
    assert.match(broken.json().badRequest.message, /builds on backup .* which is FAILED/);
  });

  it('shows backups in Trove’s shape, filters and pages them, and hides other projects’ from non-admins', async () => {
    const shown = (await call('GET', '/backups')).json().backups;
    assert.ok(shown.length >= 3);
    const one = shown[0];
    assert.deepEqual(
      Object.keys(one)
        .filter((k) => k !== 'fail_reason')
        .sort(),
      ['created', 'datastore', 'description', 'id', 'instance_id', 'locationRef', 'name', 'parent_id', 'project_id', 'size', 'status', 'updated'].sort(),
    );
    assert.match(one.datastore.version_id, /^[0-9a-f-]{36}$/);
    const page = (await call('GET', '/backups?limit=1')).json();
    assert.equal(page.backups.length, 1);
    assert.match(page.links[0].href, /marker=/);
    assert.equal((await call('GET', '/backups?datastore=postgresql')).json().backups.length, 0);
    assert.equal((await call('GET', `/backups?instance_id=${instance.id}`)).json().backups.length, shown.length);
    assert.equal((await call('GET', `/backups/${one.id}`, undefined, 'admin')).statusCode, 200, 'admins see every project');
    assert.equal((await call('GET', '/backups?all_projects=True', undefined, 'admin')).json().backups.length, shown.length);
    assert.equal((await call('GET', '/backups', undefined, 'admin')).json().backups.length, 0, 'without all_projects, an admin lists its own');
    assert.equal((await call('GET', '/backups/not-a-backup')).statusCode, 404);
  });

  it('shows where a backup is in the store’s own URL form, never the server’s folder', async () => {
    const dataDir = api.services.settings.data_dir;
    // An instance of its own: the backup leaves it in BACKUP, and counts against the quota, until the task (not running here) ends.
    const source = { ...instance, id: newId(), name: 'where' };
    await api.services.store.db.insertInto('instances').values(source).execute();
    const created = await call('POST', '/backups', { backup: { name: 'where', instance: source.id } });
    assert.equal(created.statusCode, 202, created.body);
    const { id } = created.json().backup;
    await api.services.store.db.updateTable('backups').set({ status: 'COMPLETED' }).where('id', '=', id).execute();
    const shown = (await call('GET', `/backups/${id}`)).json().backup;
    assert.equal(shown.locationRef, `local://database_backups/${id}/data.full.zst.enc`);
    const stored = await api.services.store.db.selectFrom('backups').select('location').where('id', '=', id).executeTakeFirstOrThrow();
    assert.ok(!stored.location.includes(dataDir), 'the store keeps no server path either');
    // A backup recorded with the server's path before the store had this form is shown in it too.
    const legacy = await completedBackup({ location: `file://${dataDir}/objects/database_backups/x/data.full.zst.enc` });
    const legacyShown = (await call('GET', `/backups/${legacy.id}`)).json().backup;
    assert.equal(legacyShown.locationRef, `local://database_backups/${legacy.object_key}`);
    for (const listed of (await call('GET', '/backups')).json().backups as Array<{ locationRef: string | null }>) assert.doesNotMatch(String(listed.locationRef), /^file:|\/objects\//);
    await api.services.store.db.deleteFrom('backups').where('id', 'in', [id, legacy.id]).execute();
    await api.services.store.db.deleteFrom('tasks').where('target_id', '=', id).execute();
    await api.services.store.db
      .updateTable('quota_usages')
      .set((eb) => ({ in_use: eb('in_use', '-', 1) }))
      .where('project_id', '=', api.demo.projectId)
      .where('resource', '=', 'backups')
      .execute();
  });

  it('counts backups against the quota, refusing one over it with 413 and writing nothing', async () => {
    await api.app.inject({ method: 'PUT', url: `/v1.0/${api.admin.projectId}/mgmt/quotas/${api.demo.projectId}`, headers: { 'x-auth-token': api.admin.token }, payload: { quotas: { backups: 0 } } });
    const before = (await call('GET', '/backups')).json().backups.length;
    const refused = await call('POST', '/backups', { backup: { name: 'over', instance: instance.id } });
    assert.equal(refused.statusCode, 413);
    assert.equal((await call('GET', '/backups')).json().backups.length, before);
    const row = await api.services.store.db.selectFrom('instances').select('task_status').where('id', '=', instance.id).executeTakeFirstOrThrow();
    assert.equal(row.task_status, 'NONE', 'the instance was not left busy');
  });

  it('keeps backup strategies per project and instance, and uses the most specific container', async () => {
    const project = await call('POST', '/backup_strategies', { backup_strategy: { swift_container: 'project-box' } });
    assert.equal(project.statusCode, 202);
    assert.deepEqual(project.json().backup_strategy, { project_id: api.demo.projectId, instance_id: '', backend: 'swift', swift_container: 'project-box' });
    assert.equal((await call('POST', '/backup_strategies', { backup_strategy: { instance_id: instance.id, swift_container: 'instance-box' } })).statusCode, 202);
    assert.equal((await call('POST', '/backup_strategies', { backup_strategy: { swift_container: 'No Spaces' } })).statusCode, 400);
    assert.equal((await call('POST', '/backup_strategies', { backup_strategy: { instance_id: 'nope', swift_container: 'abc' } })).statusCode, 404);
    assert.deepEqual(
      (await call('GET', '/backup_strategies')).json().backup_strategies.map((s: { swift_container: string }) => s.swift_container),
      ['project-box', 'instance-box'],
    );
    await api.app.inject({ method: 'PUT', url: `/v1.0/${api.admin.projectId}/mgmt/quotas/${api.demo.projectId}`, headers: { 'x-auth-token': api.admin.token }, payload: { quotas: { backups: 50 } } });
    const created = await call('POST', '/backups', { backup: { name: 'boxed', instance: instance.id } });
    assert.equal(created.statusCode, 202, created.body);
    const row = await api.services.store.db.selectFrom('backups').selectAll().where('id', '=', created.json().backup.id).executeTakeFirstOrThrow();
    assert.equal(row.container, 'instance-box');
    assert.equal((await call('DELETE', `/backup_strategies?instance_id=${instance.id}`)).statusCode, 202);
    assert.deepEqual(
      (await call('GET', '/backup_strategies')).json().backup_strategies.map((s: { swift_container: string }) => s.swift_container),
      ['project-box'],
    );
  });

  it('removes archived log files no backup needs: unlisted ones below the newest full backup’s floor, then all unlisted once the instance is gone', async () => {
    const storage = api.services.runtime.backupObjects;
    const prefix = BackupObjects.archivePrefix(instance.id);
    const key = (name: string) => `${prefix}${name}`;
    for (const name of ['A', 'B', 'C', 'D']) await storage.store.put(storage.defaultContainer, key(name), Buffer.from(name));
    const part = (name: string) => ({ container: storage.defaultContainer, key: key(name), size: 1, sha256: 'b'.repeat(64) });
    await completedBackup({ kind: 'incremental', parts: JSON.stringify([part('A')]) });
    await completedBackup({ archive_floor: 'C' });
    assert.equal(await collectArchive(api.services.store.db, storage, instance.id), 1);
    assert.deepEqual(await storage.store.list(storage.defaultContainer, prefix), [key('A'), key('C'), key('D')], 'B went; A is listed; C and D are what later incrementals need');
    await api.services.store.db.updateTable('instances').set({ deleted: 1 }).where('id', '=', instance.id).execute();
    try {
      assert.equal(await collectArchive(api.services.store.db, storage, instance.id), 2);
      assert.deepEqual(await storage.store.list(storage.defaultContainer, prefix), [key('A')]);
    } finally {
      await api.services.store.db.updateTable('instances').set({ deleted: 0 }).where('id', '=', instance.id).execute();
    }
  });
});
