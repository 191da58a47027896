import { routes } from '../../agent/rpc/routes.js';
import { applyGroup } from '../../configuration-groups/tasks/configuration-tasks.js';
import { agentOf, type Runtime } from '../../control/runtime.js';
import type { NoParams, TaskKind } from '../../control/task-manager.js';

type Step = TaskKind<NoParams>['steps'][number];
import type { ClusterRecords } from '../../state/cluster-records.js';
import { clusterTask, recordDone } from './cluster-tasks.js';

/**
 * Restarts the members that wait for a restart, one at a time: the next one only once every
 * member is back in the cluster and holds all its data, so the cluster keeps quorum and keeps
 * serving throughout. A run resumed after a crash may restart a member twice, never two at once.
 */
function rollingRestart(runtime: Runtime, clusters: ClusterRecords): Step {
  return {
    name: 'rolling-restart',
    async run(run) {
      const members = await clusters.members(run.task.target_id);
      for (const member of members) {
        const seen = await agentOf(runtime, member.id)
          .call(routes.clusterStatus, undefined, { timeoutMs: 3000 })
          .catch(() => undefined);
        if (!seen?.synced || seen.size !== members.length) return { waitMs: 1000 };
      }
      const next = members.find((m) => m.restart_required === 1);
      if (!next) return 'done';
      run.log.info({ member: next.id }, 'restarting a member');
      await agentOf(runtime, next.id).call(routes.restart);
      // The engine has read its configuration afresh; the next member waits until this one is Synced again.
      await runtime.instances.update(next.id, { restart_required: 0 });
      return { waitMs: 1000 };
    },
  };
}

/**
 * Brings every member to the cluster's configuration group as it is now (attached, changed or
 * detached), then restarts the members whose changes wait for a restart, one at a time.
 */
export function configureClusterTask(runtime: Runtime, clusters: ClusterRecords, deadlineSeconds: number): TaskKind<NoParams> {
  return clusterTask(
    clusters,
    'cluster.configure',
    deadlineSeconds,
    [
      {
        name: 'apply',
        async run(run) {
          // Applying again what is applied changes nothing: a run resumed after a crash repeats it safely.
          for (const member of await clusters.members(run.task.target_id)) await applyGroup(runtime, member.id, run.log);
          return 'done';
        },
      },
      rollingRestart(runtime, clusters),
      recordDone(runtime, clusters),
    ],
    'Configuration could not be applied to the cluster',
  );
}

/** Trove's cluster restart: every member restarts, one at a time (each was marked as waiting for it). */
export function restartClusterTask(runtime: Runtime, clusters: ClusterRecords, deadlineSeconds: number): TaskKind<NoParams> {
  return clusterTask(clusters, 'cluster.restart', deadlineSeconds, [rollingRestart(runtime, clusters), recordDone(runtime, clusters)], 'Cluster could not be restarted');
}
