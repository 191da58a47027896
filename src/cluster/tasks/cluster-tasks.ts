import type { ClusterNode } from '../../agent/cluster-protocol.js';
import { routes } from '../../agent/rpc/routes.js';
import { agentOf, type Runtime } from '../../control/runtime.js';
import { PermanentTaskError, type NoParams, type TaskKind, type TaskRun } from '../../control/task-manager.js';
import type { ClusterRecords } from '../../state/cluster-records.js';
import type { InstanceTable } from '../../state/schema.js';
import { TaskStatus } from '../../state/task-status.js';

type Step<P> = TaskKind<P>['steps'][number];

/** The members a grow adds or a shrink removes. */
export interface MembersParams {
  members: string[];
}

const isActive = (m: InstanceTable) => m.task_status === TaskStatus.NONE && m.service_status === 'HEALTHY';
const all = (members: InstanceTable[]) => members;
const listed = (members: InstanceTable[], params: MembersParams) => members.filter((m) => params.members.includes(m.id));

/** Waits until the members chosen by `which` are ACTIVE (each is built by its own instance.create task); one that failed fails the step. */
function waitActive<P>(clusters: ClusterRecords, which: (members: InstanceTable[], params: P) => InstanceTable[]): Step<P> {
  return {
    name: 'wait-members',
    async run(run: TaskRun<P>) {
      if (!(await clusters.find(run.task.target_id))) throw new PermanentTaskError('the cluster no longer exists');
      const members = which(await clusters.members(run.task.target_id), run.params);
      if (members.length === 0) throw new PermanentTaskError('the cluster has no members to wait for');
      const failed = members.find((m) => m.task_status === TaskStatus.ERROR);
      if (failed) throw new PermanentTaskError(`member ${failed.name} could not be built: ${failed.fault_details ?? failed.fault_message ?? 'no reason given'}`);
      return members.every(isActive) ? 'done' : { waitMs: 1000 };
    },
  };
}

/** Every member is given the list of all members: where each looks for the others at its next start. */
function settleMembership<P>(runtime: Runtime, clusters: ClusterRecords): Step<P> {
  return {
    name: 'settle-membership',
    async run(run: TaskRun<P>) {
      const members = (await clusters.members(run.task.target_id)).filter((m) => m.task_status !== 'DELETING');
      const addresses = members.flatMap((m) => (m.address ? [m.address] : []));
      for (const member of members) await agentOf(runtime, member.id).call(routes.clusterMembers, { members: addresses });
      return 'done';
    },
  };
}

/** Members as the agent that brings them in is told of them: each one's address and type. */
const nodesOf = (members: InstanceTable[]): ClusterNode[] => members.flatMap((m) => (m.address && m.cluster_member_type ? [{ address: m.address, type: m.cluster_member_type }] : []));

/** The member a change of the cluster's shape runs through: one of the datastore's leading type that serves, outside `excluded`. */
function entryOf(runtime: Runtime, members: InstanceTable[], excluded: (m: InstanceTable) => boolean): InstanceTable | undefined {
  const lead = members[0] ? runtime.catalog.get(members[0].datastore).descriptor.cluster?.memberTypes[0] : undefined;
  return members.find((m) => !excluded(m) && m.cluster_member_type === lead && isActive(m));
}

const current = async (clusters: ClusterRecords, id: string) => (await clusters.members(id)).filter((m) => m.task_status !== 'DELETING');

/** Members that join as they start and leave as they stop need no agent to bring them in or take them out. */
const joinByThemselves = (runtime: Runtime, members: InstanceTable[]) => members[0] !== undefined && runtime.catalog.get(members[0].datastore).descriptor.cluster?.joinsRunningMember === true;

/** Joins every member into one cluster, for engines whose members start on their own (the agent does nothing for the others). */
function formCluster<P>(runtime: Runtime, clusters: ClusterRecords): Step<P> {
  return {
    name: 'form',
    async run(run: TaskRun<P>) {
      const members = await current(clusters, run.task.target_id);
      if (joinByThemselves(runtime, members)) return 'done';
      const entry = entryOf(runtime, members, () => false);
      if (!entry) return { waitMs: 1000 };
      await agentOf(runtime, entry.id).call(routes.clusterForm, { members: nodesOf(members) });
      return 'done';
    },
  };
}

