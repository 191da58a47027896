import type { Kysely } from 'kysely';

/** When root was first enabled on an instance: Trove reports whether it ever was. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instances').addColumn('root_enabled_at', 'varchar(32)').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('instances').dropColumn('root_enabled_at').execute();
}
