import type { Kysely } from 'kysely';

/** Backups (their data is in the object store; these rows say what and where) and backup strategies. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('backups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('instance_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('datastore', 'varchar(64)', (c) => c.notNull())
    .addColumn('datastore_version', 'varchar(64)', (c) => c.notNull())
    .addColumn('parent_id', 'varchar(36)')
    // full | incremental
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    // NEW → BUILDING → COMPLETED | FAILED; DELETE_FAILED
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('container', 'varchar(64)', (c) => c.notNull())
    .addColumn('object_key', 'varchar(255)', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint')
    // While the backup runs: bytes stored so far (compressed and encrypted).
    .addColumn('progress_bytes', 'bigint')
    .addColumn('sha256', 'varchar(64)')
    .addColumn('tool', 'varchar(64)')
    // JSON: the engine positions an incremental child starts from (log sequence numbers, log files…).
    .addColumn('positions', 'text')
    .addColumn('volume_used_bytes', 'bigint')
    .addColumn('key_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('fail_reason', 'text')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted_at', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('backups_project').on('backups').columns(['project_id', 'deleted']).execute();
  await db.schema.createIndex('backups_instance').on('backups').columns(['instance_id', 'deleted']).execute();
  await db.schema.createIndex('backups_parent').on('backups').column('parent_id').execute();

  // Where a project's (or one instance's) backups go: Trove's backup strategies.
  await db.schema
    .createTable('backup_strategies')
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    // '' for the whole project
    .addColumn('instance_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('backend', 'varchar(32)', (c) => c.notNull())
    .addColumn('container', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('backup_strategies_pk', ['project_id', 'instance_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['backup_strategies', 'backups']) await db.schema.dropTable(table).execute();
}
