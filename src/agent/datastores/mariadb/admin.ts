import { REPLICATION_USER } from '../../replication-protocol.js';
import { randomBytes } from 'node:crypto';
import type { GuestAdmin } from '../../datastore.js';
import { AgentRequestError } from '../../errors.js';
import type { AgentConfig, UserRef } from '../../protocol.js';
import { TRANSFER_USER } from './cluster.js';
import { pathsOf } from './config-file.js';
import { ident, identifiedBy, literal, MariadbError, runSql } from './sql.js';

/** Schemas and accounts that belong to the server, not the tenant. */
const SYSTEM_DATABASES = ['mysql', 'information_schema', 'performance_schema', 'sys'];
const RESERVED_USERS = ['root', 'mysql', 'mariadb.sys', 'PUBLIC', REPLICATION_USER, TRANSFER_USER];

const account = (user: UserRef) => `${literal(user.name)}@${literal(user.host)}`;

/** What the tenant's request did wrong, by the server's error number: the tenant's to fix, with the server's words. */
const REFUSALS: Record<number, 400 | 404 | 409 | 422> = {
  1007: 409, // database exists
  1008: 404, // database does not exist
  1049: 404, // unknown database
  1102: 400, // incorrect database name
  1115: 400, // unknown character set
  1253: 400, // collation not valid for the character set
  1273: 400, // unknown collation
  1290: 422, // a server option (read_only, strict_password_validation with a validation plugin) forbids the statement
  1396: 409, // CREATE/ALTER/DROP USER on an account that exists (or no longer does): another request got there first
  1470: 400, // user or host name too long
  1819: 400, // the password does not satisfy the server's password policy
};

async function sql(config: AgentConfig, statements: string | readonly string[]): Promise<string[][]> {
  try {
    return await runSql(pathsOf(config).socket, statements);
  } catch (err) {
    const status = err instanceof MariadbError ? REFUSALS[err.code] : undefined;
    if (status) throw new AgentRequestError(status, `The database server refused the request: ${err instanceof MariadbError ? err.serverMessage : ''}`);
    throw err;
  }
}

function refuseReserved(name: string): void {
  if (RESERVED_USERS.includes(name)) throw new AgentRequestError(400, `User '${name}' is reserved for the server and cannot be changed here.`);
}

function refuseSystemDatabase(name: string): void {
  if (SYSTEM_DATABASES.includes(name.toLowerCase())) throw new AgentRequestError(400, `Database '${name}' belongs to the server and cannot be changed.`);
}

async function databaseNames(config: AgentConfig): Promise<Set<string>> {
  return new Set((await sql(config, 'SELECT schema_name FROM information_schema.schemata')).map((r) => r[0]!));
}

async function userExists(config: AgentConfig, user: UserRef): Promise<boolean> {
  // MariaDB keeps host names in lower case: 'a'@'HOST' is the account 'a'@'host'.
  const rows = await sql(config, `SELECT 1 FROM mysql.global_priv WHERE User = ${literal(user.name)} AND Host = ${literal(user.host.toLowerCase())}`);
  return rows.length > 0;
}

async function requireUser(config: AgentConfig, user: UserRef): Promise<void> {
  refuseReserved(user.name);
  if (!(await userExists(config, user))) throw new AgentRequestError(404, `User ${user.name}@${user.host} cannot be found on the instance.`);
}

/** Grants are kept in mysql.db with LIKE-escaped names; undo that escaping. */
const unescapeDb = (db: string) => db.replace(/\\(.)/g, '$1');

