import { TaskStatus } from '../state/task-status.js';
import type { Logger } from '../common/log.js';
import type { ReplicationStatus } from '../agent/replication-protocol.js';
import type { InstanceTable } from '../state/schema.js';
import { downSince, replicationSourceFor, startEject } from './replication-set.js';
import { agentOf, placementOf, type Runtime } from './runtime.js';
import { routes } from '../agent/rpc/routes.js';

/**
 * Every few seconds: for each idle instance, make sure its agent process runs (the driver
 * restarts a dead one) and record what the agent says. A silent agent simply stops updating
 * last_contact_at; the status derivation turns that into "unreachable" after 10 s.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** Silence before this process started watching is not counted: a restarted server must not fail over everything. */
  private watchingSince = new Date();
  /** Since when each instance has not been reached, as this process saw it; cleared when it answers. */
  private readonly unreachableSince = new Map<string, Date>();
  private unreachable = 0;

  constructor(
    private readonly runtime: Runtime,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /** How long a source with automatic failover may be down before it is ejected. */
    private readonly failoverAfterMs = 30_000,
    /** Checks of the layers above (sets of instances) that run after each pass has read every agent. */
    private readonly watches: ReadonlyArray<{ pass(): Promise<void> }> = [],
  ) {}

  /** Agents that did not answer at their last pass (what the metrics show). */
  unreachableAgents(): number {
    return this.unreachable;
  }

  start(): void {
    this.stopped = false;
    this.watchingSince = new Date();
    this.timer = setTimeout(() => void this.pass(), this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  async pass(): Promise<void> {
    try {
      const instances = await this.runtime.instances.idle();
      await Promise.all(instances.filter((i) => i.address).map((i) => this.observe(i.id, i.address!)));
      // Counted among the instances of this pass: one deleted or busy with a task since is not.
      this.unreachable = instances.filter((i) => this.unreachableSince.has(i.id)).length;
      await this.failOverDownSources();
      for (const watch of this.watches) await watch.pass();
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'reconcile pass failed');
    } finally {
      if (!this.stopped) this.timer = setTimeout(() => void this.pass(), this.intervalMs);
    }
  }

  /** Sources with automatic failover that have been down for the configured time are ejected. */
  private async failOverDownSources(): Promise<void> {
    const now = new Date();
    const sources = await this.runtime.instances.db.selectFrom('instances').selectAll().where('deleted', '=', 0).where('auto_failover', '=', 1).where('replica_of_id', 'is', null).where('task_status', 'in', [TaskStatus.NONE, TaskStatus.ERROR]).execute();
    for (const source of sources) {
      const down = downSince(source, this.unreachableSince.get(source.id));
      if (!down) continue;
      const counted = Math.max(down.getTime(), this.watchingSince.getTime());
      if (now.getTime() - counted < this.failoverAfterMs) continue;
      const replicas = (await this.runtime.instances.replicasOf(source.id)).filter((r) => r.task_status === TaskStatus.NONE);
      // Nothing to fail over to: a replica must be in service itself.
      if (!replicas.some((r) => downSince(r, this.unreachableSince.get(r.id)) === undefined)) continue;
      if (
        await startEject(
          this.runtime,
          source,
          replicas.map((r) => r.id),
        )
      ) {
        this.log.warn({ instance: source.id, downSince: new Date(counted).toISOString() }, 'replica source is down: failing over to its most advanced replica');
      }
    }
  }

  /**
   * A replica whose engine follows nobody or another source (a fenced old source come back, a
   * member that was down while its set was re-pointed) is pointed at the source its row names.
   */
  private async rejoin(instance: InstanceTable, observed: ReplicationStatus): Promise<void> {
    const source = await this.runtime.instances.find(instance.replica_of_id!);
    if (!source?.address || !instance.replication_secret) return;
    if (observed.role === 'replica' && observed.source_host === source.address) return;
    this.log.warn({ instance: instance.id, source: source.id, role: observed.role }, 'replica does not follow its source; pointing it there');
    await agentOf(this.runtime, instance.id).call(routes.replicationFollow, { source: replicationSourceFor(this.runtime, source, instance.id, instance.replication_secret) });
  }

  private async observe(instanceId: string, address: string): Promise<void> {
    const instance = await this.runtime.instances.find(instanceId);
    if (!instance || (instance.task_status !== TaskStatus.NONE && instance.task_status !== TaskStatus.ERROR)) return;
    try {
      const state = await this.runtime.driver.ensureAgent(placementOf(this.runtime, instance, address));
      if (state === 'restarted') this.log.warn({ instance: instanceId }, 'agent was not running; restarted it');
      if (state === 'missing') throw new Error('the instance has no agent to start');
      const status = await agentOf(this.runtime, instanceId).call(routes.status, undefined, { timeoutMs: 2000 });
      this.unreachableSince.delete(instanceId);
      const now = new Date().toISOString();
      await this.runtime.instances.update(instanceId, {
        ...(status.service !== instance.service_status ? { service_status: status.service, service_status_updated: now } : {}),
        last_contact_at: now,
        volume_used_bytes: status.volume.used_bytes,
        replication_status: status.replication ? JSON.stringify(status.replication) : null,
        // A failover inside a cluster changes members' types: the view shows them as the engine does.
        ...(instance.cluster_id && status.cluster_type && status.cluster_type !== instance.cluster_member_type ? { cluster_member_type: status.cluster_type } : {}),
      });
      if (instance.replica_of_id && status.replication) {
        await this.rejoin(instance, status.replication).catch((err: Error) => this.log.warn({ instance: instanceId, err: err.message }, 'replica could not be pointed at its source; trying again at the next pass'));
      }
    } catch (err) {
      if (!this.unreachableSince.has(instanceId)) this.unreachableSince.set(instanceId, new Date());
      this.log.debug({ instance: instanceId, err: (err as Error).message }, 'agent did not answer');
    }
  }
}
