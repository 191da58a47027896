import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Positions } from '../../backup-protocol.js';
import type { BackupStrategy } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { giveTree, systemUser } from '../../system-user.js';
import { feedTool } from '../../tool-process.js';
import { pathsOf } from './config-file.js';
import { runSql } from './sql.js';
import { binDir, versionOf } from './template.js';

const run = promisify(execFile);
const SEGMENT = /^[0-9A-F]{24}$/;

function engineUser() {
  return process.getuid?.() === 0 ? systemUser('postgres') : undefined;
}

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

async function waitUntilArchived(config: AgentConfig, segment: string, stopped: AbortSignal): Promise<void> {
  const archive = pathsOf(config).walArchiveDir;
  const deadline = Date.now() + 120_000;
  for (let pause = 20; !existsSync(join(archive, segment)); pause = Math.min(pause * 2, 500)) {
    if (Date.now() > deadline) {
      const failed = (await sql(config, 'SELECT last_failed_wal FROM pg_stat_archiver'))[0]?.[0];
      throw new Error(`WAL segment ${segment} was not archived within 120 s${failed ? ` (last failed: ${failed})` : ''}`);
    }
    await sleep(pause, undefined, { signal: stopped });
  }
}

/** Archived segments an earlier backup already carries: the next one starts at its own end. */
function pruneArchive(archive: string, keepFrom: string): void {
  for (const name of readdirSync(archive)) if (SEGMENT.test(name) && name < keepFrom) rmSync(join(archive, name), { force: true });
}

/**
 * Full backups are pg_basebackup's tar stream with the WAL needed to make it consistent.
 * Incrementals are the WAL archived since their parent ended (archive_command copies each
 * finished segment into the volume's archive), closed by a WAL switch. A restore unpacks the
 * base backup and, when incrementals follow, replays their WAL through restore_command.
 */
export const postgresqlBackup: BackupStrategy = {
  tool: 'pg_basebackup',

  async stream(config: AgentConfig, kind, parent, stopped) {
    const paths = pathsOf(config);
    const user = engineUser();
    if (kind === 'full') {
      // From now on finished segments are archived: what the next incremental ships.
      writeFileSync(join(paths.walArchiveDir, '.on'), '');
      return {
        executable: `${binDir(versionOf(config))}/pg_basebackup`,
        args: ['-h', paths.socketDir, '-p', String(config.port), '-U', 'postgres', '-D', '-', '-F', 'tar', '-X', 'fetch', '--checkpoint=fast', '--verbose'],
        options: { cwd: '/', env: { PATH: process.env.PATH, PGOPTIONS: '-c log_statement=none' }, ...(user ?? {}) },
        positions: async (stderr: string): Promise<Positions> => {
          const end = /write-ahead log end point: ([0-9A-F]+\/[0-9A-F]+)/.exec(stderr)?.[1];
          const timeline = /write-ahead log start point: \S+ on timeline (\d+)/.exec(stderr)?.[1];
          if (!end || !timeline) throw new Error('pg_basebackup did not report where its WAL ends');
          const endSegment = walFileName(Number(timeline), end);
          pruneArchive(paths.walArchiveDir, endSegment);
          return { end_lsn: end, end_segment: endSegment };
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
    await waitUntilArchived(config, last, stopped);
    const segments = readdirSync(paths.walArchiveDir).filter((n) => SEGMENT.test(n) && n >= from && n <= last).sort();
    if (segments[0] !== from) throw new Error(`WAL segment ${from}, where the parent backup ends, is no longer in the archive; take a full backup`);
    return {
      executable: 'tar',
      args: ['-c', '-C', paths.walArchiveDir, '--', ...segments],
      positions: async (): Promise<Positions> => {
        pruneArchive(paths.walArchiveDir, last);
        return { start_segment: from, end_segment: last, end_lsn: switched?.[1] ?? '' };
      },
    };
  },

  async restore(config: AgentConfig, chain) {
    const paths = pathsOf(config);
    const partial = `${paths.dataDir}.restoring`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { mode: 0o700 });
    const [base, ...incrementals] = chain;
    if (!base || base.kind !== 'full') throw new Error('a PostgreSQL restore starts from a full backup');
    await feedTool(await base.open(), 'tar', ['-x', '-C', partial]);
    if (incrementals.length > 0) {
      const wal = paths.restoreWalDir;
      rmSync(wal, { recursive: true, force: true });
      mkdirSync(wal, { mode: 0o700 });
      for (const step of incrementals) await feedTool(await step.open(), 'tar', ['-x', '-C', wal]);
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

/** After the first start of a restored cluster: the replayed WAL and the restore_command go. */
export async function finishRestore(config: AgentConfig): Promise<void> {
  const { restoreWalDir } = pathsOf(config);
  if (!existsSync(restoreWalDir)) return;
  await sql(config, 'ALTER SYSTEM RESET restore_command');
  await sql(config, 'SELECT pg_reload_conf()');
  rmSync(restoreWalDir, { recursive: true, force: true });
}