/** Brings the new members in through a member that was there before, which moves data onto them. */
function addMembers(runtime: Runtime, clusters: ClusterRecords): Step<MembersParams> {
  return {
    name: 'add-members',
    async run(run) {
      const members = await current(clusters, run.task.target_id);
      if (joinByThemselves(runtime, members)) return 'done';
      const entry = entryOf(runtime, members, (m) => run.params.members.includes(m.id));
      if (!entry) return { waitMs: 1000 };
      await agentOf(runtime, entry.id).call(routes.clusterAdd, { members: nodesOf(listed(members, run.params)) });
      return 'done';
    },
  };
}

/** Before the members leaving are deleted, a member that stays moves their data off them and takes them out. */
function releaseMembers(runtime: Runtime, clusters: ClusterRecords): Step<MembersParams> {
  return {
    name: 'release-members',
    async run(run) {
      const members = await clusters.members(run.task.target_id);
      const addresses = listed(members, run.params).flatMap((m) => (m.address ? [m.address] : []));
      if (addresses.length === 0 || joinByThemselves(runtime, members)) return 'done';
      const entry = entryOf(runtime, members, (m) => run.params.members.includes(m.id));
      if (!entry) return { waitMs: 1000 };
      await agentOf(runtime, entry.id).call(routes.clusterRemove, { members: addresses });
      return 'done';
    },
  };
}

/** Accounts that do not travel with the data (the agent says which: none for most engines) are copied to the new members. */
function copyAccounts(runtime: Runtime, clusters: ClusterRecords): Step<MembersParams> {
  return {
    name: 'copy-accounts',
    async run(run) {
      const members = await current(clusters, run.task.target_id);
      // Members that receive the data as they start receive its accounts with it.
      if (joinByThemselves(runtime, members)) return 'done';
      const entry = entryOf(runtime, members, (m) => run.params.members.includes(m.id));
      if (!entry) return { waitMs: 1000 };
      const { accounts } = await agentOf(runtime, entry.id).call(routes.accountsExport);
      if (accounts.length > 0) for (const member of listed(members, run.params)) await agentOf(runtime, member.id).call(routes.accountsImport, { accounts });
      return 'done';
    },
  };
}

/** Asks each chosen member's delete of its own task (once: a step run again after a crash does not ask twice). */
function deleteMembers<P>(runtime: Runtime, clusters: ClusterRecords, which: (members: InstanceTable[], params: P) => InstanceTable[]): Step<P> {
  return {
    name: 'delete-members',
    async run(run: TaskRun<P>) {
      const members = which(await clusters.members(run.task.target_id), run.params);
      const pending = await runtime.tasks.unfinishedKinds(members.map((m) => m.id));
      await clusters.db.transaction().execute(async (trx) => {
        for (const member of members) {
          if (pending.get(member.id)?.includes('instance.delete')) continue;
          await trx.updateTable('instances').set({ task_status: 'DELETING', updated_at: new Date().toISOString() }).where('id', '=', member.id).execute();
          await runtime.tasks.enqueue(trx, 'instance.delete', member.id, {});
        }
      });
      runtime.tasks.nudge();
      return 'done';
    },
  };
}

/** Waits until the chosen members are gone; one whose delete ended without removing it is asked again, so a removal always completes. */
function waitGone<P>(runtime: Runtime, clusters: ClusterRecords, which: (members: InstanceTable[], params: P) => InstanceTable[]): Step<P> {
  return {
    name: 'wait-members-gone',
    async run(run: TaskRun<P>) {
      const members = which(await clusters.members(run.task.target_id), run.params);
      if (members.length === 0) return 'done';
      const pending = await runtime.tasks.unfinishedKinds(members.map((m) => m.id));
      const stalled = members.filter((m) => !pending.get(m.id)?.includes('instance.delete'));
      if (stalled.length > 0) {
        await clusters.db.transaction().execute(async (trx) => {
          for (const member of stalled) await runtime.tasks.enqueue(trx, 'instance.delete', member.id, {});
        });
        runtime.tasks.nudge();
      }
      return { waitMs: 500 };
    },
  };
}

