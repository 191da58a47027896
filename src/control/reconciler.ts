import type { Logger } from '../common/log.js';
import type { ReplicationStatus } from '../agent/replication-protocol.js';
import type { InstanceTable } from '../store/schema.js';
import { replicationSourceFor } from './replication-set.js';
import { agentOf, placementOf, type Runtime } from './runtime.js';

/**
 * Every few seconds: for each idle instance, make sure its agent process runs (the driver
 * restarts a dead one) and record what the agent says. A silent agent simply stops updating
 * last_contact_at; the status derivation turns that into "unreachable" after 10 s.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly runtime: Runtime,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
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
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'reconcile pass failed');
    } finally {
      if (!this.stopped) this.timer = setTimeout(() => void this.pass(), this.intervalMs);
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
    await agentOf(this.runtime, instance.id).post('/replication/follow', { source: replicationSourceFor(this.runtime, source, instance.id, instance.replication_secret) });
  }

  private async observe(instanceId: string, address: string): Promise<void> {
    const instance = await this.runtime.instances.find(instanceId);
    if (!instance || !['NONE', 'ERROR'].includes(instance.task_status)) return;
    try {
      const state = await this.runtime.driver.ensureAgent(placementOf(this.runtime, instance, address));
      if (state === 'restarted') this.log.warn({ instance: instanceId }, 'agent was not running; restarted it');
      if (state === 'missing') return;
      const status = await agentOf(this.runtime, instanceId).status(2000);
      const now = new Date().toISOString();
      await this.runtime.instances.update(instanceId, {
        ...(status.service !== instance.service_status ? { service_status: status.service, service_status_updated: now } : {}),
        last_contact_at: now,
        volume_used_bytes: status.volume.used_bytes,
        replication_status: status.replication ? JSON.stringify(status.replication) : null,
      });
      if (instance.replica_of_id && status.replication) await this.rejoin(instance, status.replication);
    } catch (err) {
      this.log.debug({ instance: instanceId, err: (err as Error).message }, 'agent did not answer');
    }
  }
}
