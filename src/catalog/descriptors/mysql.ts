import type { DatastoreDescriptor } from '../descriptor.js';
import { mariadb } from './mariadb.js';

/** MySQL clients are served by MariaDB from Debian's packages, wire-compatible for them. */
export const mysql: DatastoreDescriptor = {
  ...mariadb,
  name: 'mysql',
  description: 'MySQL-compatible service, run by MariaDB',
};
