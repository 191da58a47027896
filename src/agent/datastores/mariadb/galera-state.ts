import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { ClusterPosition } from '../../cluster-protocol.js';
import type { AgentConfig } from '../../protocol.js';
import { engineOwner, giveFile } from '../../system-user.js';
import { pathsOf } from './config-file.js';

const run = promisify(execFile);
const ENGINE_USER = 'mysql';
const UNKNOWN: ClusterPosition = { history: '', seqno: -1, safe_to_bootstrap: false };

/** Galera's saved state (grastate.dat): written at a clean stop with the last seqno, -1 while the engine runs or after a crash. */
export function parseGrastate(text: string): ClusterPosition {
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)\\s*$`, 'm').exec(text)?.[1];
  const seqno = Number(field('seqno') ?? '-1');
  return { history: field('uuid') ?? '', seqno: Number.isSafeInteger(seqno) ? seqno : -1, safe_to_bootstrap: field('safe_to_bootstrap') === '1' };
}

/** The position `mariadbd --wsrep-recover` finds in the storage engine and writes to its error log. */
export function parseRecoveredPosition(log: string): { history: string; seqno: number } | undefined {
  const found = [...log.matchAll(/WSREP: Recovered position:\s*([0-9a-f-]{36}):(-?\d+)/g)].pop();
  return found ? { history: found[1]!, seqno: Number(found[2]) } : undefined;
}

const grastateOf = (config: AgentConfig) => join(pathsOf(config).dataDir, 'grastate.dat');

/**
 * With the engine stopped. A clean stop leaves the seqno in grastate.dat; after a crash it is -1
 * there and the engine's own recovery reads it from the storage engine instead.
 */
export async function galeraPosition(config: AgentConfig): Promise<ClusterPosition> {
  const file = grastateOf(config);
  const saved = existsSync(file) ? parseGrastate(readFileSync(file, 'utf8')) : UNKNOWN;
  if (saved.seqno >= 0) return saved;
  const paths = pathsOf(config);
  const log = join(config.run_dir, 'wsrep-recover.log');
  rmSync(log, { force: true });
  try {
    await run('/usr/sbin/mariadbd', [`--defaults-file=${paths.configFile}`, '--wsrep-recover', `--log-error=${log}`], { timeout: 300_000, ...(engineOwner(ENGINE_USER) ?? {}) });
    const recovered = parseRecoveredPosition(existsSync(log) ? readFileSync(log, 'utf8') : '');
    return recovered ? { ...recovered, safe_to_bootstrap: saved.safe_to_bootstrap } : saved;
  } finally {
    rmSync(log, { force: true });
  }
}

/** Marks this member's data as the one to start a new cluster from (the engine refuses a bootstrap otherwise). */
export function allowGaleraBootstrap(config: AgentConfig): void {
  const file = grastateOf(config);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# GALERA saved state\nversion: 2.1\n';
  const marked = /^safe_to_bootstrap:.*$/m.test(text) ? text.replace(/^safe_to_bootstrap:.*$/m, 'safe_to_bootstrap: 1') : `${text.replace(/\n?$/, '\n')}safe_to_bootstrap: 1\n`;
  writeFileAtomic(file, marked, 0o660);
  giveFile(file, ENGINE_USER);
}
