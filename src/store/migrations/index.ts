import type { Migration, MigrationProvider } from 'kysely';
import * as foundation from './0001_foundation.js';

/** The one migration history shared by SQLite and PostgreSQL, oldest first. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': foundation,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
