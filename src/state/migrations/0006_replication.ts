import type { Kysely } from 'kysely';

/** Replication sets: which instance a replica follows, the set's replication password, what the agent last said. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instances').addColumn('replica_of_id', 'varchar(36)').execute();
  // Sealed (common/secrets.ts): the password the set's replicas log in to their source with.
  await db.schema.alterTable('instances').addColumn('replication_secret', 'text').execute();
  // JSON: the agent's last replication status (role, position, lag, error).
  await db.schema.alterTable('instances').addColumn('replication_status', 'text').execute();
  // 1: when this source stays down, its most advanced replica is promoted without being asked.
  await db.schema
    .alterTable('instances')
    .addColumn('auto_failover', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('instances_replica_of').on('instances').column('replica_of_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('instances_replica_of').execute();
  await db.schema.alterTable('instances').dropColumn('auto_failover').execute();
  await db.schema.alterTable('instances').dropColumn('replication_status').execute();
  await db.schema.alterTable('instances').dropColumn('replication_secret').execute();
  await db.schema.alterTable('instances').dropColumn('replica_of_id').execute();
}
