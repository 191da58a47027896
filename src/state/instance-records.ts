import { TaskStatus } from './task-status.js';
import type { Store } from './database.js';
import type { InstanceTable } from './schema.js';

/** Reads and writes of instance rows shared by the API side and the tasks. */
export class InstanceRecords {
  constructor(readonly db: Store) {}

  async find(id: string): Promise<InstanceTable | undefined> {
    return this.db.selectFrom('instances').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
  }

  async update(id: string, values: Partial<InstanceTable>): Promise<void> {
    await this.db
      .updateTable('instances')
      .set({ ...values, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async setFault(id: string, message: string, details: string): Promise<void> {
    await this.update(id, { task_status: TaskStatus.ERROR, fault_message: message, fault_details: details, fault_created: new Date().toISOString() });
  }

  /** The instances that follow `sourceId`, oldest first. */
  async replicasOf(sourceId: string): Promise<InstanceTable[]> {
    return this.db.selectFrom('instances').selectAll().where('replica_of_id', '=', sourceId).where('deleted', '=', 0).orderBy('created_at').orderBy('id').execute();
  }

  /** Instances the reconciler looks after: not deleted and not in the middle of a task. */
  async idle(): Promise<InstanceTable[]> {
    return this.db.selectFrom('instances').selectAll().where('deleted', '=', 0).where('task_status', 'in', [TaskStatus.NONE, TaskStatus.ERROR]).execute();
  }
}
