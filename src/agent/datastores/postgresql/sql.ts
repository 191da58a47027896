import { userInfo } from 'node:os';
import pg, { type ClientConfig, type QueryResult } from 'pg';
import { PoolCache } from '../../engine-connections.js';
import { scramVerifier } from './scram.js';

const { Client, Pool } = pg;
type Pool = pg.Pool;

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
 * The map pg_ident.conf names for the superuser's peer authentication on the socket: the agent's
 * OS user (root, or whoever runs it) and the engine's own may log in as postgres, nobody else.
 */
export const PEER_MAP = 'trove-agent';

/** The lines of pg_ident.conf: PEER_MAP from the agent's OS user and the engine's to the superuser. */
export function renderIdent(): string {
  const agentUser = userInfo().username;
  const users = [...new Set([agentUser, 'postgres'])];
  return `# Written by the Trove guest agent: who may log in as the superuser over the socket.\n${users.map((user) => `${PEER_MAP}  ${user}  postgres`).join('\n')}\n`;
}

/**
 * Every session of the agent starts with these: its own housekeeping stays out of the tenant's
 * statement log, and a statement the server refuses is not copied into the log beside its error.
 */
const SESSION_OPTIONS = '-c log_statement=none -c log_min_error_statement=panic';

/** Every value as the server's text (what psql printed): booleans 't'/'f', numbers and LSNs as written. */
const AS_TEXT = { getTypeParser: () => (value: string) => value };

function clientConfig(socketDir: string, port: number, database: string): ClientConfig {
  return { host: socketDir, port, user: 'postgres', database, options: SESSION_OPTIONS, types: AS_TEXT, connectionTimeoutMillis: 5_000, query_timeout: 30_000 };
}

/** One pool per server (its socket folder and port) for the postgres database. */
const pools = new PoolCache<Pool>((pool) => pool.end().catch(() => undefined));

function poolOf(socketDir: string, port: number): Pool {
  return pools.get(`${socketDir}:${port}`, () => {
    const pool = new Pool({ ...clientConfig(socketDir, port, 'postgres'), max: 4, idleTimeoutMillis: 30_000 });
    // A server that ends an idle session (a restart, a shutdown) is heard here; the pool drops that client.
    pool.on('error', () => undefined);
    return pool;
  });
}

/**
 * The driver's error as the agent's: a refusal keeps its SQLSTATE and the server's own message
 * (pg's message is the server's, never the statement); anything else the driver's words.
 */
function asPostgresError(err: unknown): Error {
  const e = err as { code?: unknown; message?: unknown; severity?: unknown };
  const words = typeof e.message === 'string' ? e.message : String(err);
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string') return new PostgresError(e.code, words);
  return new Error(`SQL failed: ${words}`);
}

/** The rows of every result (a simple query may hold several statements), NULL as the empty field psql printed. */
function rowsOf(result: QueryResult<unknown[]> | Array<QueryResult<unknown[]>>): string[][] {
  return (Array.isArray(result) ? result : [result]).flatMap((one) => (one.rows ?? []).map((row) => row.map((value) => (value === null ? '' : String(value)))));
}

/**
 * Runs SQL as the postgres superuser over the instance's unix socket (peer authentication, mapped
 * for the agent's OS user: no password exists) and returns its rows as text fields. The postgres
 * database goes through a pool; any other through a session of its own, ended at once, so that
 * the agent holds no session that a DROP DATABASE would have to end.
 */
export async function runSql(socketDir: string, port: number, sql: string, database = 'postgres'): Promise<string[][]> {
  const query = { text: sql, rowMode: 'array' as const };
  try {
    if (database === 'postgres') return rowsOf(await poolOf(socketDir, port).query<unknown[]>(query));
    const client = new Client(clientConfig(socketDir, port, database));
    client.on('error', () => undefined);
    try {
      await client.connect();
      return rowsOf(await client.query<unknown[]>(query));
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (err) {
    throw asPostgresError(err);
  }
}
