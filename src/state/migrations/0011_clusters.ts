import type { Kysely } from 'kysely';

/** Clusters: a named set of member instances of one datastore, built, grown and removed together. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('clusters')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('datastore', 'varchar(64)', (c) => c.notNull())
    .addColumn('datastore_version', 'varchar(64)', (c) => c.notNull())
    // The cluster's task, by Trove's ClusterTasks name: NONE, BUILDING_INITIAL, DELETING …
    .addColumn('task', 'varchar(32)', (c) => c.notNull())
    // Sealed (common/secrets.ts): what the members authenticate to one another with.
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('fault_message', 'text')
    .addColumn('fault_created', 'varchar(32)')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deleted_at', 'varchar(32)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('clusters_project').on('clusters').columns(['project_id', 'deleted']).execute();
  await db.schema.alterTable('instances').addColumn('cluster_id', 'varchar(36)').execute();
  // The member's `type` in the cluster's view (its datastore's word: "member" for Galera).
  await db.schema.alterTable('instances').addColumn('cluster_member_type', 'varchar(32)').execute();
  await db.schema.createIndex('instances_cluster').on('instances').column('cluster_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('instances_cluster').execute();
  await db.schema.alterTable('instances').dropColumn('cluster_member_type').execute();
  await db.schema.alterTable('instances').dropColumn('cluster_id').execute();
  await db.schema.dropIndex('clusters_project').execute();
  await db.schema.dropTable('clusters').execute();
}
