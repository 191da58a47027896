import type { Store } from './database.js';
import type { BackupTable } from './schema.js';

/** Backup states that mean work is under way. */
export const RUNNING_STATES = ['NEW', 'BUILDING', 'SAVING'];

/** Reads and writes of backup rows shared by the API side and the tasks. */
export class BackupRecords {
  constructor(readonly db: Store) {}

  async find(id: string): Promise<BackupTable | undefined> {
    return this.db.selectFrom('backups').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
  }

  async update(id: string, values: Partial<BackupTable>): Promise<void> {
    await this.db
      .updateTable('backups')
      .set({ ...values, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  /** The newest completed backup of an instance: what an incremental without a parent builds on. */
  async lastCompleted(instanceId: string): Promise<BackupTable | undefined> {
    return this.db.selectFrom('backups').selectAll().where('instance_id', '=', instanceId).where('status', '=', 'COMPLETED').where('deleted', '=', 0).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
  }

  /** The backup and every backup built on it, deepest first: the order they can be deleted in. */
  async withDescendants(id: string): Promise<BackupTable[]> {
    const root = await this.find(id);
    if (!root) return [];
    const children = await this.db.selectFrom('backups').select('id').where('parent_id', '=', id).where('deleted', '=', 0).execute();
    const below: BackupTable[] = [];
    for (const child of children) below.push(...(await this.withDescendants(child.id)));
    return [...below, root];
  }

  /** A backup's chain, full first, ending with it. */
  async chain(backup: BackupTable): Promise<BackupTable[]> {
    const chain = [backup];
    let current = backup;
    while (current.parent_id) {
      const parent = await this.find(current.parent_id);
      if (!parent) throw new Error(`backup ${current.id} builds on backup ${current.parent_id}, which no longer exists`);
      if (chain.some((b) => b.id === parent.id)) throw new Error(`backup ${backup.id} has a cycle in its parents`);
      chain.unshift(parent);
      current = parent;
    }
    return chain;
  }
}
