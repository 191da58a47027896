import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { systemUser } from '../../system-user.js';

const run = promisify(execFile);
const ENGINE_USER = 'mysql';

/**
 * A fresh data directory made once per host and engine version by mariadb-install-db, then
 * copied onto each new volume: the system tables are the same for every instance, and copying
 * them is much faster than bootstrapping again. Accounts are hardened per instance afterwards.
 */
export async function pristineDataDir(templateRoot: string, engineVersion: string): Promise<string> {
  const template = join(templateRoot, `mariadb-${engineVersion}`);
  if (existsSync(join(template, 'mysql'))) return template;
  mkdirSync(templateRoot, { recursive: true });
  chmodSync(templateRoot, 0o711);
  // Built aside and renamed into place, so a crash or a concurrent agent never sees half of one.
  const building = `${template}.${process.pid}.partial`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { mode: 0o750 });
  // The bootstrap's temporary tables go in a folder of its own: in the shared /tmp they were seen
  // to vanish under another server's feet (ERROR 6 on delete of '/tmp/#sql-temptable…').
  const scratch = `${building}.tmp`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { mode: 0o700 });
  if (process.getuid?.() === 0) {
    const owner = systemUser(ENGINE_USER);
    await run('chown', [`${owner.uid}:${owner.gid}`, building, scratch]);
  }
  await run(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--datadir=${building}`,
      `--user=${ENGINE_USER}`,
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
      '--skip-name-resolve',
      // Small redo log in the template: each server resizes it to its tuned size when it starts.
      '--innodb-log-file-size=8M',
      `--tmpdir=${scratch}`,
    ],
    { timeout: 180_000 },
  ).finally(() => rmSync(scratch, { recursive: true, force: true }));
  try {
    renameSync(building, template);
  } catch {
    // Another agent finished first: use its template.
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

/** Copies the template into an empty data directory, keeping owners and modes. */
export async function copyTemplate(template: string, dataDir: string): Promise<void> {
  const partial = `${dataDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await run('cp', ['-a', '--sparse=always', template, partial]);
  renameSync(partial, dataDir);
}

export async function installedVersion(): Promise<string> {
  const { stdout } = await run('/usr/sbin/mariadbd', ['--version']);
  return /Ver (\d+\.\d+\.\d+)/.exec(stdout)?.[1] ?? 'unknown';
}
