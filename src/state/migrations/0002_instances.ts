import type { Kysely } from 'kysely';

// Migrations see the database untyped: the typed schema describes the latest state only.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('instances')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('flavor_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('ram_mb', 'integer', (c) => c.notNull())
    .addColumn('vcpus', 'integer', (c) => c.notNull())
    .addColumn('volume_size', 'integer', (c) => c.notNull())
    .addColumn('datastore', 'varchar(64)', (c) => c.notNull())
    .addColumn('datastore_version', 'varchar(64)', (c) => c.notNull())
    .addColumn('datastore_version_full', 'varchar(64)', (c) => c.notNull())
    // What the control plane is doing to it: NONE, BUILDING, DELETING, REBOOTING, …
    .addColumn('task_status', 'varchar(32)', (c) => c.notNull())
    .addColumn('address', 'varchar(64)')
    .addColumn('port', 'integer')
    // What the driver and agent last reported.
    .addColumn('server_status', 'varchar(32)', (c) => c.notNull().defaultTo('NEW'))
    .addColumn('service_status', 'varchar(32)', (c) => c.notNull().defaultTo('NEW'))
    .addColumn('service_status_updated', 'varchar(32)', (c) => c.notNull())
    .addColumn('last_contact_at', 'varchar(32)')
    .addColumn('volume_used_bytes', 'bigint')
    .addColumn('fault_message', 'text')
    .addColumn('fault_details', 'text')
    .addColumn('fault_created', 'varchar(32)')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted_at', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('instances_project').on('instances').columns(['project_id', 'deleted']).execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('kind', 'varchar(32)', (c) => c.notNull())
    .addColumn('target_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('step', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    // pending → running → done | failed
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_expires_at', 'varchar(32)')
    .addColumn('run_after', 'varchar(32)', (c) => c.notNull())
    .addColumn('deadline_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tasks_state').on('tasks').columns(['state', 'run_after']).execute();
  await db.schema.createIndex('tasks_target').on('tasks').column('target_id').execute();

  // One row per loopback address in use: the primary key makes leasing atomic.
  await db.schema
    .createTable('address_leases')
    .addColumn('address', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('instance_id', 'varchar(36)', (c) => c.notNull().unique())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['address_leases', 'tasks', 'instances']) await db.schema.dropTable(table).execute();
}
