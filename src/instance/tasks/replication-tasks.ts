import { TaskStatus } from '../../state/task-status.js';
import { REPLICATION_USER, type ReplicationStatus } from '../../agent/replication-protocol.js';
import { routes } from '../../agent/rpc/routes.js';
import { bestEffort } from '../../common/best-effort.js';
import type { InstanceTable } from '../../state/schema.js';
import { replicationSourceFor, retainerOf, secretOf } from '../../control/replication-set.js';
import { AgentUnreachable } from '../../agent/rpc/client.js';
import { agentOf, type Runtime } from '../../control/runtime.js';
import { PermanentTaskError, type TaskKind, type TaskRun } from '../../control/task-manager.js';

/** How long a replica may take to apply its fenced source's last writes. */
const CATCH_UP_MS = 60_000;

async function memberOf(runtime: Runtime, id: string): Promise<InstanceTable> {
  const instance = await runtime.instances.find(id);
  if (!instance) throw new PermanentTaskError(`instance ${id} no longer exists`);
  return instance;
}

/** The new source lets the others in (its account; a retainer for each), and the rows say who follows whom. */
async function recordNewSource(runtime: Runtime, newSource: InstanceTable, followers: InstanceTable[]): Promise<void> {
  const password = runtime.secrets.open(secretOf(newSource));
  await agentOf(runtime, newSource.id).call(routes.replicationAllow, { user: REPLICATION_USER, password, retainers: followers.map((f) => retainerOf(f.id)) });
  await runtime.instances.db.transaction().execute(async (trx) => {
    const now = new Date().toISOString();
    // The set's failover policy goes with the source role.
    const autoFailover = Math.max(newSource.auto_failover, ...followers.map((f) => f.auto_failover));
    await trx.updateTable('instances').set({ replica_of_id: null, auto_failover: autoFailover, updated_at: now }).where('id', '=', newSource.id).execute();
    if (followers.length > 0) {
      await trx
        .updateTable('instances')
        .set({ replica_of_id: newSource.id, auto_failover: 0, updated_at: now })
        .where(
          'id',
          'in',
          followers.map((f) => f.id),
        )
        .execute();
    }
  });
}

/** Every follower of the new source is pointed at it; one that cannot be reached is re-joined by the reconciler later. */
async function repoint(runtime: Runtime, newSourceId: string, skip: string[] = []): Promise<void> {
  const source = await memberOf(runtime, newSourceId);
  for (const follower of await runtime.instances.replicasOf(newSourceId)) {
    if (skip.includes(follower.id)) continue;
    try {
      await agentOf(runtime, follower.id).call(routes.replicationFollow, { source: replicationSourceFor(runtime, source, follower.id, secretOf(source)) });
    } catch {
      // Left to the reconciler, which re-joins a member whose engine follows another source.
    }
  }
}

/** The set is idle again: every member of it, and the old source. */
async function release(runtime: Runtime, ids: string[], status: TaskStatus): Promise<void> {
  await runtime.instances.db.updateTable('instances').set({ task_status: TaskStatus.NONE, updated_at: new Date().toISOString() }).where('id', 'in', ids).where('task_status', '=', status).execute();
}

/** The ids a set task holds: its source and the source's replicas, as they were when the task began. */
export interface SetTaskParams {
  source_id: string;
  members: string[];
}

/**
 * Detach: the replica stops following and accepts writes; its source releases its retainer.
 */