export const mariadbAdmin: GuestAdmin = {
  databases: true,
  async listDatabases(config) {
    const rows = await sql(config, `SELECT schema_name, default_character_set_name, default_collation_name FROM information_schema.schemata WHERE schema_name NOT IN (${SYSTEM_DATABASES.map(literal).join(', ')}) ORDER BY schema_name`);
    return rows.map(([name, charset, collate]) => ({ name: name!, character_set: charset!, collate: collate! }));
  },

  async createDatabases(config, databases) {
    const existing = await databaseNames(config);
    for (const db of databases) {
      refuseSystemDatabase(db.name);
      if (existing.has(db.name)) throw new AgentRequestError(409, `Database '${db.name}' already exists.`);
    }
    await sql(
      config,
      databases.map((db) => `CREATE DATABASE ${ident(db.name)} CHARACTER SET ${db.character_set ?? 'utf8mb4'}${db.collate ? ` COLLATE ${db.collate}` : ''}`),
    );
  },

  async deleteDatabase(config, name) {
    refuseSystemDatabase(name);
    if (!(await databaseNames(config)).has(name)) throw new AgentRequestError(404, `Database '${name}' cannot be found on the instance.`);
    await sql(config, `DROP DATABASE ${ident(name)}`);
  },

  async listUsers(config) {
    const users = await sql(config, `SELECT User, Host FROM mysql.global_priv WHERE User <> '' AND User NOT IN (${RESERVED_USERS.map(literal).join(', ')}) ORDER BY User, Host`);
    const grants = await sql(config, 'SELECT User, Host, Db FROM mysql.db ORDER BY Db');
    return users.map(([name, host]) => ({
      name: name!,
      host: host!,
      databases: grants.filter(([u, h]) => u === name && h === host).map(([, , db]) => unescapeDb(db!)),
    }));
  },

  async createUsers(config, users) {
    const existing = await databaseNames(config);
    for (const user of users) {
      const ref = { name: user.name, host: user.host ?? '%' };
      refuseReserved(user.name);
      if (await userExists(config, ref)) throw new AgentRequestError(409, `User ${ref.name}@${ref.host} already exists.`);
      for (const db of user.databases) if (!existing.has(db)) throw new AgentRequestError(404, `Database '${db}' cannot be found on the instance.`);
    }
    const statements: string[] = [];
    for (const user of users) {
      const ref = { name: user.name, host: user.host ?? '%' };
      statements.push(`CREATE USER ${account(ref)} ${identifiedBy(user.password)}`);
      for (const db of user.databases) statements.push(`GRANT ALL PRIVILEGES ON ${ident(db)}.* TO ${account(ref)}`);
    }
    await sql(config, statements);
  },

  async updateUser(config, update) {
    await requireUser(config, update.user);
    const target = { name: update.name ?? update.user.name, host: update.host ?? update.user.host };
    const renamed = target.name !== update.user.name || target.host !== update.user.host;
    if (renamed) {
      refuseReserved(target.name);
      if (await userExists(config, target)) throw new AgentRequestError(409, `User ${target.name}@${target.host} already exists.`);
    }
    const statements: string[] = [];
    if (renamed) statements.push(`RENAME USER ${account(update.user)} TO ${account(target)}`);
    if (update.password !== undefined) statements.push(`ALTER USER ${account(target)} ${identifiedBy(update.password)}`);
    if (statements.length > 0) await sql(config, statements);
  },

  async deleteUser(config, user) {
    await requireUser(config, user);
    await sql(config, `DROP USER ${account(user)}`);
  },

  async grant(config, user, databases) {
    await requireUser(config, user);
    const existing = await databaseNames(config);
    for (const db of databases) {
      refuseSystemDatabase(db);
      if (!existing.has(db)) throw new AgentRequestError(404, `Database '${db}' cannot be found on the instance.`);
    }
    await sql(
      config,
      databases.map((db) => `GRANT ALL PRIVILEGES ON ${ident(db)}.* TO ${account(user)}`),
    );
  },

  async revoke(config, user, database) {
    await requireUser(config, user);
    const rows = await sql(config, `SELECT Db FROM mysql.db WHERE User = ${literal(user.name)} AND Host = ${literal(user.host.toLowerCase())}`);
    if (!rows.some(([db]) => unescapeDb(db!) === database)) throw new AgentRequestError(404, `User ${user.name}@${user.host} has no access to database '${database}'.`);
    await sql(config, `REVOKE ALL PRIVILEGES ON ${ident(database)}.* FROM ${account(user)}`);
  },

  async enableRoot(config, chosen) {
    const password = chosen ?? randomBytes(24).toString('base64url');
    // Like Trove: a remote superuser for the tenant, with a password that only the caller ever sees.
    await sql(config, [`CREATE USER IF NOT EXISTS 'root'@'%' ${identifiedBy(password)}`, `ALTER USER 'root'@'%' ${identifiedBy(password)}`, "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION"]);
    return { name: 'root', password };
  },

  async disableRoot(config) {
    await sql(config, "DROP USER IF EXISTS 'root'@'%'");
  },
};
