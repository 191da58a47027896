import type { DatastoreDescriptor } from '../descriptor.js';
import { MYSQL_FAMILY_CAPABILITIES, MYSQL_FAMILY_PROBE } from './mariadb.js';

/** MySQL clients are served by MariaDB from Debian's packages, wire-compatible for them. */
export const mysql: DatastoreDescriptor = {
  name: 'mysql',
  engine: 'mariadb',
  description: 'MySQL-compatible service, run by MariaDB',
  defaultPort: 3306,
  packages: ['mariadb-server', 'mariadb-backup'],
  probe: MYSQL_FAMILY_PROBE,
  capabilities: MYSQL_FAMILY_CAPABILITIES,
  logs: ['general', 'slow_query', 'error'],
  minRamMb: 256,
};
