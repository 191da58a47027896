import { REPLICATION_USER } from '../../replication-protocol.js';
import { randomBytes } from 'node:crypto';
import type { GuestAdmin } from '../../datastore.js';
import { AgentRequestError } from '../../errors.js';
import { hostlessUsers } from '../../engine-kit/hostless-users.js';
import type { AgentConfig } from '../../protocol.js';
import { pathsOf } from './config-file.js';
import { ident, literal, passwordClause, PostgresError, runSql } from './sql.js';

const SYSTEM_DATABASES = ['postgres', 'template0', 'template1'];
const RESERVED_ROLES = ['postgres', 'root', 'public', REPLICATION_USER];

/** What the tenant's request did wrong, by SQLSTATE: the tenant's to fix, with the server's words. */
const REFUSALS: Record<string, 400 | 404 | 409 | 422> = {
  '22021': 400, // character not in the encoding's repertoire
  '22023': 400, // invalid parameter value (an encoding that does not fit the locale…)
  '25006': 422, // the server is read-only (a replica, or a server put in read-only mode): waiting does not change that
  '2BP01': 409, // other objects still depend on it
  '3D000': 404, // database does not exist
  '42601': 400, // syntax error
  '42602': 400, // invalid name
  '42622': 400, // name too long
  '42704': 404, // no such object (a role another request dropped first)
  '42710': 409, // role exists: another request got there first
  '42809': 400, // wrong object type (an invalid locale name)
  '42939': 400, // reserved name
  '42P04': 409, // database exists: another request got there first
  '55006': 409, // database in use
};

async function sql(config: AgentConfig, statements: string, database?: string): Promise<string[][]> {
  try {
    return await runSql(pathsOf(config).socketDir, config.port, statements, database);
  } catch (err) {
    const status = err instanceof PostgresError ? REFUSALS[err.sqlstate] : undefined;
    if (status && err instanceof PostgresError) throw new AgentRequestError(status, `The database server refused the request: ${err.serverMessage}`);
    throw err;
  }
}

/** An encoding the server does not know is the tenant's mistake, not a missing object. */
async function requireEncoding(config: AgentConfig, name: string): Promise<void> {
  const rows = await sql(config, `SELECT pg_char_to_encoding(${literal(name)}) >= 0`);
  if (rows[0]?.[0] !== 't') throw new AgentRequestError(400, `Character set '${name}' is not one PostgreSQL knows; use one of its encodings, such as UTF8 or LATIN1.`);
}

function refuseSystemDatabase(name: string): void {
  if (SYSTEM_DATABASES.includes(name)) throw new AgentRequestError(400, `Database '${name}' belongs to the server and cannot be changed.`);
}

async function databases(config: AgentConfig): Promise<Set<string>> {
  return new Set((await sql(config, 'SELECT datname FROM pg_database')).map((r) => r[0]!));
}

async function roleExists(config: AgentConfig, name: string): Promise<boolean> {
  return (await sql(config, `SELECT 1 FROM pg_roles WHERE rolname = ${literal(name)}`)).length > 0;
}

/** PostgreSQL roles have no host: only '%' (any) is meaningful. */
const users = hostlessUsers({ label: 'PostgreSQL', isReserved: (name) => RESERVED_ROLES.includes(name.toLowerCase()) || name.startsWith('pg_'), exists: roleExists });
const { refuseReserved, requireAnyHost, requireUser } = users;

async function grantOne(config: AgentConfig, role: string, database: string): Promise<void> {
  await sql(config, `GRANT ALL PRIVILEGES ON DATABASE ${ident(database)} TO ${ident(role)}`);
  // PostgreSQL 15 no longer lets everyone create in schema public: the grantee may.
  await sql(config, `GRANT ALL ON SCHEMA public TO ${ident(role)}`, database);
}

