import { execFile } from 'node:child_process';
import { systemUser } from '../../system-user.js';

/** A PostgreSQL identifier in double quotes. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PostgreSQL string literal (standard_conforming_strings: only quotes need doubling). */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Runs SQL as the postgres superuser over the instance's unix socket (peer authentication: no
 * password exists). SQL goes on standard input; rows come back as tab-separated fields.
 */
export function runSql(socketDir: string, port: number, sql: string, database = 'postgres'): Promise<string[][]> {
  const user = process.getuid?.() === 0 ? systemUser('postgres') : {};
  return new Promise((resolve, reject) => {
    const child = execFile(
      'psql',
      ['-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', database],
      // Set at connection start, so the agent's own housekeeping stays out of the tenant's statement log.
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024, cwd: '/', env: { PATH: process.env.PATH, PGCONNECT_TIMEOUT: '5', PGOPTIONS: '-c log_statement=none' }, ...user },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`SQL failed: ${stderr.toString().trim() || err.message}`));
        resolve(stdout.toString().split('\n').filter((line) => line !== '').map((line) => line.split('\t')));
      },
    );
    // A client that exits before reading its input (EPIPE) is reported by its exit, above; unheard, the
    // write error would end the agent.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(sql);
  });
}