export function detachReplicaTask(runtime: Runtime, deadlineSeconds: number): TaskKind<{ source_id: string }> {
  return {
    kind: 'instance.detach',
    deadlineSeconds,
    steps: [
      {
        name: 'stop-following',
        async run(run) {
          await agentOf(runtime, run.task.target_id).call(routes.replicationPromote);
          return 'done';
        },
      },
      {
        // Running tasks keep their step's name in the state store: it stays as it was.
        name: 'release-slot',
        async run(run) {
          // A source that cannot be reached now keeps the retainer until the replica is gone for good; nothing waits for it.
          await bestEffort(run.log, "releasing the detached replica's retainer on its source", agentOf(runtime, run.params.source_id).call(routes.replicationRelease, { retainer: retainerOf(run.task.target_id) }));
          return 'done';
        },
      },
      {
        name: 'record',
        async run(run) {
          await runtime.instances.update(run.task.target_id, { replica_of_id: null, replication_status: null, task_status: TaskStatus.NONE });
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      await runtime.instances.setFault(run.task.target_id, `Replica could not be detached: ${reason}`, reason);
    },
  };
}

/**
 * Planned switchover: the source is fenced (read-only, its last write's position read), the
 * replica applies everything up to that position and is promoted, and the old source and the
 * other replicas follow it. No committed write is lost; at no moment are two members writable.
 */
export function promoteReplicaTask(runtime: Runtime, deadlineSeconds: number): TaskKind<SetTaskParams> {
  return {
    kind: 'instance.promote',
    deadlineSeconds,
    steps: [
      {
        name: 'fence-source-and-catch-up',
        async run(run) {
          const candidate = await memberOf(runtime, run.task.target_id);
          // Done already (a resumed task): the candidate is the source.
          if (candidate.replica_of_id === null) return 'done';
          let position: string;
          try {
            ({ position } = await agentOf(runtime, run.params.source_id).call(routes.replicationFence));
          } catch (err) {
            if (err instanceof AgentUnreachable) throw new PermanentTaskError('the source stopped answering before it could be fenced; fail over from it instead (eject_replica_source)');
            throw err;
          }
          await agentOf(runtime, candidate.id).call(routes.replicationCatchUp, { position, timeout_ms: CATCH_UP_MS });
          return 'done';
        },
      },
      {
        name: 'promote',
        async run(run) {
          const candidate = await memberOf(runtime, run.task.target_id);
          if (candidate.replica_of_id === null) return 'done';
          await agentOf(runtime, candidate.id).call(routes.replicationPromote);
          const followers = await Promise.all(run.params.members.filter((id) => id !== candidate.id).map((id) => memberOf(runtime, id)));
          await recordNewSource(runtime, candidate, followers);
          return 'done';
        },
      },
      {
        name: 'repoint',
        async run(run) {
          await repoint(runtime, run.task.target_id);
          return 'done';
        },
      },
      {
        name: 'finish',
        async run(run) {
          await release(runtime, run.params.members, 'PROMOTING');
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      const candidate = await runtime.instances.find(run.task.target_id);
      let outcome = reason;
      // Not promoted: the old source takes writes again. Promoted: the new source stays, the old one stays fenced.
      if (candidate?.replica_of_id) {
        outcome = await agentOf(runtime, run.params.source_id)
          .call(routes.replicationPromote)
          .then(
            () => `${reason}; the source takes writes again`,
            (err: Error) => `${reason}; the source stays read-only: ${err.message}`,
          );
      }
      await release(runtime, run.params.members, 'PROMOTING');
      await runtime.instances.setFault(run.task.target_id, `Replica could not be promoted: ${outcome}`, outcome);
    },
  };
}

/**
 * Failover: the unreachable source is fenced by the compute driver (its processes ended, its
 * engine to start read-only whenever it comes back), the most advanced replica is promoted, and
 * the others follow it. The old source re-joins as a replica when it returns.
 */
export function ejectSourceTask(runtime: Runtime, deadlineSeconds: number): TaskKind<SetTaskParams> {
  return {
    kind: 'instance.eject',
    deadlineSeconds,
    steps: [
      {
        name: 'fence-source',
        async run(run) {
          const source = await memberOf(runtime, run.params.source_id);
          if (source.replica_of_id !== null) return 'done';
          await runtime.driver.fence(source.id);
          return 'done';
        },
      },
      {
        // The choice is recorded before anything is promoted: a resumed task promotes the same replica.
        name: 'choose-most-advanced',
        async run(run) {
          const source = await memberOf(runtime, run.params.source_id);
          if (source.replica_of_id !== null) return 'done';
          const replicas = await Promise.all(run.params.members.filter((id) => id !== source.id).map((id) => memberOf(runtime, id)));
          const positions = await Promise.all(
            replicas.map(async (replica) => {
              try {
                return { replica, status: await agentOf(runtime, replica.id).call(routes.replicationStatus) };
              } catch {
                return undefined;
              }
            }),
          );
          const reachable = positions.filter((p): p is { replica: InstanceTable; status: ReplicationStatus } => p !== undefined);
          if (reachable.length === 0) return { waitMs: 1000 };
          reachable.sort((a, b) => b.status.progress - a.status.progress || a.replica.id.localeCompare(b.replica.id));
          await runtime.instances.update(source.id, { replica_of_id: reachable[0]!.replica.id });
          return 'done';
        },
      },
      {
        name: 'promote',
        async run(run) {
          const source = await memberOf(runtime, run.params.source_id);
          const candidate = await memberOf(runtime, source.replica_of_id!);
          if (candidate.replica_of_id === null) return 'done';
          await agentOf(runtime, candidate.id).call(routes.replicationPromote);
          const others = await Promise.all(run.params.members.filter((id) => id !== candidate.id).map((id) => memberOf(runtime, id)));
          await recordNewSource(runtime, candidate, others);
          return 'done';
        },
      },
      {
        name: 'repoint',
        async run(run) {
          const source = await memberOf(runtime, run.params.source_id);
          // The old source is fenced and down; the reconciler re-joins it when it answers again.
          await repoint(runtime, source.replica_of_id!, [source.id]);
          return 'done';
        },
      },
      {
        name: 'finish',
        async run(run) {
          await release(runtime, run.params.members, 'EJECTING');
          return 'done';
        },
      },
    ],
    async onFailure(run: TaskRun<SetTaskParams>, reason) {
      // The source stays fenced: a failed failover must not bring back a second writable member.
      await release(runtime, run.params.members, 'EJECTING');
      await runtime.instances.setFault(run.params.source_id, `The replica source could not be ejected: ${reason}`, reason);
    },
  };
}
