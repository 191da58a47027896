import type { ClusterPosition } from '../../agent/cluster-protocol.js';
import { routes } from '../../agent/rpc/routes.js';
import { agentOf, type Runtime } from '../../control/runtime.js';
import { PermanentTaskError, type NoParams, type TaskKind } from '../../control/task-manager.js';
import type { ClusterRecords } from '../../state/cluster-records.js';
import type { InstanceTable } from '../../state/schema.js';
import { clusterTask, recordDone, waitFormed } from './cluster-tasks.js';

/** Whether some member already serves the cluster's data (it came back by itself, or an earlier run of the step started it). */
async function anyServing(runtime: Runtime, members: InstanceTable[]): Promise<boolean> {
  const seen = await Promise.all(
    members.map((m) =>
      agentOf(runtime, m.id)
        .call(routes.clusterStatus, undefined, { timeoutMs: 3000 })
        .catch(() => undefined),
    ),
  );
  return seen.some((s) => s?.primary && s.synced);
}

/**
 * The member to start the cluster from: the one whose data goes furthest; among equals the one the
 * engine marked safe (it left last), then the first made. Undefined when no member can tell.
 */
export function mostAdvanced(positions: Array<{ member: InstanceTable; position: ClusterPosition }>): InstanceTable | undefined {
  const known = positions.filter((p) => p.position.seqno >= 0);
  let best: (typeof known)[number] | undefined;
  for (const candidate of known) {
    if (!best || candidate.position.seqno > best.position.seqno || (candidate.position.seqno === best.position.seqno && candidate.position.safe_to_bootstrap && !best.position.safe_to_bootstrap)) best = candidate;
  }
  return best?.member;
}

/**
 * Every member stopped: each is held stopped and asked how far its data goes, and the cluster
 * starts again from the most advanced one alone, never from one that is behind. Run again after a
 * crash, the step finds the cluster serving, or holds and chooses again (a held member's position
 * does not move).
 */
function startFromMostAdvanced(runtime: Runtime, clusters: ClusterRecords): TaskKind<NoParams>['steps'][number] {
  return {
    name: 'start-most-advanced',
    async run(run) {
      const members = await clusters.members(run.task.target_id);
      if (members.length === 0) throw new PermanentTaskError('the cluster has no members');
      if (await anyServing(runtime, members)) return 'done';
      // Every member must answer: one that cannot say how far it got might be the most advanced.
      const positions = [];
      for (const member of members) positions.push({ member, position: await agentOf(runtime, member.id).call(routes.clusterHold) });
      const chosen = mostAdvanced(positions);
      if (!chosen) throw new PermanentTaskError('no member could tell how far its data goes');
      run.log.warn({ member: chosen.id, positions: positions.map((p) => ({ member: p.member.id, seqno: p.position.seqno })) }, 'no member of the cluster serves: starting it again from the most advanced member');
      await agentOf(runtime, chosen.id).call(routes.clusterBootstrap);
      return 'done';
    },
  };
}

/** The held members start again and join the one that runs, receiving what they lack from it. */
function rejoinOthers(runtime: Runtime, clusters: ClusterRecords): TaskKind<NoParams>['steps'][number] {
  return {
    name: 'rejoin-members',
    async run(run) {
      for (const member of await clusters.members(run.task.target_id)) await agentOf(runtime, member.id).call(routes.clusterRejoin);
      return 'done';
    },
  };
}

/** Starts a cluster none of whose members serves (all stopped or crashed) again, by itself. */
export function restartStoppedClusterTask(runtime: Runtime, clusters: ClusterRecords, deadlineSeconds: number): TaskKind<NoParams> {
  return clusterTask(clusters, 'cluster.restart-stopped', deadlineSeconds, [startFromMostAdvanced(runtime, clusters), rejoinOthers(runtime, clusters), waitFormed(runtime, clusters), recordDone(runtime, clusters)], 'Cluster could not be started again');
}
