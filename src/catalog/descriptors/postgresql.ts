import { POSTGRESQL_PARAMETERS, POSTGRESQL_TUNING } from '../parameters/postgresql.js';
import type { DatastoreDescriptor } from '../descriptor.js';

export const postgresql: DatastoreDescriptor = {
  name: 'postgresql',
  engine: 'postgresql',
  description: 'PostgreSQL',
  defaultPort: 5432,
  engineUser: 'postgres',
  packages: ['postgresql'],
  probe: {
    executables: ['/usr/lib/postgresql/*/bin/postgres'],
    args: ['--version'],
    pattern: '\\(PostgreSQL\\) ((\\d+)(?:\\.\\d+)?)',
  },
  capabilities: {
    databases: true,
    users: true,
    root: true,
    configuration: true,
    backup: { full: true, incremental: true },
    replication: true,
    clusters: false,
  },
  logs: [{ name: 'general', type: 'USER' }],
  minRamMb: 256,
  // Identifiers are at most 63 bytes (NAMEDATALEN - 1); PostgreSQL cuts longer ones short.
  names: {
    user: { pattern: '^[A-Za-z0-9_][A-Za-z0-9_.@$-]{0,62}$', allowed: "up to 63 letters, digits, '_', '.', '@', '$' or '-'" },
    database: { pattern: '^[A-Za-z0-9_][A-Za-z0-9_$-]{0,62}$', allowed: "up to 63 letters, digits, '_', '$' or '-'" },
  },
  parameters: POSTGRESQL_PARAMETERS,
  tuning: POSTGRESQL_TUNING,
};
