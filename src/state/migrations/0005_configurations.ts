import type { Kysely } from 'kysely';

/** Configuration groups, and which group each instance has and what of it was applied. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('configurations')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('datastore', 'varchar(64)', (c) => c.notNull())
    .addColumn('datastore_version', 'varchar(64)', (c) => c.notNull())
    // JSON: parameter → value as the tenant wrote it (formulas kept as formulas).
    .addColumn('values', 'text', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted_at', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('configurations_project').on('configurations').columns(['project_id', 'deleted']).execute();
  await db.schema.alterTable('instances').addColumn('configuration_id', 'varchar(36)').execute();
  // JSON: the values last written to the instance (for its flavor), to tell what a change needs.
  await db.schema.alterTable('instances').addColumn('applied_configuration', 'text').execute();
  // 1 while a restart-required change waits for the engine's next start.
  await db.schema
    .alterTable('instances')
    .addColumn('restart_required', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('instances_configuration').on('instances').column('configuration_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('instances_configuration').execute();
  await db.schema.alterTable('instances').dropColumn('restart_required').execute();
  await db.schema.alterTable('instances').dropColumn('applied_configuration').execute();
  await db.schema.alterTable('instances').dropColumn('configuration_id').execute();
  await db.schema.dropTable('configurations').execute();
}
