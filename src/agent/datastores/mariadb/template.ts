import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { cachedTemplate, type TemplateKind } from '../../engine-kit/template-cache.js';
import { ownedFolder } from '../../system-user.js';

const run = promisify(execFile);
const ENGINE_USER = 'mysql';
const TEMPLATE: TemplateKind = { marker: 'mysql', owner: ENGINE_USER, mode: 0o750 };

/**
 * A fresh data directory made once per host and engine version by mariadb-install-db, then
 * copied onto each new volume. Accounts are hardened per instance afterwards.
 */
export async function pristineDataDir(templateRoot: string, engineVersion: string): Promise<string> {
  return cachedTemplate(templateRoot, `mariadb-${engineVersion}`, TEMPLATE, async (building) => {
    // The bootstrap's temporary tables go in a folder of its own: in the shared /tmp they were seen
    // to vanish under another server's feet (ERROR 6 on delete of '/tmp/#sql-temptable…').
    const scratch = `${building}.tmp`;
    rmSync(scratch, { recursive: true, force: true });
    ownedFolder(scratch, ENGINE_USER, 0o700);
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
  });
}

export async function installedVersion(): Promise<string> {
  const { stdout } = await run('/usr/sbin/mariadbd', ['--version']);
  return /Ver (\d+\.\d+\.\d+)/.exec(stdout)?.[1] ?? 'unknown';
}
