import type { Kysely } from 'kysely';
import { stableUuid } from '../../common/ids.js';

/** The flavors every new store starts with; admins add and remove their own. */
const DEFAULT_FLAVORS = [
  { id: '1', name: 'db.tiny', ram: 512, vcpus: 1 },
  { id: '2', name: 'db.small', ram: 1024, vcpus: 1 },
  { id: '3', name: 'db.medium', ram: 2048, vcpus: 2 },
  { id: '4', name: 'db.large', ram: 4096, vcpus: 2 },
  { id: '5', name: 'db.xlarge', ram: 8192, vcpus: 4 },
];

export const DEFAULT_ROLES = ['admin', 'member', 'reader'];

// Migrations see the database untyped: the typed schema describes the latest state only.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('projects')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('domain_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('projects_domain_name', ['domain_id', 'name'])
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('domain_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('default_project_id', 'varchar(64)', (c) => c.references('projects.id').onDelete('set null'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('users_domain_name', ['domain_id', 'name'])
    .execute();

  await db.schema
    .createTable('roles')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .execute();

  await db.schema
    .createTable('role_assignments')
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('role_id', 'varchar(64)', (c) => c.notNull().references('roles.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('role_assignments_pk', ['user_id', 'project_id', 'role_id'])
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('audit_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('issued_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('tokens_expires_at').on('tokens').column('expires_at').execute();

  await db.schema
    .createTable('flavors')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().unique())
    .addColumn('ram', 'integer', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('disk', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('ephemeral', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('quotas')
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('resource', 'varchar(32)', (c) => c.notNull())
    .addColumn('hard_limit', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
    .execute();

  await db.schema
    .createTable('quota_usages')
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('resource', 'varchar(32)', (c) => c.notNull())
    .addColumn('in_use', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('reserved', 'bigint', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('quota_usages_pk', ['project_id', 'resource'])
    .execute();

  const now = new Date().toISOString();
  await db
    .insertInto('flavors')
    .values(DEFAULT_FLAVORS.map((f) => ({ ...f, disk: 0, ephemeral: 0, created_at: now })))
    .execute();
  await db
    .insertInto('roles')
    .values(DEFAULT_ROLES.map((name) => ({ id: stableUuid(`role:${name}`).replace(/-/g, ''), name })))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['quota_usages', 'quotas', 'flavors', 'tokens', 'role_assignments', 'roles', 'users', 'projects']) {
    await db.schema.dropTable(table).execute();
  }
}
