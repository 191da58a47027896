import type { Kysely } from 'kysely';

/**
 * Failed logins counted in the store, so that every process sharing it enforces one limit
 * per user and per source address.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // One row per failed (or still running) login and counter ("user:…" or "source:…").
  await db.schema
    .createTable('login_failures')
    .addColumn('counter', 'varchar(80)', (c) => c.notNull())
    .addColumn('attempt_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('attempted_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_failures_pk', ['counter', 'attempt_id'])
    .execute();
  await db.schema.createIndex('login_failures_counter_time').on('login_failures').columns(['counter', 'attempted_at']).execute();
  await db.schema.createIndex('login_failures_time').on('login_failures').column('attempted_at').execute();
  await db.schema.createIndex('login_failures_attempt').on('login_failures').column('attempt_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_failures').execute();
}
