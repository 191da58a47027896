import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '../common/time.js';
import { systemUser } from '../agent/system-user.js';
import type { ApiClient } from '../test-support/http-client.js';
import { median, type Row } from './stats.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
/**
 * How often the bench asks whether a backup or restore has finished. A client asking 50 times a
 * second takes CPU the backup needs on a 2-core machine (about 0.35 s of it per backup here);
 * 100 ms adds at most that to a figure, and clients (the trove CLI) ask far less often.
 */
const POLL_MS = 100;

/** One engine's part of the backup bench: how to fill it, and its raw tools. */
export interface BackupBenchEngine {
  datastore: string;
  version: string;
  /** Fills the instance with about `mib` MiB of rows, partly compressible like real data. */
  load(instanceFolder: string, ip: string, mib: number): Promise<void>;
  /** The raw backup command, writing its stream to standard output, as a shell line. */
  rawBackup(instanceFolder: string): string;
  /** The raw restore of a `zstd` file into an empty folder (extract, and prepare where the tool needs it). */
  rawRestore(file: string, into: string): string;
}

export const MARIADB_BENCH: BackupBenchEngine = {
  datastore: 'mysql',
  version: '10.11',
  async load(folder, _ip, mib) {
    const socket = join(folder, 'run', 'mysqld.sock');
    const sql = (statement: string) => run('mariadb', ['--no-defaults', `--socket=${socket}`, '--user=root', '-e', statement], { maxBuffer: 16 * MiB, timeout: 3_600_000 });
    await sql('CREATE DATABASE bench; CREATE TABLE bench.t (id INT PRIMARY KEY, payload BLOB)');
    // ~1 KiB a row: a quarter random, the rest repeated text.
    const rows = mib * 1024;
    for (let from = 1; from <= rows; from += 100_000) {
      await sql(`INSERT INTO bench.t SELECT seq, CONCAT(RANDOM_BYTES(256), REPEAT(CONCAT('row ', seq, ' of the trove bench; '), 24)) FROM bench.seq_${from}_to_${Math.min(from + 99_999, rows)}`);
    }
  },
  rawBackup: (folder) => `mariabackup --defaults-file=${folder}/run/my.cnf --backup --stream=xbstream --target-dir=/tmp --user=root --socket=${folder}/run/mysqld.sock --parallel=2 2>/dev/null`,
  rawRestore: (file, into) => `zstd -d -q -c ${file} | mbstream -x -C ${into} && mariabackup --prepare --target-dir=${into} 2>/dev/null`,
};

export const POSTGRES_BENCH: BackupBenchEngine = {
  datastore: 'postgresql',
  version: '15',
  async load(folder, _ip, mib) {
    const user = systemUser('postgres');
    const sql = (statement: string) => run('psql', ['-X', '-q', '-h', join(folder, 'run'), '-U', 'postgres', '-c', statement], { uid: user.uid, gid: user.gid, cwd: '/', maxBuffer: 16 * MiB, timeout: 3_600_000 });
    await sql('CREATE TABLE bench (id int PRIMARY KEY, payload text)');
    const rows = mib * 1024;
    for (let from = 1; from <= rows; from += 100_000) {
      await sql(`INSERT INTO bench SELECT g, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || repeat('row ' || g || ' of the trove bench; ', 24) FROM generate_series(${from}, ${Math.min(from + 99_999, rows)}) g`);
    }
    await sql('CHECKPOINT');
  },
  rawBackup: (folder) => `runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_basebackup -h ${folder}/run -U postgres -D - -F tar -X fetch --checkpoint=fast`,
  rawRestore: (file, into) => `zstd -d -q -c ${file} | tar -x -C ${into}`,
};

/**
 * Writes out every dirty page, untimed, before each measured step: with 2 GB of restores in each
 * run, a step would otherwise pay for the write-back of the steps before it, and the step after
 * the expert's 300 MB file (Trove's backup, in a fixed order) would always pay the most.
 */
async function settle(): Promise<void> {
  await timed('sync', false);
}

export async function timed(command: string, settleFirst = true): Promise<number> {
  if (settleFirst) await settle();
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/bin/bash', ['-o', 'pipefail', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command}: exit ${code}: ${stderr.slice(-500)}`))));
  });
  return (performance.now() - started) / 1000;
}

async function waitBackup(api: ApiClient, id: string): Promise<void> {
  for (;;) {
    const backup = (await api.call('GET', `/backups/${id}`)).body.backup;
    if (backup.status === 'COMPLETED') return;
    if (backup.status === 'FAILED') throw new Error(`backup failed: ${backup.fail_reason}`);
    await sleep(POLL_MS);
  }
}

async function waitInstance(api: ApiClient, id: string): Promise<void> {
  for (;;) {
    const shown = (await api.call('GET', `/instances/${id}`)).body.instance;
    if (shown.status === 'ACTIVE') return;
    if (shown.status === 'ERROR') throw new Error(`instance failed: ${JSON.stringify(shown.fault)}`);
    await sleep(POLL_MS);
  }
}

