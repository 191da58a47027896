import type { Kysely } from 'kysely';

/** Backups made of archived log files (such as write-ahead log segments), each its own object in the store. */
export async function up(db: Kysely<any>): Promise<void> {
  // JSON array of {container, key, size, sha256}: the archived files an incremental spans.
  await db.schema.alterTable('backups').addColumn('parts', 'text').execute();
  // Archived files named before this are not needed by backups built on this one (set by full backups).
  await db.schema.alterTable('backups').addColumn('archive_floor', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('backups').dropColumn('archive_floor').execute();
  await db.schema.alterTable('backups').dropColumn('parts').execute();
}
