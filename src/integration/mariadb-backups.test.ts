import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { asApp, createAppInstance } from '../test-support/mariadb.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

const TOML = '[tasks]\nlease_seconds = 5\nreconcile_seconds = 1\npoll_ms = 50\n\n[backups]\ntimeout_seconds = 20\n\n[rate_limits]\nGET = 0\nPOST = 0\nPUT = 0\nPATCH = 0\nDELETE = 0\n';

/** Full and incremental backups of a real MariaDB, restores into new instances, and what goes wrong on the way. */
describe('MariaDB backups and restore', () => {
  let host: TroveHost;
  let id = '';
  let ip = '';
  const backups: Record<string, string> = {};
  const objects = () => join(host.dataDir, 'objects', 'database_backups');
  const rows = async (address: string) => (await asApp(address, 'SELECT x FROM appdb.t ORDER BY x')).stdout.trim().split('\n').filter(Boolean).map(Number);

  async function backUp(name: string, extra: object = {}): Promise<any> {
    const created = await host.demo.call('POST', '/backups', { backup: { name, instance: id, ...extra } });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.backup.status, 'NEW');
    const done = await host.demo.waitForBackup(created.body.backup.id, ['COMPLETED', 'FAILED']);
    assert.equal(done.status, 'COMPLETED', JSON.stringify(done));
    backups[name] = done.id;
    await host.demo.waitForStatus(id, ['ACTIVE']);
    return done;
  }

  async function restore(name: string, backupId: string): Promise<{ id: string; view: any }> {
    const created = await host.demo.call('POST', '/instances', { instance: { name, flavorRef: '1', volume: { size: 1 }, restorePoint: { backupRef: backupId } } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    return { id: created.body.instance.id, view: await host.demo.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR']) };
  }

  async function remove(instanceId: string): Promise<void> {
    await host.demo.call('DELETE', `/instances/${instanceId}`);
    await host.demo.waitForStatus(instanceId, ['GONE']);
  }

  before(async () => {
    host = await startTroveHost('127.0.50.0/24', TOML);
    ({ id, ip } = await createAppInstance(host.demo, 'source', '1'));
    assert.equal((await asApp(ip, 'CREATE TABLE appdb.t (x INT PRIMARY KEY); INSERT INTO appdb.t VALUES (1)')).code, 0);
  });
  after(async () => {
    await host?.close();
  });

  it('takes a full backup: the instance shows BACKUP, the backup COMPLETED with its size, and a verified manifest', async () => {
    // Nothing writes during the backup, so its GTID is the server's last one.
    const gtid = (await asApp(ip, 'SELECT @@gtid_binlog_pos')).stdout.trim();
    assert.match(gtid, /^0-\d+-\d+$/, 'the binary log records GTIDs');
    const created = await host.demo.call('POST', '/backups', { backup: { name: 'full', instance: id, description: 'first', incremental: 0 } });
    assert.equal(created.status, 202);
    const during = await host.demo.call('GET', `/instances/${id}`);
    assert.ok(['BACKUP', 'ACTIVE'].includes(during.body.instance.status), during.body.instance.status);
    const done = await host.demo.waitForBackup(created.body.backup.id, ['COMPLETED', 'FAILED']);
    assert.equal(done.status, 'COMPLETED', JSON.stringify(done));
    backups.full = done.id;
    assert.equal(done.parent_id, null);
    assert.equal(done.description, 'first');
    assert.deepEqual([done.datastore.type, done.datastore.version], ['mysql', '10.11']);
    assert.ok(done.size > 0);
    assert.match(done.locationRef, new RegExp(`database_backups/${done.id}/`));
    const manifest = JSON.parse(readFileSync(join(objects(), done.id, 'manifest.json'), 'utf8'));
    assert.equal(manifest.tool, 'mariabackup');
    assert.equal(manifest.encryption.algorithm, 'AES-256-GCM');
    assert.match(manifest.positions.to_lsn, /^\d+$/);
    assert.equal(manifest.positions.gtid, gtid, 'the manifest records the GTID the backup ends at');
    const data = readFileSync(join(objects(), manifest.object.key));
    assert.equal(data.length, manifest.object.size);
    assert.equal(data.subarray(0, 8).toString(), 'TRVBK001', 'the stored object is encrypted');
    assert.equal((await host.demo.waitForStatus(id, ['ACTIVE'])).status, 'ACTIVE');
    const listed = await host.demo.call('GET', `/instances/${id}/backups`);
    assert.deepEqual(
      listed.body.backups.map((b: any) => b.id),
      [done.id],
    );
  });

  it('chains two incrementals and restores each point in time: rows written before are there, rows after are not', async () => {
    await asApp(ip, 'INSERT INTO appdb.t VALUES (2)');
    const first = await backUp('inc1', { parent_id: backups.full });
    assert.equal(first.parent_id, backups.full);
    await asApp(ip, 'INSERT INTO appdb.t VALUES (3)');
    // `incremental: 1` without a parent builds on the newest completed backup, as Trove does.
    const second = await backUp('inc2', { incremental: 1 });
    assert.equal(second.parent_id, backups.inc1);
    await asApp(ip, 'INSERT INTO appdb.t VALUES (4)');

    const last = await restore('from-inc2', backups.inc2!);
    assert.equal(last.view.status, 'ACTIVE', JSON.stringify(last.view));
    assert.deepEqual(await rows(last.view.ip[0]), [1, 2, 3], 'the users and data of the source, up to the last incremental');
    const full = await restore('from-full', backups.full!);
    assert.equal(full.view.status, 'ACTIVE', JSON.stringify(full.view));
    assert.deepEqual(await rows(full.view.ip[0]), [1]);
    // A restored instance is an instance like any other: it can be backed up in turn.
    const again = await host.demo.call('POST', '/backups', { backup: { name: 'of-restored', instance: full.id, parent_id: backups.full } });
    assert.equal(again.status, 400, 'an incremental builds on a backup of the same instance');
    await remove(last.id);
    await remove(full.id);
  });

  it('refuses what it cannot do with a message, and changes nothing', async () => {
    const missing = await host.demo.call('POST', '/backups', { backup: { name: 'x' } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.badRequest.message, /instance is missing/);
    assert.equal((await host.demo.call('POST', '/backups', { backup: { name: 'x', instance: 'nope' } })).status, 404);
    assert.equal((await host.demo.call('POST', '/backups', { backup: { name: 'x', instance: id, parent_id: 'nope' } })).status, 404);
    assert.equal((await host.demo.call('POST', '/backups', { backup: { name: 'x', instance: id, swift_container: 'Bad/Name' } })).status, 400);
    assert.equal((await host.demo.call('POST', '/instances', { instance: { name: 'r', flavorRef: '1', volume: { size: 1 }, restorePoint: { backupRef: 'nope' } } })).status, 404);
    const otherEngine = await host.demo.call('POST', '/instances', { instance: { name: 'r', flavorRef: '1', volume: { size: 1 }, datastore: { type: 'postgresql' }, restorePoint: { backupRef: backups.full } } });
    assert.equal(otherEngine.status, 400);
    assert.match(otherEngine.body.badRequest.message, /cannot be restored as 'postgresql'/);
    // Two at once: the second is refused while the first runs.
    const first = await host.demo.call('POST', '/backups', { backup: { name: 'busy-1', instance: id } });
    const second = await host.demo.call('POST', '/backups', { backup: { name: 'busy-2', instance: id } });
    assert.ok([409, 422].includes(second.status), String(second.status));
    const running = await host.demo.call('DELETE', `/backups/${first.body.backup.id}`);
    assert.equal(running.status, 422);
    assert.match(running.body.unprocessableEntity.message, /running/);
    assert.equal((await host.demo.waitForBackup(first.body.backup.id, ['COMPLETED', 'FAILED'])).status, 'COMPLETED');
    const names = (await host.demo.call('GET', '/backups')).body.backups.map((b: any) => b.name);
    assert.ok(!names.includes('x') && !names.includes('busy-2'), names.join());
    await host.demo.waitForStatus(id, ['ACTIVE']);
  });

  it('fails a restore from a corrupt or truncated backup with the reason, and never claims ACTIVE', async () => {
    const object = join(objects(), backups.inc1!, 'data.incremental.zst.enc');
    const original = readFileSync(object);
    try {
      const corrupt = Buffer.from(original);
      corrupt[Math.floor(corrupt.length / 2)]! ^= 0x55;
      writeFileSync(object, corrupt);
      const broken = await restore('from-corrupt', backups.inc2!);
      assert.equal(broken.view.status, 'ERROR');
      assert.match(broken.view.fault.message, /corrupt/);
      await remove(broken.id);

      writeFileSync(object, original);
      truncateSync(object, original.length - 4096);
      const cut = await restore('from-truncated', backups.inc2!);
      assert.equal(cut.view.status, 'ERROR');
      assert.match(cut.view.fault.message, /truncated/);
      await remove(cut.id);
    } finally {
      writeFileSync(object, original);
    }
  });

  it('finds an old key by its id after a key rotation, and refuses a backup whose key it lacks', async () => {
    const keyFile = join(host.dataDir, 'backup.key');
    const oldKey = join(host.dataDir, 'backup-old.key');
    renameSync(keyFile, oldKey);
    await host.restart();
    const keyless = await host.demo.call('POST', '/instances', { instance: { name: 'r', flavorRef: '1', volume: { size: 1 }, restorePoint: { backupRef: backups.full } } });
    assert.equal(keyless.status, 422);
    assert.match(keyless.body.unprocessableEntity.message, /encrypted with key [0-9a-f]{16}, which this server does not have/);

    writeFileSync(join(host.dataDir, 'trove.toml'), `${readFileSync(join(host.dataDir, 'trove.toml'), 'utf8').replace('[backups]\n', `[backups]\nprevious_key_files = ["${oldKey}"]\n`)}`);
    await host.restart();
    const rotated = await restore('after-rotation', backups.full!);
    assert.equal(rotated.view.status, 'ACTIVE', JSON.stringify(rotated.view));
    assert.deepEqual(await rows(rotated.view.ip[0]), [1]);
    await remove(rotated.id);
    // New backups use the new key.
    const fresh = await backUp('new-key');
    const manifest = JSON.parse(readFileSync(join(objects(), fresh.id, 'manifest.json'), 'utf8'));
    assert.notEqual(manifest.encryption.key_id, JSON.parse(readFileSync(join(objects(), backups.full!, 'manifest.json'), 'utf8')).encryption.key_id);
  });

  it('ends a backup FAILED when its agent is killed mid-way, cleans up, and the next backup succeeds', async () => {
    // Enough data that the backup is still running when the agent dies.
    await asApp(ip, 'CREATE TABLE appdb.bulk (b LONGBLOB) ; INSERT INTO appdb.bulk SELECT RANDOM_BYTES(1024) FROM appdb.seq_1_to_40000');
    // Progress shows while it runs: the bytes stored so far. On a quiet machine a backup can end
    // before the first progress report; then it is taken again with more data (three tries at most).
    let created: any;
    let shown: any;
    const seen: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (attempt > 1) {
        const more = await asApp(ip, 'INSERT INTO appdb.bulk SELECT RANDOM_BYTES(1024) FROM appdb.seq_1_to_40000');
        assert.equal(more.code, 0, more.stderr);
      }
      created = await host.demo.call('POST', '/backups', { backup: { name: `killed-${attempt}`, instance: id } });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const deadline = Date.now() + 60_000;
      do {
        shown = (await host.demo.call('GET', `/backups/${created.body.backup.id}`)).body.backup;
        seen.push(`${attempt}:${shown.status}:${shown.progress?.bytes_stored ?? '-'}`);
        if (shown.progress?.bytes_stored > 0) break;
        await sleep(50);
      } while (Date.now() < deadline && ['NEW', 'BUILDING'].includes(shown.status));
      if (shown.status === 'BUILDING') break;
      const ended = await host.demo.waitForBackup(created.body.backup.id, ['COMPLETED', 'FAILED']);
      assert.equal((await host.demo.call('DELETE', `/backups/${ended.id}`)).status, 202);
      await host.demo.waitForStatus(id, ['ACTIVE']);
    }
    assert.equal(shown.status, 'BUILDING', `killed while running; seen: ${[...new Set(seen)].join(' ')}`);
    assert.ok(shown.progress.bytes_stored > 0);
    const agentPid = Number(readFileSync(join(host.dataDir, 'instances', id, 'agent.pid'), 'utf8'));
    process.kill(agentPid, 'SIGKILL');
    const ended = await host.demo.waitForBackup(created.body.backup.id, ['COMPLETED', 'FAILED']);
    assert.equal(ended.status, 'FAILED');
    assert.match(ended.fail_reason, /agent stopped while the backup was under way/);
    assert.ok(!existsSync(join(objects(), ended.id)), 'no partial object is left');
    assert.equal((await host.demo.waitForStatus(id, ['ACTIVE'])).status, 'ACTIVE');
    await backUp('after-agent-kill');
  });

  it('finishes or fails a backup when trove serve is killed mid-way, and the next backup succeeds', async () => {
    const created = await host.demo.call('POST', '/backups', { backup: { name: 'serve-killed', instance: id } });
    host.crash();
    await host.restart();
    const ended = await host.demo.waitForBackup(created.body.backup.id, ['COMPLETED', 'FAILED']);
    assert.ok(['COMPLETED', 'FAILED'].includes(ended.status));
    await host.demo.waitForStatus(id, ['ACTIVE']);
    await backUp('after-serve-kill');
  });

  it('expires a stuck backup at its deadline, stops its tool, and the next backup succeeds', async () => {
    const created = await host.demo.call('POST', '/backups', { backup: { name: 'stuck', instance: id } });
    await host.demo.waitForBackup(created.body.backup.id, ['BUILDING']);
    // BUILDING comes as the agent starts the backup; the tool itself follows a moment later.
    const running = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`${host.dataDir}/instances/${id}/run/my.cnf`) && readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('mariabackup');
          } catch {
            return false;
          }
        });
    let tools = running();
    for (let i = 0; i < 100 && tools.length === 0; i++) {
      await sleep(50);
      tools = running();
    }
    assert.equal(tools.length, 1, 'one mariabackup is running');
    // Freeze the engine's backup tool: the backup makes no progress until its deadline.
    process.kill(Number(tools[0]), 'SIGSTOP');
    const ended = await host.demo.waitForBackup(created.body.backup.id, ['COMPLETED', 'FAILED'], 60_000);
    assert.equal(ended.status, 'FAILED');
    assert.match(ended.fail_reason, /deadline/);
    await host.demo.waitForStatus(id, ['ACTIVE']);
    await backUp('after-deadline');
  });

  it('never writes a backup key into a log, a manifest or a response', async () => {
    const keys = ['backup.key', 'backup-old.key'].map((f) => readFileSync(join(host.dataDir, f), 'utf8').trim());
    const texts = [host.server.output(), JSON.stringify((await host.demo.call('GET', '/backups')).body)];
    for (const instance of readdirSync(join(host.dataDir, 'instances'))) texts.push(readFileSync(join(host.dataDir, 'instances', instance, 'agent.log'), 'utf8'));
    for (const backup of readdirSync(objects())) {
      if (existsSync(join(objects(), backup, 'manifest.json'))) texts.push(readFileSync(join(objects(), backup, 'manifest.json'), 'utf8'));
    }
    for (const key of keys) for (const text of texts) assert.ok(!text.includes(key) && !text.includes(Buffer.from(key, 'base64').toString('hex')));
  });

  it('deletes a backup with the incrementals built on it, their objects and their quota', async () => {
    const before = (await host.demo.call('GET', '/backups')).body.backups.length;
    assert.equal((await host.demo.call('DELETE', `/backups/${backups.full}`)).status, 202);
    for (const name of ['full', 'inc1', 'inc2']) await host.demo.waitForBackup(backups[name]!, ['GONE']);
    for (const name of ['full', 'inc1', 'inc2']) assert.ok(!existsSync(join(objects(), backups[name]!)), `${name}'s objects are gone`);
    assert.equal((await host.demo.call('GET', '/backups')).body.backups.length, before - 3);
    assert.equal((await host.demo.call('DELETE', `/backups/${backups.full}`)).status, 404);
  });
});
