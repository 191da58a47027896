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
  parameters: POSTGRESQL_PARAMETERS,
  tuning: POSTGRESQL_TUNING,
};
