import { execFile } from 'node:child_process';
import { systemUser } from '../../system-user.js';
import { scramVerifier } from './scram.js';

/** A PostgreSQL identifier in double quotes. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A PostgreSQL string literal (standard_conforming_strings: only quotes need doubling). */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `PASSWORD '<verifier>'`: the engine is sent a SCRAM verifier, never the password. */
export function passwordClause(password: string): string {
  return `PASSWORD ${literal(scramVerifier(password))}`;
}

/** A statement the server refused: its SQLSTATE and its own message (never the statement). */
export class PostgresError extends Error {
  constructor(
    readonly sqlstate: string,
    readonly serverMessage: string,
  ) {
    super(`SQL failed: PostgreSQL error ${sqlstate}: ${serverMessage}`);
  }
}

/**
 * psql's report of a refused statement with VERBOSITY verbose: `ERROR:  42710: role "a" already
 * exists`, then LINE/LOCATION lines that quote the statement, which are dropped.
 */
function refusal(stderr: string): PostgresError | undefined {
  const match = /(?:ERROR|FATAL):\s+([0-9A-Z]{5}): (.*)/.exec(stderr);
  return match ? new PostgresError(match[1]!, match[2]!.trim()) : undefined;
}

/** What psql said when it did not get as far as a statement (no server, no socket), without quoting any statement. */
function failure(stderr: string, fallback: string): Error {
  const said = stderr.split('\n').filter((line) => !/^\s*(LINE \d+:|LOCATION:|STATEMENT:|\^)/.test(line) && line.trim() !== '').slice(0, 3).join(' ');
  return new Error(`SQL failed: ${said || fallback}`);
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
      ['-X', '-q', '-A', '-t', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose', '-h', socketDir, '-p', String(port), '-U', 'postgres', '-d', database],
      // Set at connection start, so the agent's own housekeeping stays out of the tenant's statement log,
      // and a statement the server refuses is not copied into the server's log beside its error.
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024, cwd: '/', env: { PATH: process.env.PATH, PGCONNECT_TIMEOUT: '5', PGOPTIONS: '-c log_statement=none -c log_min_error_statement=panic' }, ...user },
      (err, stdout, stderr) => {
        if (err) return reject(refusal(stderr.toString()) ?? failure(stderr.toString(), err.message));
        resolve(stdout.toString().split('\n').filter((line) => line !== '').map((line) => line.split('\t')));
      },
    );
    // A client that exits before reading its input (EPIPE) is reported by its exit, above; unheard, the
    // write error would end the agent.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(sql);
  });
}
