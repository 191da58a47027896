import type { TaskStatus } from '../state/task-status.js';
import { BadRequest, Conflict } from '../common/errors.js';
import type { AgentStatus } from '../agent/protocol.js';
import { AgentClient } from '../agent/rpc/client.js';
import { routes } from '../agent/rpc/routes.js';
import { bestEffort } from '../common/best-effort.js';
import type { Logger } from '../common/log.js';
import type { TaskManager } from '../control/task-manager.js';
import { startEject, startSetTask } from '../control/replication-set.js';
import type { ComputeDriver } from '../compute/driver.js';
import type { AuthContext } from '../identity/types.js';
import type { InstanceTable } from '../state/schema.js';
import type { InstanceService } from './instance-service.js';
import type { InstanceRecords } from '../state/instance-records.js';

function requireStarted(started: boolean): void {
  if (!started) throw new Conflict('An instance of this replication set is busy with another operation; try again when all of them are ACTIVE.');
}

/** Detach, promote and eject: each takes the whole set (source and replicas) for its task, or nothing. */
export class ReplicationService {
  constructor(
    private readonly instances: InstanceService,
    private readonly store: InstanceRecords,
    private readonly tasks: TaskManager,
    private readonly driver: ComputeDriver,
    private readonly log: Logger,
    /** A busy agent can be slow to answer; one that is gone refuses the connection at once. */
    private readonly agentTimeoutMs = 10_000,
  ) {}

  private async requireReplica(caller: AuthContext, projectId: string, id: string): Promise<InstanceTable> {
    const instance = await this.instances.get(caller, projectId, id);
    if (!instance.replica_of_id) throw new BadRequest(`Instance '${instance.name}' (${instance.id}) is not a replica.`);
    return instance;
  }

  private async startSetTask(ids: string[], taskStatus: TaskStatus, kind: string, targetId: string, params: object): Promise<void> {
    requireStarted(await startSetTask({ instances: this.store, tasks: this.tasks }, ids, taskStatus, kind, targetId, params));
  }

  private async agentStatus(id: string): Promise<AgentStatus | undefined> {
    return bestEffort(this.log.child({ instance: id }), "asking a member's agent for its status", new AgentClient(this.driver.agentSocket(id)).call(routes.status, undefined, { timeoutMs: this.agentTimeoutMs }));
  }

  /** For views: each source's replicas' ids. */
  async replicaIds(sourceIds: string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    if (sourceIds.length === 0) return map;
    const rows = await this.store.db.selectFrom('instances').select(['id', 'replica_of_id']).where('replica_of_id', 'in', sourceIds).where('deleted', '=', 0).orderBy('created_at').execute();
    for (const row of rows) map.set(row.replica_of_id!, [...(map.get(row.replica_of_id!) ?? []), row.id]);
    return map;
  }

  async detach(caller: AuthContext, projectId: string, id: string): Promise<void> {
    const replica = await this.requireReplica(caller, projectId, id);
    await this.startSetTask([replica.id], 'DETACHING', 'instance.detach', replica.id, { source_id: replica.replica_of_id });
  }

  async promote(caller: AuthContext, projectId: string, id: string): Promise<void> {
    const replica = await this.requireReplica(caller, projectId, id);
    const sourceId = replica.replica_of_id!;
    // A switchover fences the source first: one that does not answer cannot be fenced, only ejected.
    if ((await this.agentStatus(sourceId))?.service !== 'HEALTHY') throw new BadRequest(`The source of '${replica.name}' (${sourceId}) does not answer, so it cannot hand over; fail over from it instead (eject_replica_source on ${sourceId}).`);
    const members = [sourceId, ...(await this.store.replicasOf(sourceId)).map((r) => r.id)];
    await this.startSetTask(members, 'PROMOTING', 'instance.promote', replica.id, { source_id: sourceId, members });
  }

  /** Only a source that does not answer is ejected: a healthy one is switched over with promote instead. */
  async eject(caller: AuthContext, projectId: string, id: string): Promise<void> {
    const source = await this.instances.get(caller, projectId, id);
    const replicas = await this.store.replicasOf(source.id);
    if (replicas.length === 0) throw new BadRequest(`Instance '${source.name}' (${source.id}) is not a replica source.`);
    if ((await this.agentStatus(source.id))?.service === 'HEALTHY') {
      throw new BadRequest(`Replica source '${source.name}' cannot be ejected as it has a current heartbeat; to make a replica the source while it runs, promote the replica (promote_to_replica_source).`);
    }
    requireStarted(
      await startEject(
        { instances: this.store, tasks: this.tasks },
        source,
        replicas.map((r) => r.id),
      ),
    );
  }
}
