import type { DatastoreDescriptor } from '../descriptor.js';
import { mariadb } from './mariadb.js';
import { mysql } from './mysql.js';
import { postgresql } from './postgresql.js';
import { redis } from './redis.js';

/** Every datastore this build knows how to run. */
export const DESCRIPTORS: readonly DatastoreDescriptor[] = [mysql, mariadb, postgresql, redis];
