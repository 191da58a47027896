import type { Reconciler } from '../control/reconciler.js';
import { statusOfInstance } from '../instance/status.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import type { ReplicationStatus } from '../agent/replication-protocol.js';
import type { Store } from '../state/database.js';
import { parseOwn } from '../common/json.js';

/** Readings of `key` counted by it. */
function countBy<K extends string>(keys: Array<Record<K, string>>): Array<{ labels: Record<K, string>; value: number }> {
  const counts = new Map<string, { labels: Record<K, string>; value: number }>();
  for (const labels of keys) {
    const id = JSON.stringify(labels);
    const known = counts.get(id);
    if (known) known.value += 1;
    else counts.set(id, { labels, value: 1 });
  }
  return [...counts.values()];
}

/** The fleet as the store holds it, read at each scrape: instances, backups, replicas' lag, agents that do not answer. */
export function observeFleet(metrics: ServerMetrics, db: Store, reconciler: Reconciler): void {
  metrics.observe('trove_instances', 'Instances by the status the API shows and by datastore.', ['status', 'datastore'], async () => {
    const rows = await db.selectFrom('instances').select(['datastore', 'task_status', 'service_status', 'last_contact_at', 'fault_message', 'restart_required']).where('deleted', '=', 0).execute();
    const now = new Date();
    return countBy(rows.map((row) => ({ status: statusOfInstance(row, now).status, datastore: row.datastore })));
  });
  metrics.observe('trove_backups', 'Backups by status (NEW, BUILDING, COMPLETED, FAILED, …).', ['status'], async () => {
    const rows = await db.selectFrom('backups').select('status').where('deleted', '=', 0).execute();
    return countBy(rows.map((row) => ({ status: row.status })));
  });
  metrics.observe('trove_backup_bytes', 'Bytes the completed backups hold in object storage.', [], async () => {
    const rows = await db.selectFrom('backups').select('size_bytes').where('deleted', '=', 0).where('status', '=', 'COMPLETED').execute();
    return [{ labels: {}, value: rows.reduce((sum, row) => sum + (row.size_bytes ?? 0), 0) }];
  });
  metrics.observe('trove_replica_lag_seconds', "A replica's lag behind its source as its engine reports it, where the engine counts it in time.", ['instance', 'datastore'], async () => {
    const rows = await db.selectFrom('instances').select(['id', 'datastore', 'replication_status']).where('deleted', '=', 0).where('replica_of_id', 'is not', null).where('replication_status', 'is not', null).execute();
    return rows.flatMap((row) => {
      let lag: number | undefined;
      try {
        lag = parseOwn<ReplicationStatus>(row.replication_status!).lag_seconds;
      } catch {
        // A status the reconciler could not have written: that replica's lag is unknown, the scrape goes on.
      }
      return lag === undefined ? [] : [{ labels: { instance: row.id, datastore: row.datastore }, value: lag }];
    });
  });
  metrics.observe('trove_agents_unreachable', 'Guest agents of idle instances that did not answer at the last reconcile pass.', [], async () => [{ labels: {}, value: reconciler.unreachableAgents() }]);
}
