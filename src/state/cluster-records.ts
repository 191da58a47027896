import type { Store } from './database.js';
import type { ClusterTable, ClusterTask, InstanceTable } from './schema.js';

/** Reads and writes of cluster rows shared by the API side and the tasks. */
export class ClusterRecords {
  constructor(readonly db: Store) {}

  async find(id: string): Promise<ClusterTable | undefined> {
    return this.db.selectFrom('clusters').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
  }

  async list(projectId: string): Promise<ClusterTable[]> {
    return this.db.selectFrom('clusters').selectAll().where('project_id', '=', projectId).where('deleted', '=', 0).orderBy('created_at', 'desc').orderBy('id').execute();
  }

  async update(id: string, values: Partial<ClusterTable>): Promise<void> {
    await this.db
      .updateTable('clusters')
      .set({ ...values, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .execute();
  }

  async setTask(id: string, task: ClusterTask): Promise<void> {
    await this.update(id, { task });
  }

  async setFault(id: string, message: string): Promise<void> {
    await this.update(id, { task: 'NONE', fault_message: message, fault_created: new Date().toISOString() });
  }

  /** The cluster's members that are not deleted, in the order they were made. */
  async members(clusterId: string): Promise<InstanceTable[]> {
    return this.db.selectFrom('instances').selectAll().where('cluster_id', '=', clusterId).where('deleted', '=', 0).orderBy('created_at').orderBy('name').orderBy('id').execute();
  }

  /** Members of many clusters at once (list views), by cluster id. */
  async membersOf(clusterIds: string[]): Promise<Map<string, InstanceTable[]>> {
    const members = new Map<string, InstanceTable[]>(clusterIds.map((id) => [id, []]));
    if (clusterIds.length === 0) return members;
    const rows = await this.db.selectFrom('instances').selectAll().where('cluster_id', 'in', clusterIds).where('deleted', '=', 0).orderBy('created_at').orderBy('name').orderBy('id').execute();
    for (const row of rows) members.get(row.cluster_id!)?.push(row);
    return members;
  }
}
