import { UnprocessableEntity } from '../common/errors.js';
import type { AuthContext } from '../identity/types.js';
import type { GuestDataService } from '../instance/guest-data-service.js';
import type { ClusterRecords } from '../state/cluster-records.js';
import type { InstanceTable } from '../state/schema.js';
import { TaskStatus } from '../state/task-status.js';
import type { ClusterService } from './cluster-service.js';

const serving = (m: InstanceTable) => m.task_status === TaskStatus.NONE && m.service_status === 'HEALTHY';

/**
 * Root of a cluster, as Trove's cluster root controller: set through one member, it reaches every
 * member with the cluster's own replication, and every member's history records it.
 */
export class ClusterRootService {
  constructor(
    private readonly clusters: ClusterService,
    private readonly records: ClusterRecords,
    private readonly guestData: GuestDataService,
  ) {}

  /** The member a root change goes through: the first made that serves. */
  private async entry(caller: AuthContext, projectId: string, id: string): Promise<InstanceTable> {
    const cluster = await this.clusters.get(caller, projectId, id);
    this.clusters.requireNoTask(cluster);
    const member = (await this.records.members(cluster.id)).find(serving);
    if (!member) throw new UnprocessableEntity(`Cluster ${id} is not ready: no member of it serves.`);
    return member;
  }

  async enable(caller: AuthContext, projectId: string, id: string, password?: string): Promise<{ name: string; password: string }> {
    const member = await this.entry(caller, projectId, id);
    const user = await this.guestData.enableRoot(caller, projectId, member.id, password);
    await this.records.db.updateTable('instances').set({ root_enabled_at: new Date().toISOString() }).where('cluster_id', '=', member.cluster_id).where('deleted', '=', 0).where('root_enabled_at', 'is', null).execute();
    return user;
  }

  /** Whether root was ever enabled on the cluster (its first member's history, as Trove reads it). */
  async enabled(caller: AuthContext, projectId: string, id: string): Promise<boolean> {
    const cluster = await this.clusters.get(caller, projectId, id);
    const first = (await this.records.members(cluster.id))[0];
    if (!first) throw new UnprocessableEntity(`Cluster ${id} is not ready: it has no members.`);
    return this.guestData.rootEnabled(caller, projectId, first.id);
  }

  async disable(caller: AuthContext, projectId: string, id: string): Promise<void> {
    const member = await this.entry(caller, projectId, id);
    await this.guestData.disableRoot(caller, projectId, member.id);
  }
}