/** Databases are private (no CONNECT for PUBLIC); a user reaches the ones granted to it. */
export const postgresAdmin: GuestAdmin = {
  databases: true,
  async listDatabases(config) {
    const rows = await sql(config, `SELECT datname, pg_encoding_to_char(encoding), datcollate FROM pg_database WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY datname`);
    return rows.map(([name, charset, collate]) => ({ name: name!, character_set: charset!, collate: collate! }));
  },

  async createDatabases(config, list) {
    const existing = await databases(config);
    for (const db of list) {
      refuseSystemDatabase(db.name);
      if (existing.has(db.name)) throw new AgentRequestError(409, `Database '${db.name}' already exists.`);
      if (db.character_set !== undefined) await requireEncoding(config, db.character_set);
    }
    for (const db of list) {
      await sql(config, `CREATE DATABASE ${ident(db.name)} TEMPLATE template0 ENCODING ${literal(db.character_set ?? 'UTF8')}${db.collate ? ` LC_COLLATE ${literal(db.collate)}` : ''}`);
      await sql(config, `REVOKE CONNECT, TEMPORARY ON DATABASE ${ident(db.name)} FROM PUBLIC`);
    }
  },

  async deleteDatabase(config, name) {
    refuseSystemDatabase(name);
    if (!(await databases(config)).has(name)) throw new AgentRequestError(404, `Database '${name}' cannot be found on the instance.`);
    await sql(config, `DROP DATABASE ${ident(name)} WITH (FORCE)`);
  },

  async listUsers(config) {
    const roles = await sql(config, `SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper AND rolname NOT IN (${RESERVED_ROLES.map(literal).join(', ')}) AND rolname !~ '^pg_' ORDER BY rolname`);
    const access = await sql(
      config,
      `SELECT r.rolname, d.datname FROM pg_roles r CROSS JOIN pg_database d WHERE NOT d.datistemplate AND d.datname <> 'postgres' AND r.rolcanlogin AND NOT r.rolsuper AND has_database_privilege(r.rolname, d.datname, 'CREATE') ORDER BY d.datname`,
    );
    return roles.map(([name]) => ({ name: name!, host: '%', databases: access.filter(([r]) => r === name).map(([, db]) => db!) }));
  },

  async createUsers(config, users) {
    const existing = await databases(config);
    for (const user of users) {
      requireAnyHost(user.host);
      refuseReserved(user.name);
      if (await roleExists(config, user.name)) throw new AgentRequestError(409, `User ${user.name}@% already exists.`);
      for (const db of user.databases) if (!existing.has(db)) throw new AgentRequestError(404, `Database '${db}' cannot be found on the instance.`);
    }
    for (const user of users) {
      await sql(config, `CREATE ROLE ${ident(user.name)} LOGIN ${passwordClause(user.password)}`);
      for (const db of user.databases) await grantOne(config, user.name, db);
    }
  },

  async updateUser(config, update) {
    await users.update(
      config,
      update,
      async (from, to) => void (await sql(config, `ALTER ROLE ${ident(from)} RENAME TO ${ident(to)}`)),
      async (name, password) => void (await sql(config, `ALTER ROLE ${ident(name)} ${passwordClause(password)}`)),
    );
  },

  async deleteUser(config, user) {
    await requireUser(config, user.name, user.host);
    // A role with privileges cannot be dropped: clear them in every database first.
    for (const db of await databases(config)) {
      if (db === 'template0') continue;
      await sql(config, `DROP OWNED BY ${ident(user.name)}`, db);
    }
    await sql(config, `DROP ROLE ${ident(user.name)}`);
  },

  async grant(config, user, list) {
    await requireUser(config, user.name, user.host);
    const existing = await databases(config);
    for (const db of list) {
      refuseSystemDatabase(db);
      if (!existing.has(db)) throw new AgentRequestError(404, `Database '${db}' cannot be found on the instance.`);
    }
    for (const db of list) await grantOne(config, user.name, db);
  },

  async revoke(config, user, database) {
    await requireUser(config, user.name, user.host);
    const rows = await sql(config, `SELECT has_database_privilege(${literal(user.name)}, ${literal(database)}, 'CREATE')`).catch(() => [['f']]);
    if (rows[0]?.[0] !== 't') throw new AgentRequestError(404, `User ${user.name}@% has no access to database '${database}'.`);
    await sql(config, `REVOKE ALL ON SCHEMA public FROM ${ident(user.name)}`, database);
    await sql(config, `REVOKE ALL PRIVILEGES ON DATABASE ${ident(database)} FROM ${ident(user.name)}`);
  },

  async enableRoot(config, chosen) {
    const password = chosen ?? randomBytes(24).toString('base64url');
    const exists = await roleExists(config, 'root');
    await sql(config, `${exists ? 'ALTER' : 'CREATE'} ROLE root SUPERUSER LOGIN ${passwordClause(password)}`);
    return { name: 'root', password };
  },

  async disableRoot(config) {
    if (await roleExists(config, 'root')) await sql(config, 'ALTER ROLE root NOLOGIN NOSUPERUSER PASSWORD NULL');
  },
};