/**
 * Backup and restore of about `mib` MiB through Trove against, in the same run: the raw tool into
 * /dev/null (the ceiling), and what an expert types by hand (the raw tool through zstd -1 -T0
 * into a file; zstd -d and the tool's extract, and prepare, for restore). Rows give seconds;
 * `throughput` gives MiB/s of the data set.
 */
export async function benchBackups(api: ApiClient, dataDir: string, engine: BackupBenchEngine, mib: number, runs: number): Promise<{ rows: Row[]; throughput: Array<[string, number]> }> {
  const created = await api.call('POST', '/instances', { instance: { name: `bench-${engine.datastore}-backup`, flavorRef: '4', volume: { size: Math.ceil((mib * 4) / 1024) + 1 }, datastore: { type: engine.datastore, version: engine.version } } });
  if (created.status !== 200) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const id = created.body.instance.id as string;
  const scratch = mkdtempSync(join(tmpdir(), 'trove-bench-backup-'));
  try {
    await waitInstance(api, id);
    const folder = join(dataDir, 'instances', id);
    await engine.load(folder, '', mib);
    const samples = { devNull: [] as number[], expert: [] as number[], trove: [] as number[], rawRestore: [] as number[], troveRestore: [] as number[] };
    for (let i = 0; i < runs; i++) {
      samples.devNull.push(await timed(`${engine.rawBackup(folder)} > /dev/null`));
      const file = join(scratch, 'expert.zst');
      const expert = async () => samples.expert.push(await timed(`${engine.rawBackup(folder)} | zstd -1 -T0 -q > ${file}`));
      const trove = async () => {
        await settle();
        const started = performance.now();
        const backup = await api.call('POST', '/backups', { backup: { name: `bench-${i}`, instance: id } });
        if (backup.status !== 202) throw new Error(`backup refused: ${JSON.stringify(backup.body)}`);
        await waitBackup(api, backup.body.backup.id);
        samples.trove.push((performance.now() - started) / 1000);
        await waitInstance(api, id);
        return backup.body.backup.id as string;
      };
      // Turn about, so that neither of the two compared always runs second.
      let backupId: string;
      if (i % 2 === 0) {
        await expert();
        backupId = await trove();
      } else {
        backupId = await trove();
        await expert();
      }

      const into = join(scratch, 'restore');
      rmSync(into, { recursive: true, force: true });
      mkdirSync(into);
      samples.rawRestore.push(await timed(engine.rawRestore(file, into)));
      rmSync(into, { recursive: true, force: true });
      rmSync(file, { force: true });

      await settle();
      const restoreStarted = performance.now();
      const restored = await api.call('POST', '/instances', { instance: { name: `bench-restore-${i}`, flavorRef: '4', volume: { size: Math.ceil((mib * 4) / 1024) + 1 }, restorePoint: { backupRef: backupId } } });
      if (restored.status !== 200) throw new Error(`restore refused: ${JSON.stringify(restored.body)}`);
      await waitInstance(api, restored.body.instance.id);
      samples.troveRestore.push((performance.now() - restoreStarted) / 1000);
      await api.call('DELETE', `/instances/${restored.body.instance.id}`);
      await api.waitForStatus(restored.body.instance.id, ['GONE'], 300_000);
      await api.call('DELETE', `/backups/${backupId}`);
    }
    const name = `${engine.datastore} ${mib} MiB`;
    const rows: Row[] = [
      { name: `raw: ${engine.datastore} backup tool > /dev/null`, samples: samples.devNull },
      { name: `expert: backup tool | zstd -1 -T0 > file`, samples: samples.expert, baseline: samples.devNull },
      { name: `trove: backup → COMPLETED (vs expert)`, samples: samples.trove, baseline: samples.expert },
      { name: `trove: backup → COMPLETED (vs /dev/null)`, samples: samples.trove, baseline: samples.devNull },
      { name: `expert: zstd -d | extract (+ prepare)`, samples: samples.rawRestore },
      { name: `trove: restore → ACTIVE (vs expert)`, samples: samples.troveRestore, baseline: samples.rawRestore },
    ];
    const throughput: Array<[string, number]> = [
      [`${name}: raw > /dev/null`, mib / median(samples.devNull)],
      [`${name}: expert | zstd > file`, mib / median(samples.expert)],
      [`${name}: trove backup`, mib / median(samples.trove)],
      [`${name}: expert restore`, mib / median(samples.rawRestore)],
      [`${name}: trove restore`, mib / median(samples.troveRestore)],
    ];
    return { rows, throughput };
  } finally {
    await api.call('DELETE', `/instances/${id}`);
    await api.waitForStatus(id, ['GONE'], 300_000).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}
