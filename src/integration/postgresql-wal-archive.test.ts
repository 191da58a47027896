import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { POSTGRESQL } from '../test-support/datastore-profiles.js';
import { APP } from '../test-support/mariadb.js';
import { psql } from '../test-support/psql.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';
import { takeBackup } from '../test-support/backups.js';

const TOML = '[tasks]\nlease_seconds = 5\nreconcile_seconds = 1\npoll_ms = 50\n\n[rate_limits]\nGET = 0\nPOST = 0\nPUT = 0\nPATCH = 0\nDELETE = 0\n';
const SEGMENT = /^[0-9A-F]{24}$/;
const MARKER = 'wal-archive-marker';

/**
 * PostgreSQL's archive_command hands each finished WAL segment to the agent, which pushes it
 * through the backup pipeline as its own object; incrementals list the segments they span.
 */
describe('PostgreSQL WAL archived segment by segment through the backup pipeline', () => {
  let host: TroveHost;
  let id = '';
  let ip = '';
  const restored: string[] = [];
  const objects = () => join(host.dataDir, 'objects', 'database_backups');
  const archived = () => {
    const dir = join(objects(), 'archive', id);
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((n) => SEGMENT.test(n))
          .sort()
      : [];
  };
  const sql = async (statement: string) => {
    const ran = await psql(ip, APP.user, APP.password, APP.database, statement);
    assert.equal(ran.code, 0, ran.stderr);
    return ran.stdout.trim();
  };
  /** About 30 MiB of WAL: more than one 16 MiB segment fills and is handed over. */
  const writeSegments = (from: number) => sql(`INSERT INTO big SELECT g, repeat(md5(g::text), 8) || '${MARKER}' FROM generate_series(${from}, ${from + 99_999}) g`);

  const backUp = (name: string, extra: object = {}) => takeBackup(host.demo, id, name, extra);

  async function restore(name: string, backupId: string): Promise<any> {
    const created = await host.demo.call('POST', '/instances', { instance: { name, flavorRef: '1', volume: { size: 1 }, restorePoint: { backupRef: backupId } } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    restored.push(created.body.instance.id);
    return host.demo.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR']);
  }

  const manifest = (backupId: string) => JSON.parse(readFileSync(join(objects(), backupId, 'manifest.json'), 'utf8'));

  let full: any;
  let incremental: any;
  let pushed = '';

  before(async () => {
    host = await startTroveHost('127.0.58.0/24', TOML);
    const created = await host.demo.call('POST', '/instances', { instance: { name: 'source', flavorRef: '1', volume: { size: 1 }, datastore: { type: POSTGRESQL.type, version: POSTGRESQL.version }, ...POSTGRESQL.account } });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const view = await host.demo.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR']);
    assert.equal(view.status, 'ACTIVE', JSON.stringify(view));
    id = view.id;
    ip = view.ip[0];
    await sql('CREATE TABLE big (id int PRIMARY KEY, v text)');
  });
  after(async () => {
    await host?.close();
  });

  it('stores each finished segment as an encrypted object as soon as it is written, before any incremental', async () => {
    full = await backUp('full');
    const floor = manifest(full.id).positions.end_segment as string;
    assert.match(floor, SEGMENT);
    await writeSegments(1);
    const deadline = Date.now() + 60_000;
    while (!archived().some((name) => name > floor) && Date.now() < deadline) await sleep(200);
    const after = archived().filter((name) => name > floor);
    assert.ok(after.length > 0, `no segment after ${floor} was archived; archived: ${archived().join()}`);
    pushed = after[0]!;
    const object = readFileSync(join(objects(), 'archive', id, pushed));
    // A 16 MiB segment of repeated text, compressed then encrypted: small, and no plain text in it.
    assert.ok(object.length < 4 * 1024 * 1024, `${object.length} bytes`);
    assert.equal(object.indexOf(MARKER), -1);
    assert.notEqual(object.readUInt32LE(0), 0xfd2fb528, 'the object is not bare zstd');
    // What the agent archives with (the store's credentials, the key) is root's alone.
    const target = statSync(join(host.dataDir, 'instances', id, 'run', 'archive', 'target.json'));
    assert.equal(target.mode & 0o777, 0o600);
    assert.equal(target.uid, process.getuid!());
  });

  it('an incremental lists the segments it spans, verified, and restores from them', async () => {
    await sql(`INSERT INTO big VALUES (0, 'before-incremental')`);
    incremental = await backUp('incremental', { parent_id: full.id });
    const parts = manifest(incremental.id).parts as Array<{ key: string; size: number; sha256: string }>;
    const names = parts.map((p) => p.key.split('/').pop());
    assert.ok(names.includes(pushed), `${pushed} not in ${names.join()}`);
    assert.ok(parts.every((p) => p.key.startsWith(`archive/${id}/`) && /^[0-9a-f]{64}$/.test(p.sha256) && p.size === statSync(join(objects(), p.key)).size));
    await sql(`INSERT INTO big VALUES (-1, 'after-incremental')`);
    const view = await restore('from-incremental', incremental.id);
    assert.equal(view.status, 'ACTIVE', JSON.stringify(view));
    const copy = view.ip[0];
    const counted = await psql(copy, APP.user, APP.password, APP.database, "SELECT count(*), count(*) FILTER (WHERE v = 'before-incremental'), count(*) FILTER (WHERE v = 'after-incremental') FROM big");
    const log = () => readFileSync(join(host.dataDir, 'instances', view.id, 'log', 'postgresql.log'), 'utf8');
    assert.equal(counted.stdout.trim(), '100001|1|0', log());
  });

  it('fails a restore whose archived segment is corrupt, with the reason', async () => {
    const path = join(objects(), 'archive', id, pushed);
    const original = readFileSync(path);
    try {
      const corrupt = Buffer.from(original);
      corrupt[Math.floor(corrupt.length / 2)]! ^= 0x55;
      writeFileSync(path, corrupt);
      const view = await restore('from-corrupt-segment', incremental.id);
      assert.equal(view.status, 'ERROR');
      assert.match(view.fault.message, /corrupt/);
    } finally {
      writeFileSync(path, original);
    }
  });

  it('removes segments no backup needs: unlisted ones below a new full backup, and the rest once backups and instance are gone', async () => {
    const listed = new Set((manifest(incremental.id).parts as Array<{ key: string }>).map((p) => p.key.split('/').pop()!));
    await writeSegments(200_000);
    const deadline = Date.now() + 60_000;
    while (!archived().some((name) => !listed.has(name) && name > [...listed].sort().pop()!) && Date.now() < deadline) await sleep(200);
    const unlisted = archived().filter((name) => !listed.has(name));
    assert.ok(unlisted.length > 0, 'a segment written after the incremental was archived');
    const second = await backUp('full-2');
    // Removed just after the full backup is recorded COMPLETED.
    for (const until = Date.now() + 10_000; unlisted.some((name) => archived().includes(name)) && Date.now() < until; ) await sleep(100);
    const left = archived();
    for (const name of listed) assert.ok(left.includes(name), `${name}, which the incremental lists, was kept`);
    for (const name of unlisted) assert.ok(!left.includes(name), `${name}, which no backup lists, was removed`);
    assert.equal(manifest(second.id).parts.length, 0);

    for (const instance of restored) await host.demo.call('DELETE', `/instances/${instance}`);
    for (const instance of restored) await host.demo.waitForStatus(instance, ['GONE']);
    for (const backup of [full.id, second.id]) assert.equal((await host.demo.call('DELETE', `/backups/${backup}`)).status, 202);
    for (const backup of [full.id, incremental.id, second.id]) await host.demo.waitForBackup(backup, ['GONE']);
    assert.equal((await host.demo.call('DELETE', `/instances/${id}`)).status, 202);
    await host.demo.waitForStatus(id, ['GONE']);
    // The step after the one that makes the instance GONE.
    for (const until = Date.now() + 10_000; archived().length > 0 && Date.now() < until; ) await sleep(100);
    assert.deepEqual(archived(), []);
  });
});
