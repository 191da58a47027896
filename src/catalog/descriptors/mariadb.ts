import { MARIADB_PARAMETERS, MARIADB_TUNING } from '../parameters/mariadb.js';
import type { DatastoreCapabilities, DatastoreDescriptor, VersionProbe } from '../descriptor.js';

const MYSQL_FAMILY_PROBE: VersionProbe = {
  executables: ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'],
  args: ['--version'],
  pattern: 'Ver ((\\d+\\.\\d+)\\.\\d+)-MariaDB',
};

const MYSQL_FAMILY_CAPABILITIES: DatastoreCapabilities = {
  databases: true,
  users: true,
  root: true,
  configuration: true,
  backup: { full: true, incremental: true },
  replication: true,
  clusters: true,
};

export const mariadb: DatastoreDescriptor = {
  name: 'mariadb',
  engine: 'mariadb',
  description: 'MariaDB, the community fork of MySQL',
  defaultPort: 3306,
  engineUser: 'mysql',
  packages: ['mariadb-server', 'mariadb-backup', 'galera-4'],
  probe: MYSQL_FAMILY_PROBE,
  capabilities: MYSQL_FAMILY_CAPABILITIES,
  // Galera: every member writable; three or more, so that losing one keeps a majority.
  cluster: { minMembers: 3, memberTypes: ['member'], joinsRunningMember: true, restartFromMostAdvanced: true },
  logs: [
    { name: 'general', type: 'USER' },
    { name: 'slow_query', type: 'USER' },
    { name: 'error', type: 'SYS' },
  ],
  minRamMb: 256,
  names: {
    user: { pattern: '^[A-Za-z0-9_][A-Za-z0-9_.@$-]{0,79}$', allowed: "up to 80 letters, digits, '_', '.', '@', '$' or '-'" },
    database: { pattern: '^[A-Za-z0-9_][A-Za-z0-9_$-]{0,63}$', allowed: "up to 64 letters, digits, '_', '$' or '-'" },
  },
  parameters: MARIADB_PARAMETERS,
  tuning: MARIADB_TUNING,
};
