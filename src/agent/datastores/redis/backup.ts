import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BackupStrategy } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { systemUser } from '../../system-user.js';
import { writeToFile } from '../../tool-process.js';
import { redisCommand } from './cli.js';
import { pathsOf } from './config-file.js';

const run = promisify(execFile);

/** The persistence counters of INFO persistence. */
async function persistence(config: AgentConfig): Promise<{ saves: number; inProgress: boolean; lastStatus: string }> {
  const info = String(await redisCommand(config, ['INFO', 'persistence']));
  const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? '';
  return { saves: Number(field('rdb_saves')), inProgress: field('rdb_bgsave_in_progress') === '1', lastStatus: field('rdb_last_bgsave_status') };
}

/**
 * Redis backups are RDB snapshots (streamed by cat: Redis replaces dump.rdb by renaming a whole
 * new file, so what cat opens is one complete snapshot): the server writes a fresh one (BGSAVE, forked, so clients
 * are served throughout) and the stream is that file. A restore makes it the base of the
 * append-only file, which Redis loads at its first start. There are no incrementals.
 */
export const redisBackup: BackupStrategy = {
  tool: 'redis-server BGSAVE',

  async stream(config: AgentConfig, kind) {
    if (kind !== 'full') throw new Error('Redis backups are full RDB snapshots; there are no incremental ones');
    const before = await persistence(config);
    // SCHEDULE: wait for an append-only rewrite under way instead of failing.
    await redisCommand(config, ['BGSAVE', 'SCHEDULE']);
    for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
      const now = await persistence(config);
      if (now.saves > before.saves && !now.inProgress) {
        if (now.lastStatus !== 'ok') throw new Error(`Redis could not write its snapshot (rdb_last_bgsave_status: ${now.lastStatus}); see its log`);
        break;
      }
      await new Promise((r) => setTimeout(r, pause));
    }
    const saved = await persistence(config);
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
    if (process.getuid?.() === 0) {
      const owner = systemUser('redis');
      await run('chown', ['-R', `${owner.uid}:${owner.gid}`, aofDir]);
    }
  },
};
