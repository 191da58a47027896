import type { Migration, MigrationProvider } from 'kysely';
import * as foundation from './0001_foundation.js';
import * as instances from './0002_instances.js';
import * as rootHistory from './0003_root_history.js';
import * as backups from './0004_backups.js';
import * as configurations from './0005_configurations.js';
import * as replication from './0006_replication.js';
import * as backupParts from './0007_backup_parts.js';
import * as access from './0008_access.js';
import * as unscopedTokens from './0009_unscoped_tokens.js';
import * as loginFailures from './0010_login_failures.js';
import * as clusters from './0011_clusters.js';

/** The one migration history shared by SQLite and PostgreSQL, oldest first. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': foundation,
  '0002_instances': instances,
  '0003_root_history': rootHistory,
  '0004_backups': backups,
  '0005_configurations': configurations,
  '0006_replication': replication,
  '0007_backup_parts': backupParts,
  '0008_access': access,
  '0009_unscoped_tokens': unscopedTokens,
  '0010_login_failures': loginFailures,
  '0011_clusters': clusters,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
