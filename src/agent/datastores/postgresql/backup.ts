import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { OpenedBackup } from '../../../object-storage/backup-pipeline.js';
import { Type, type Static } from 'typebox';
import { parseChecked } from '../../../common/json.js';
import { ArchivePart, type Positions } from '../../backup-protocol.js';
import type { BackupStrategy } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { engineOwner, giveTree } from '../../system-user.js';
import { feedTool, writeToFile } from '../../tool-process.js';
import { pathsOf } from './config-file.js';
import { runSql } from './sql.js';
import { binDir, versionOf } from './template.js';

const run = promisify(execFile);
const SEGMENT = /^[0-9A-F]{24}$/;

const sql = (config: AgentConfig, statement: string) => runSql(pathsOf(config).socketDir, config.port, statement);

const SEGMENT_BYTES = 16 * 1024 * 1024;

/**
 * The WAL segment file holding an LSN on a timeline (16 MiB segments, initdb's default): what
 * pg_walfile_name() answers, which a standby cannot run.
 */
export function walFileName(timeline: number, lsn: string): string {
  const [high, low] = lsn.split('/').map((part) => Number.parseInt(part, 16));
  if (high === undefined || low === undefined || Number.isNaN(high) || Number.isNaN(low)) throw new Error(`'${lsn}' is not an LSN`);
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(timeline)}${hex(high)}${hex(Math.floor(low / SEGMENT_BYTES))}`;
}

/** The segment after `name` on its timeline. */
export function nextSegment(name: string): string {
  const timeline = name.slice(0, 8);
  let high = Number.parseInt(name.slice(8, 16), 16);
  let low = Number.parseInt(name.slice(16), 16) + 1;
  if (low === 0x1_0000_0000 / SEGMENT_BYTES) {
    low = 0;
    high += 1;
  }
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return `${timeline}${hex(high)}${hex(low)}`;
}

/** The index an incremental backup stores: the archived segments it spans, in order. */
/** An incremental backup's object: the WAL segments it spans, read back from the object store (so checked). */
const WalIndex = Type.Object({ format: Type.Literal('trove-wal-parts/1'), parts: Type.Array(Type.Object({ ...ArchivePart.properties, name: Type.String() })) });
type WalIndex = Static<typeof WalIndex>;

async function readIndex(opened: OpenedBackup): Promise<WalIndex> {
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of opened.readable()) chunks.push(chunk as Buffer);
  })();
  await Promise.all([opened.done, reading]);
  let index: WalIndex;
  try {
    index = parseChecked(WalIndex, Buffer.concat(chunks).toString('utf8'), 'the WAL index');
  } catch {
    throw new Error('the incremental backup does not hold a WAL index');
  }
  if (index.parts.some((p) => !SEGMENT.test(p.name))) throw new Error('the incremental backup does not hold a WAL index');
  return index;
}

export const postgresqlBackup: BackupStrategy = {
  tool: 'pg_basebackup',
  incremental: true,

  async stream(config: AgentConfig, kind, parent, stopped, archive) {
    const paths = pathsOf(config);
    const user = engineOwner('postgres');
    if (kind === 'full') {
      return {
        executable: `${binDir(versionOf(config))}/pg_basebackup`,
        args: ['-h', paths.socketDir, '-p', String(config.port), '-U', 'postgres', '-D', '-', '-F', 'tar', '-X', 'fetch', '--checkpoint=fast', '--verbose'],
        options: { cwd: '/', env: { PATH: process.env.PATH, PGOPTIONS: '-c log_statement=none' }, ...(user ?? {}) },
        positions: async (stderr: string): Promise<Positions> => {
          const end = /write-ahead log end point: ([0-9A-F]+\/[0-9A-F]+)/.exec(stderr)?.[1];
          const timeline = /write-ahead log start point: \S+ on timeline (\d+)/.exec(stderr)?.[1];
          if (!end || !timeline) throw new Error('pg_basebackup did not report where its WAL ends');
          return { end_lsn: end, end_segment: walFileName(Number(timeline), end) };
        },
      };
    }
    if ((await sql(config, 'SELECT pg_is_in_recovery()'))[0]?.[0] === 't') {
      throw new Error('a PostgreSQL replica cannot close a WAL segment, so it takes no incremental backups; take a full one, or back up the source');
    }
    const from = parent?.end_segment;
    if (!from || !SEGMENT.test(from)) throw new Error('the parent backup records no WAL segment to continue from');
    // Close the segment being written, so that everything committed so far is archived.
    const switched = (await sql(config, 'SELECT pg_walfile_name(pg_switch_wal()), pg_current_wal_lsn()'))[0];
    const last = switched?.[0];
    if (!last || !SEGMENT.test(last)) throw new Error('PostgreSQL did not switch to a new WAL segment');
    if (last < from) throw new Error(`the WAL is at segment ${last}, before ${from} where the parent backup ends (a new timeline?); take a full backup`);
    const whyNot = async () => {
      const failed = (await sql(config, 'SELECT last_failed_wal FROM pg_stat_archiver'))[0]?.[0];
      return failed ? ` (last failed: ${failed})` : '';
    };
    await archive.waitFor(last, stopped, 120_000, whyNot);
    const keyId = archive.target()?.encryption.id;
    const parts: WalIndex['parts'] = [];
    for (let name = from; ; name = nextSegment(name)) {
      const record = archive.archived(name);
      if (!record) throw new Error(`WAL segment ${name}, between the parent backup and now, is not in the archive; take a full backup`);
      if (record.key_id !== keyId) throw new Error(`WAL segment ${name} was archived under an earlier backup key; take a full backup`);
      parts.push({ name, container: record.container, key: record.key, size: record.size, sha256: record.sha256 });
      if (name === last) break;
    }
    const index: WalIndex = { format: 'trove-wal-parts/1', parts };
    return {
      index: Buffer.from(JSON.stringify(index)),
      parts: parts.map(({ name: _, ...part }) => part),
      positions: { start_segment: from, end_segment: last, end_lsn: switched?.[1] ?? '' },
    };
  },

  archive: {
    engineUser: 'postgres',
    fileOf(config, name) {
      if (SEGMENT.test(name)) return join(pathsOf(config).dataDir, 'pg_wal', name);
      // Timeline histories, backup labels and partial segments: no incremental replays them.
      if (/^[0-9A-F]{8}\.history$|^[0-9A-F]{24}(\.[0-9A-F]{8}\.backup|\.partial)$/.test(name)) return undefined;
      throw new Error(`'${name}' is not the name of a WAL file`);
    },
    floorOf: (positions) => positions.end_segment,
  },

  async restore(config: AgentConfig, chain) {
    const paths = pathsOf(config);
    const partial = `${paths.dataDir}.restoring`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { mode: 0o700 });
    const [base, ...incrementals] = chain;
    if (base?.kind !== 'full') throw new Error('a PostgreSQL restore starts from a full backup');
    await feedTool(await base.open(), 'tar', ['-x', '-C', partial]);
    if (incrementals.length > 0) {
      const wal = paths.restoreWalDir;
      rmSync(wal, { recursive: true, force: true });
      mkdirSync(wal, { mode: 0o700 });
      // Adjacent incrementals share the segment where one ends and the next begins.
      const restored = new Set<string>();
      for (const step of incrementals) {
        for (const part of (await readIndex(await step.open())).parts) {
          if (restored.has(part.name)) continue;
          await writeToFile(await step.openPart(part), join(wal, part.name));
          restored.add(part.name);
        }
      }
      // Replays every segment restored, then ends recovery and opens for writes.
      writeFileSync(join(partial, 'recovery.signal'), '');
      appendFileSync(join(partial, 'postgresql.auto.conf'), `restore_command = 'cp ${wal}/%f %p'\n`);
      await giveTree(wal, 'postgres');
    }
    await giveTree(partial, 'postgres');
    rmSync(paths.dataDir, { recursive: true, force: true });
    await run('mv', [partial, paths.dataDir]);
  },
};

/**
 * After the first start of a restored cluster: once the incrementals' WAL is replayed, the
 * segments and the restore_command go. PostgreSQL answers read-only queries while it replays;
 * until it is done the instance must not be called ACTIVE, or a client reads a partial restore.
 */
export async function finishRestore(config: AgentConfig): Promise<void> {
  const { restoreWalDir } = pathsOf(config);
  if (!existsSync(restoreWalDir)) return;
  while ((await sql(config, 'SELECT pg_is_in_recovery()'))[0]?.[0] === 't') await sleep(200);
  await sql(config, 'ALTER SYSTEM RESET restore_command');
  await sql(config, 'SELECT pg_reload_conf()');
  rmSync(restoreWalDir, { recursive: true, force: true });
}