/** Waits until every member sees all the others and holds all the data: the cluster is as big as its members. */
export function waitFormed<P>(runtime: Runtime, clusters: ClusterRecords): Step<P> {
  return {
    name: 'wait-formed',
    async run(run: TaskRun<P>) {
      const members = (await clusters.members(run.task.target_id)).filter((m) => m.task_status !== 'DELETING');
      for (const member of members) {
        const seen = await agentOf(runtime, member.id).call(routes.clusterStatus);
        if (seen.size !== members.length || !seen.synced) return { waitMs: 500 };
      }
      return 'done';
    },
  };
}

/**
 * Ends the cluster's task, unless another task of the cluster is under way: a task resumed after
 * a restart of the server may record its end after a later task has begun, and must not end that
 * one's. Whichever finishes last ends it.
 */
export function recordDone<P>(runtime: Runtime, clusters: ClusterRecords): Step<P> {
  return {
    name: 'record',
    async run(run: TaskRun<P>) {
      const id = run.task.target_id;
      const unfinished = (await runtime.tasks.unfinishedKinds([id])).get(id) ?? [];
      if (unfinished.length <= 1) await clusters.setTask(id, 'NONE');
      return 'done';
    },
  };
}

/** A cluster task whose failure is the cluster's fault: `failure` and the reason. */
export function clusterTask<P>(clusters: ClusterRecords, kind: string, deadlineSeconds: number, steps: TaskKind<P>['steps'], failure: string): TaskKind<P> {
  return {
    kind,
    deadlineSeconds,
    steps,
    async onFailure(run, reason) {
      await clusters.setFault(run.task.target_id, `${failure}: ${reason}`);
    },
  };
}

/** Sees a new cluster's members built (in parallel, the first starting it), then gives every member the final list and forms the cluster of them. */
export function createClusterTask(runtime: Runtime, clusters: ClusterRecords, deadlineSeconds: number): TaskKind<NoParams> {
  // On a failure the members that were built stay, so that the fault can be read and the cluster deleted.
  return clusterTask(clusters, 'cluster.create', deadlineSeconds, [waitActive(clusters, all), settleMembership(runtime, clusters), formCluster(runtime, clusters), waitFormed(runtime, clusters), recordDone(runtime, clusters)], 'Cluster could not be built');
}

/** Sees the new members join (each receives the data from a member that keeps serving, or is brought in and given its share), then gives every member the new list. */
export function growClusterTask(runtime: Runtime, clusters: ClusterRecords, deadlineSeconds: number): TaskKind<MembersParams> {
  return clusterTask(
    clusters,
    'cluster.grow',
    deadlineSeconds,
    [waitActive(clusters, listed), copyAccounts(runtime, clusters), settleMembership(runtime, clusters), addMembers(runtime, clusters), waitFormed(runtime, clusters), recordDone(runtime, clusters)],
    'Cluster could not grow',
  );
}

/** Removes members: their data moves to members that stay, each leaves the cluster cleanly as its engine stops and is deleted, then the others get the new list. */
export function shrinkClusterTask(runtime: Runtime, clusters: ClusterRecords, deadlineSeconds: number): TaskKind<MembersParams> {
  return clusterTask(
    clusters,
    'cluster.shrink',
    deadlineSeconds,
    [releaseMembers(runtime, clusters), deleteMembers(runtime, clusters, listed), waitGone(runtime, clusters, listed), settleMembership(runtime, clusters), waitFormed(runtime, clusters), recordDone(runtime, clusters)],
    'Cluster could not shrink',
  );
}

/** Removes a cluster: its other task ends, every member is deleted by its own task, then the cluster row. */
export function deleteClusterTask(runtime: Runtime, clusters: ClusterRecords, deadlineSeconds: number): TaskKind<NoParams> {
  return clusterTask(
    clusters,
    'cluster.delete',
    deadlineSeconds,
    [
      {
        name: 'cancel-other-tasks',
        async run(run) {
          const busy = await runtime.tasks.cancelOthers(run.task.target_id, run.task.id);
          return busy ? { waitMs: 100 } : 'done';
        },
      },
      deleteMembers(runtime, clusters, all),
      waitGone(runtime, clusters, all),
      {
        name: 'forget',
        async run(run) {
          await clusters.update(run.task.target_id, { deleted: 1, deleted_at: new Date().toISOString() });
          return 'done';
        },
      },
    ],
    'Cluster could not be deleted',
  );
}
