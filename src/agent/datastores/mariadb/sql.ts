import { createHash } from 'node:crypto';
import { createPool, type Pool, type PoolConnection, type SqlError } from 'mariadb';
import { PoolCache } from '../../engine-connections.js';

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

/** One pool per server socket: the agent talks to one engine, a test process to several. */
const pools = new PoolCache<Pool>((pool) => pool.end().catch(() => undefined));

function poolOf(socket: string): Pool {
  return pools.get(socket, () =>
    createPool({
      socketPath: socket,
      // unix_socket authentication: the server knows the agent's OS user (root) from the socket; no password exists to leak.
      user: 'root',
      charset: 'utf8mb4',
      // The agent's own statements (status checks every few seconds) stay out of the tenant's general log.
      initSql: 'SET SESSION sql_log_off = 1',
      connectionLimit: 4,
      minimumIdle: 0,
      idleTimeout: 60,
      acquireTimeout: 10_000,
      connectTimeout: 5_000,
      dateStrings: true,
    }),
  );
}

/**
 * The driver's error as the agent's: a server's refusal keeps its error number and the server's
 * own message; a connection failure keeps the driver's words. Never the statement, whose text the
 * driver's message quotes.
 */
function asMariadbError(err: unknown): Error {
  const e = err as Partial<SqlError>;
  const words = (e.sqlMessage ?? e.text ?? '').trim();
  // 45001–45999: the connector's own errors (no server, pool timeout, connection closed).
  if (typeof e.errno === 'number' && e.errno > 0 && e.errno < 45000 && e.sqlState) return new MariadbError(e.errno, words);
  return new Error(`SQL failed: ${words || (e.code ?? 'the server did not answer')}`);
}

/** A field as the client's batch mode printed it: NULL as the word, everything else as text. */
function text(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
}

/** The statements in order on one session, as the engine's root over its unix socket; stops at the first refusal. */
async function onSession<T>(socket: string, statements: string | readonly string[], each: (connection: PoolConnection, statement: string) => Promise<T[]>): Promise<T[]> {
  let connection: PoolConnection;
  try {
    connection = await poolOf(socket).getConnection();
  } catch (err) {
    throw asMariadbError(err);
  }
  try {
    const rows: T[] = [];
    for (const statement of typeof statements === 'string' ? [statements] : statements) rows.push(...(await each(connection, statement)));
    return rows;
  } catch (err) {
    throw asMariadbError(err);
  } finally {
    await connection.release().catch(() => undefined);
  }
}

/**
 * Runs statements as the engine's root over its unix socket, one at a time on one session, and
 * returns the rows of those that return any, as text fields.
 */
export function runSql(socket: string, statements: string | readonly string[]): Promise<string[][]> {
  return onSession(socket, statements, async (connection, statement) => {
    const result: unknown = await connection.query({ sql: statement, rowsAsArray: true });
    return Array.isArray(result) ? (result as unknown[][]).map((row) => row.map(text)) : [];
  });
}

/** The rows of one statement as records keyed by column name (SHOW … STATUS has dozens of columns). */
export function runSqlRecords(socket: string, sql: string): Promise<Array<Record<string, string>>> {
  return onSession(socket, sql, async (connection, statement) => {
    const result: unknown = await connection.query({ sql: statement });
    return Array.isArray(result) ? (result as Array<Record<string, unknown>>).map((row) => Object.fromEntries(Object.entries(row).map(([name, value]) => [name, text(value)]))) : [];
  });
}
