import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BackupStrategy } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { giveTree } from '../../system-user.js';
import { writeToFile } from '../../tool-process.js';
import { redisCommand, redisInfo } from './cli.js';
import { pathsOf } from './config-file.js';

/** The persistence counters of INFO persistence. */
async function persistence(config: AgentConfig): Promise<{ saves: number; inProgress: boolean; lastStatus: string }> {
  const info = await redisInfo(config, 'persistence');
  return { saves: Number(info.rdb_saves ?? ''), inProgress: info.rdb_bgsave_in_progress === '1', lastStatus: info.rdb_last_bgsave_status ?? '' };
}

/** The engine's snapshot children (forked by BGSAVE; a child's ppid is the server). */
function snapshotChildren(config: AgentConfig): number[] {
  let server: number;
  try {
    server = Number(readFileSync(pathsOf(config).pidFile, 'utf8').trim());
  } catch {
    return [];
  }
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // Fields after the command's closing parenthesis: state, then ppid.
        return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === server;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * Redis backups are RDB snapshots: the server writes a fresh one (BGSAVE, forked, so clients are
 * served throughout) and cat streams it (Redis replaces dump.rdb by renaming a whole new file, so
 * what cat opens is one complete snapshot). A restore makes it the base of the append-only file,
 * which Redis loads at its first start. There are no incrementals.
 */
export const redisBackup: BackupStrategy = {
  tool: 'redis-server BGSAVE',
  incremental: false,

  async stream(config: AgentConfig, kind, _parent, stopped) {
    if (kind !== 'full') throw new Error('Redis backups are full RDB snapshots; there are no incremental ones');
    const before = await persistence(config);
    // SCHEDULE: wait for an append-only rewrite under way instead of failing.
    await redisCommand(config, ['BGSAVE', 'SCHEDULE']);
    let saved = before;
    try {
      for (let pause = 20; saved.saves <= before.saves || saved.inProgress; pause = Math.min(pause * 2, 500)) {
        await sleep(pause, undefined, { signal: stopped });
        saved = await persistence(config);
      }
    } catch (err) {
      // Redis has no command to cancel a snapshot: its child is ended with SIGUSR1, the one signal
      // Redis takes as a cancel rather than a failed save (any other leaves it refusing writes, and
      // PING, with MISCONF until a later save succeeds).
      if (!stopped.aborted) throw err;
      for (const child of snapshotChildren(config)) process.kill(child, 'SIGUSR1');
      throw new Error('the backup was stopped while Redis was writing its snapshot');
    }
    if (saved.lastStatus !== 'ok') throw new Error(`Redis could not write its snapshot (rdb_last_bgsave_status: ${saved.lastStatus}); see its log`);
    return { executable: 'cat', args: [join(pathsOf(config).dataDir, 'dump.rdb')], positions: async () => ({ rdb_saves: String(saved.saves) }) };
  },

  async restore(config: AgentConfig, chain) {
    const [snapshot] = chain;
    if (!snapshot || chain.length !== 1) throw new Error('a Redis restore reads exactly one RDB snapshot');
    const aofDir = join(pathsOf(config).dataDir, 'appendonlydir');
    rmSync(aofDir, { recursive: true, force: true });
    mkdirSync(aofDir, { mode: 0o700 });
    // The multi-part append-only file: the snapshot as its base, an empty increment after it.
    await writeToFile(await snapshot.open(), join(aofDir, 'appendonly.aof.1.base.rdb'));
    writeFileSync(join(aofDir, 'appendonly.aof.1.incr.aof'), '', { mode: 0o600 });
    writeFileSync(join(aofDir, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n', { mode: 0o600 });
    await giveTree(aofDir, 'redis');
  },
};
