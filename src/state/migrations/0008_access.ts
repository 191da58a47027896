import type { Kysely } from 'kysely';

/** Who may reach an instance (Trove's `access`), and the public endpoint it is published on. */
export async function up(db: Kysely<any>): Promise<void> {
  // 1: also published on the host's public address; 0: only its private address.
  await db.schema
    .alterTable('instances')
    .addColumn('access_public', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // JSON array of IPv4 CIDRs allowed to reach the engine's port; empty: every source.
  await db.schema
    .alterTable('instances')
    .addColumn('access_cidrs', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  // One row per public address and port in use: the primary key makes leasing atomic across servers.
  await db.schema
    .createTable('public_endpoints')
    .addColumn('address', 'varchar(64)', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('instance_id', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('public_endpoints_pk', ['address', 'port'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('public_endpoints').execute();
  await db.schema.alterTable('instances').dropColumn('access_cidrs').execute();
  await db.schema.alterTable('instances').dropColumn('access_public').execute();
}
