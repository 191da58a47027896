import type { ClusterMembership } from '../../agent/cluster-protocol.js';
import { PermanentTaskError, type StepOutcome } from '../../control/task-manager.js';
import type { Runtime } from '../../control/runtime.js';
import type { InstanceTable } from '../../state/schema.js';
import { TaskStatus } from '../../state/task-status.js';

/** What a member's create task keeps: whether it starts the cluster (one member does) or joins it. */
export interface MemberParams {
  bootstrap: boolean;
}

async function membersOf(runtime: Runtime, instance: InstanceTable): Promise<InstanceTable[]> {
  return runtime.instances.db.selectFrom('instances').selectAll().where('cluster_id', '=', instance.cluster_id).where('deleted', '=', 0).orderBy('created_at').orderBy('name').orderBy('id').execute();
}

const isActive = (member: InstanceTable) => member.task_status === TaskStatus.NONE && member.service_status === 'HEALTHY';

/**
 * A member is prepared once every member has its address (each is told all of them) and, unless
 * it starts the cluster, once another member is ACTIVE to receive the data from.
 */
export async function waitForCluster(runtime: Runtime, instance: InstanceTable, member: MemberParams): Promise<StepOutcome> {
  const members = await membersOf(runtime, instance);
  if (members.some((m) => m.address === null && m.task_status !== TaskStatus.ERROR)) return { waitMs: 200 };
  if (member.bootstrap) return 'done';
  const others = members.filter((m) => m.id !== instance.id);
  if (others.some(isActive)) return 'done';
  if (others.every((m) => m.task_status === TaskStatus.ERROR)) throw new PermanentTaskError('no other member of the cluster could be built to join');
  return { waitMs: 500 };
}

/** What the member's agent is told at prepare: the cluster's name and secret, and every member's address. */
export async function membershipOf(runtime: Runtime, instance: InstanceTable, member: MemberParams): Promise<ClusterMembership> {
  const cluster = await runtime.instances.db.selectFrom('clusters').select(['id', 'secret']).where('id', '=', instance.cluster_id).where('deleted', '=', 0).executeTakeFirst();
  if (!cluster) throw new PermanentTaskError('the cluster no longer exists');
  const members = (await membersOf(runtime, instance)).flatMap((m) => (m.address ? [m.address] : []));
  return { name: cluster.id, members, bootstrap: member.bootstrap, secret: runtime.secrets.open(cluster.secret) };
}
