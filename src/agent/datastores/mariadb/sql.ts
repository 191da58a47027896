import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';

/** A MariaDB identifier in backquotes. */
export function ident(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

/** A MariaDB string literal. */
export function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\0/g, '\\0')}'`;
}

/** A statement the server refused: its error number and its own message (never the statement). */
export class MariadbError extends Error {
  constructor(
    readonly code: number,
    readonly serverMessage: string,
  ) {
    super(`SQL failed: MariaDB error ${code}: ${serverMessage}`);
  }
}

/** The client's report of a refused statement: `ERROR 1115 (42000) at line 1: Unknown character set: 'x'`. */
function refusal(stderr: string): MariadbError | undefined {
  const match = /ERROR (\d+) \([0-9A-Z]{5}\)(?: at line \d+)?: (.*)/.exec(stderr);
  return match ? new MariadbError(Number(match[1]), match[2]!.trim()) : undefined;
}

/**
 * `IDENTIFIED BY PASSWORD '*…'`: the engine is sent the password's mysql_native_password hash,
 * never the password, so no statement text (binary log, replicas, backups, an error echoed into
 * a log) holds it in clear.
 */
export function identifiedBy(password: string): string {
  return `IDENTIFIED BY PASSWORD '${nativeHash(password)}'`;
}

/** MariaDB's mysql_native_password hash of a password: `*` and the hex of SHA1(SHA1(password)). */
export function nativeHash(password: string): string {
  const inner = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(inner).digest('hex').toUpperCase()}`;
}

/**
 * Runs SQL as the engine's root over its unix socket (unix_socket authentication: no password
 * exists to leak). SQL goes on standard input, never on the command line; rows come back as
 * tab-separated fields.
 */
export function runSql(socket: string, sql: string, columnNames = false): Promise<string[][]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'mariadb',
      ['--no-defaults', `--socket=${socket}`, '--user=root', '--default-character-set=utf8mb4', '--batch', '--raw', ...(columnNames ? [] : ['--skip-column-names'])],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(refusal(stderr.toString()) ?? new Error(`SQL failed: ${stderr.toString().trim() || err.message}`));
        resolve(stdout.toString().split('\n').filter((line) => line !== '').map((line) => line.split('\t')));
      },
    );
    // The agent's own statements (status checks every few seconds) stay out of the tenant's general log.
    // A client that exits before reading its input (EPIPE) is reported by its exit, above; unheard, the
    // write error would end the agent.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(`SET SESSION sql_log_off = 1;\n${sql}`);
  });
}

/** The rows of one statement as records keyed by column name (SHOW … STATUS has dozens of columns). */
export async function runSqlRecords(socket: string, sql: string): Promise<Array<Record<string, string>>> {
  const [header, ...rows] = await runSql(socket, sql, true);
  return rows.map((row) => Object.fromEntries((header ?? []).map((name, i) => [name, row[i] ?? ''])));
}
