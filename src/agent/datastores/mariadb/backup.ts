import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Positions } from '../../backup-protocol.js';
import type { BackupStrategy } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { giveTree } from '../../system-user.js';
import { feedTool } from '../../tool-process.js';
import { pathsOf } from './config-file.js';

const run = promisify(execFile);

/** `key = value` lines, as mariabackup writes xtrabackup_checkpoints. */
function readCheckpoints(file: string): Positions {
  const positions: Positions = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^(\w+)\s*=\s*(\S+)\s*$/.exec(line);
    if (match && ['backup_type', 'from_lsn', 'to_lsn', 'last_lsn'].includes(match[1]!)) positions[match[1]!] = match[2]!;
  }
  return positions;
}

/**
 * The GTID of the last transaction in the backup, from the xtrabackup_info mariabackup writes
 * (`binlog_pos = filename '…', position '…', GTID of the last change '0-1-42'`); none without
 * a binary log or before the first write.
 */
export function gtidOf(info: string): string | undefined {
  const gtid = /GTID of the last change '([0-9,-]*)'/.exec(info)?.[1];
  return gtid ? gtid : undefined;
}

async function prepare(target: string, incremental?: string): Promise<void> {
  const args = ['--prepare', `--target-dir=${target}`, ...(incremental ? [`--incremental-dir=${incremental}`] : [])];
  try {
    await run('mariabackup', args, { timeout: 6 * 3600_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');
    throw new Error(`mariabackup --prepare failed: ${stderr || (err as Error).message}`);
  }
}

/**
 * mariabackup streams (xbstream) taken over the agent's root socket. An incremental copies the
 * pages changed since its parent's checkpoint LSN; a restore extracts the full backup, prepares
 * it, applies each incremental in order, and moves the result into place as the data directory.
 */
export const mariadbBackup: BackupStrategy = {
  tool: 'mariabackup',
  incremental: true,

  async stream(config: AgentConfig, kind, parent) {
    const paths = pathsOf(config);
    const lsnDir = join(config.run_dir, 'backup-lsn');
    rmSync(lsnDir, { recursive: true, force: true });
    mkdirSync(lsnDir, { mode: 0o700 });
    const args = [`--defaults-file=${paths.configFile}`, '--backup', '--stream=xbstream', `--target-dir=${lsnDir}`, `--extra-lsndir=${lsnDir}`, '--user=root', `--socket=${paths.socket}`, '--parallel=2'];
    if (kind === 'incremental') {
      const lsn = parent?.to_lsn;
      if (!lsn || !/^\d+$/.test(lsn)) throw new Error('the parent backup records no LSN to start an incremental from');
      args.push(`--incremental-lsn=${lsn}`);
    }
    return {
      executable: 'mariabackup',
      args,
      positions: async () => {
        const positions = readCheckpoints(join(lsnDir, 'xtrabackup_checkpoints'));
        const info = join(lsnDir, 'xtrabackup_info');
        const gtid = existsSync(info) ? gtidOf(readFileSync(info, 'utf8')) : undefined;
        return gtid ? { ...positions, gtid } : positions;
      },
    };
  },

  async restore(config: AgentConfig, chain) {
    const { dataDir } = pathsOf(config);
    const work = join(config.volume_dir, 'restore');
    rmSync(work, { recursive: true, force: true });
    const base = join(work, 'base');
    mkdirSync(base, { recursive: true, mode: 0o700 });
    for (const [index, step] of chain.entries()) {
      const target = index === 0 ? base : join(work, `incremental-${index}`);
      mkdirSync(target, { recursive: true, mode: 0o700 });
      await feedTool(await step.open(), 'mbstream', ['-x', '-C', target]);
      if (index === 0) await prepare(base);
      else {
        await prepare(base, target);
        rmSync(target, { recursive: true, force: true });
      }
    }
    await giveTree(base, 'mysql');
    if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
    renameSync(base, dataDir);
    rmSync(work, { recursive: true, force: true });
  },
};
