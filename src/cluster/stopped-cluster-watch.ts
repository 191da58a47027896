import type { Logger } from '../common/log.js';
import type { Runtime } from '../control/runtime.js';
import type { ClusterRecords } from '../state/cluster-records.js';
import type { InstanceTable } from '../state/schema.js';
import { TaskStatus } from '../state/task-status.js';

/** An agent heard from this recently still answers (the reconciler asks every few seconds). */
const ANSWERING_MS = 15_000;

/**
 * Watches, at every reconcile pass, for clusters none of whose members serves while every
 * member's agent answers (all engines stopped or crashed, and the engine's own recovery did not
 * bring them back), and starts the restart task once that has lasted `restartAfterMs`.
 */
export class StoppedClusterWatch {
  private readonly downSince = new Map<string, number>();
  /** Silence before this process started watching is not counted: a restarted server gives the members time first. */
  private readonly watchingSince = Date.now();

  constructor(
    private readonly runtime: Runtime,
    private readonly clusters: ClusterRecords,
    private readonly restartAfterMs: number,
    private readonly log: Logger,
  ) {}

  async pass(): Promise<void> {
    const idle = await this.clusters.db.selectFrom('clusters').select(['id', 'datastore']).where('deleted', '=', 0).where('task', '=', 'NONE').execute();
    // Engines whose members come back on their own restarts are left to them.
    const watched = idle.filter((c) => this.runtime.catalog.get(c.datastore).descriptor.cluster?.restartFromMostAdvanced === true);
    const members = await this.clusters.membersOf(watched.map((c) => c.id));
    const now = Date.now();
    for (const id of [...this.downSince.keys()]) if (!members.has(id)) this.downSince.delete(id);
    for (const [id, rows] of members) {
      if (!allStoppedButAnswering(rows, now)) {
        this.downSince.delete(id);
        continue;
      }
      const since = this.downSince.get(id) ?? now;
      this.downSince.set(id, since);
      if (now - Math.max(since, this.watchingSince) < this.restartAfterMs) continue;
      if (await this.startRestart(id)) {
        this.downSince.delete(id);
        this.log.warn({ cluster: id }, 'no member of the cluster serves: starting it again');
      }
    }
  }

  private async startRestart(clusterId: string): Promise<boolean> {
    const started = await this.clusters.db.transaction().execute(async (trx) => {
      const claimed = await trx.updateTable('clusters').set({ task: 'RESTARTING_CLUSTER', updated_at: new Date().toISOString() }).where('id', '=', clusterId).where('task', '=', 'NONE').where('deleted', '=', 0).executeTakeFirst();
      if (Number(claimed.numUpdatedRows) !== 1) return false;
      await this.runtime.tasks.enqueue(trx, 'cluster.restart-stopped', clusterId, {});
      return true;
    });
    if (started) this.runtime.tasks.nudge();
    return started;
  }
}

/** Every member is idle, its agent answers, and its engine does not serve. */
function allStoppedButAnswering(members: InstanceTable[], now: number): boolean {
  if (members.length === 0) return false;
  return members.every((m) => m.task_status === TaskStatus.NONE && m.service_status !== 'HEALTHY' && m.last_contact_at !== null && now - Date.parse(m.last_contact_at) < ANSWERING_MS);
}
