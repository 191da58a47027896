import { sql, type Kysely } from 'kysely';

/** Rebuilds `tokens` with the given project_id column rule: SQLite cannot change a column's NOT NULL in place. */
async function rebuildTokens(db: Kysely<any>, unscoped: boolean): Promise<void> {
  await db.schema
    .createTable('tokens_next')
    .addColumn('token_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('project_id', 'varchar(64)', (c) => (unscoped ? c : c.notNull()).references('projects.id').onDelete('cascade'))
    .addColumn('audit_id', 'varchar(64)', (c) => c.notNull())
    .$call((t) => (unscoped ? t.addColumn('parent_audit_id', 'varchar(64)').addColumn('methods', 'varchar(64)', (c) => c.notNull().defaultTo('password')) : t))
    .addColumn('issued_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  const kept = unscoped ? sql`` : sql` WHERE project_id IS NOT NULL`;
  await sql`INSERT INTO tokens_next (token_hash, user_id, project_id, audit_id, issued_at, expires_at, revoked)
            SELECT token_hash, user_id, project_id, audit_id, issued_at, expires_at, revoked FROM tokens${kept}`.execute(db);
  await db.schema.dropTable('tokens').execute();
  await db.schema.alterTable('tokens_next').renameTo('tokens').execute();
  await db.schema.createIndex('tokens_expires_at').on('tokens').column('expires_at').execute();
}

/**
 * Keystone's token kinds: unscoped tokens (no project), and tokens exchanged for others with
 * the token method, which keep their methods and the audit id of the token they replace.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await rebuildTokens(db, true);
}

export async function down(db: Kysely<any>): Promise<void> {
  await rebuildTokens(db, false);
}
