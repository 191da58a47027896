import { asApp, APP } from './mariadb.js';
import type { RunResult } from './processes.js';
import { psql } from './psql.js';
import { redisCli } from './redis.js';

/**
 * What the shared instance tests need to know about one datastore: how to create an instance
 * with an application account, and how that account writes and reads a value with the
 * engine's own client. Everything else in those tests is the same for every engine.
 */
export interface DatastoreProfile {
  type: string;
  version: string;
  /** Where the engine writes its pid, relative to the instance's folder. */
  enginePidFile: string;
  /** databases and users of the create request: the application account. */
  account: { databases?: Array<{ name: string }>; users: Array<{ name: string; password: string; databases?: Array<{ name: string }> }> };
  /** Creates what write/read need (a table…), if anything. */
  setUp(ip: string): Promise<RunResult>;
  write(ip: string, value: string): Promise<RunResult>;
  /** Resolves with the value last written (trimmed output of the client). */
  read(ip: string): Promise<RunResult>;
  /** True when the datastore has databases (names are checked, grants exist). */
  hasDatabases: boolean;
  /** True when a restored instance has the source's users (else they are created again). */
  restoreKeepsUsers: boolean;
}

const appAccount = { databases: [{ name: APP.database }], users: [{ name: APP.user, password: APP.password, databases: [{ name: APP.database }] }] };

export const MYSQL: DatastoreProfile = {
  type: 'mysql',
  version: '10.11',
  enginePidFile: 'run/mysqld.pid',
  account: appAccount,
  setUp: (ip) => asApp(ip, `CREATE TABLE ${APP.database}.marker (id INT PRIMARY KEY, v VARCHAR(64))`),
  write: (ip, value) => asApp(ip, `REPLACE INTO ${APP.database}.marker VALUES (1, '${value}')`),
  read: (ip) => asApp(ip, `SELECT v FROM ${APP.database}.marker WHERE id = 1`),
  hasDatabases: true,
  restoreKeepsUsers: true,
};

export const POSTGRESQL: DatastoreProfile = {
  type: 'postgresql',
  version: '15',
  enginePidFile: 'volume/pgdata/postmaster.pid',
  account: appAccount,
  setUp: (ip) => psql(ip, APP.user, APP.password, APP.database, 'CREATE TABLE marker (id int PRIMARY KEY, v text)'),
  write: (ip, value) => psql(ip, APP.user, APP.password, APP.database, `INSERT INTO marker VALUES (1, '${value}') ON CONFLICT (id) DO UPDATE SET v = excluded.v`),
  read: (ip) => psql(ip, APP.user, APP.password, APP.database, 'SELECT v FROM marker WHERE id = 1'),
  hasDatabases: true,
  restoreKeepsUsers: true,
};

export const REDIS: DatastoreProfile = {
  type: 'redis',
  version: '7.0',
  enginePidFile: 'run/redis.pid',
  account: { users: [{ name: APP.user, password: APP.password }] },
  setUp: (ip) => redisCli(ip, APP.user, APP.password, ['PING']),
  write: (ip, value) => redisCli(ip, APP.user, APP.password, ['SET', 'marker', value]),
  read: (ip) => redisCli(ip, APP.user, APP.password, ['GET', 'marker']),
  hasDatabases: false,
  restoreKeepsUsers: false,
};
