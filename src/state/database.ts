import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { ConfigError } from '../common/errors.js';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export type Store = Kysely<Database>;
export type StoreKind = 'sqlite' | 'postgresql';

export interface OpenedStore {
  db: Store;
  kind: StoreKind;
  /** Where the state lives, without any password: safe to print. */
  location: string;
}

// PostgreSQL's bigint arrives as a string by default; our counters fit in a JS number.
pg.types.setTypeParser(20, (value: string) => Number(value));

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgresql (unparsable url)';
  }
}

/** Opens the state store named by `url` (empty: SQLite file in the data folder). */
export function openStore(url: string, dataDir: string): OpenedStore {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle connection dropped by the server (a PostgreSQL restart) must not end the process:
    // the pool discards that client and the next query opens a new one.
    pool.on('error', () => undefined);
    return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), kind: 'postgresql', location: redactUrl(url) };
  }
  let file: string;
  if (url === '') file = join(dataDir, 'trove.db');
  else if (url.startsWith('sqlite:')) file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
  else throw new ConfigError(`database.url must start with postgresql://, postgres:// or sqlite:, got "${url.split(':')[0]}:…"`);
  mkdirSync(dirname(file), { recursive: true });
  const connection = new SQLite(file);
  // Password and token hashes live here: readable by the server's user alone.
  chmodSync(file, 0o600);
  connection.pragma('journal_mode = WAL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) }), kind: 'sqlite', location: file };
}

/** Brings the schema up to the newest migration; safe to run from several processes. */
export async function migrateToLatest(db: Store): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Whether the error is a unique-constraint violation, on either engine. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
