import type { DatastoreCatalog } from '../catalog/registry.js';
import { BadRequest, NotFound, UnprocessableEntity } from '../common/errors.js';
import type { ComputeDriver } from '../compute/driver.js';
import { AgentClient } from '../agent/rpc/client.js';
import { agentFault } from '../agent/rpc/faults.js';
import { routes } from '../agent/rpc/routes.js';
import type { AuthContext } from '../identity/types.js';
import type { ObjectStore } from '../object-storage/object-store.js';
import type { InstanceService } from './instance-service.js';
import { Type, type Static } from 'typebox';
import { parseChecked } from '../common/json.js';

export interface GuestLogView {
  name: string;
  type: 'USER' | 'SYS';
  status: string;
  published: number;
  pending: number;
  container: string;
  prefix: string;
  metafile: string;
}

export interface LogAction {
  name: string;
  enable?: unknown;
  disable?: unknown;
  publish?: unknown;
  discard?: unknown;
}

/** Kept in the object store beside the published log, where others may write: checked when read. */
const Metafile = Type.Object({ published: Type.Integer({ minimum: 0 }) });
type Metafile = Static<typeof Metafile>;

const CONTAINER = 'database_logs';

/** Trove's log status from what the agent says and what was published. */
function logStatus(type: 'USER' | 'SYS', enabled: boolean, size: number, published: number): string {
  if (type === 'USER' && !enabled) return 'Disabled';
  if (size === 0) return 'Unavailable';
  if (published === 0) return 'Ready';
  return published >= size ? 'Published' : 'Partial';
}

/**
 * The engine's logs, as the catalog names them: listed with their state, switched on and off,
 * and published to the object store (container database_logs, prefix <instance>/<log>/).
 */
export class GuestLogService {
  constructor(
    private readonly instances: InstanceService,
    private readonly catalog: DatastoreCatalog,
    private readonly driver: ComputeDriver,
    private readonly store: ObjectStore,
  ) {}

  private async target(caller: AuthContext, projectId: string, id: string) {
    const instance = await this.instances.get(caller, projectId, id);
    const logs = this.catalog.get(instance.datastore).descriptor.logs;
    if (logs.length === 0) throw new UnprocessableEntity(`Datastore '${instance.datastore}' has no logs.`);
    return { instance, logs, agent: new AgentClient(this.driver.agentSocket(instance.id)) };
  }

  private async agentLogs(instanceId: string, agent: AgentClient): Promise<Array<{ name: string; enabled: boolean; size: number }>> {
    try {
      return (await agent.call(routes.logsList)).logs;
    } catch (err) {
      return agentFault(err, instanceId);
    }
  }

  private async metafile(prefix: string): Promise<Metafile> {
    const raw = await this.store.get(CONTAINER, `${prefix}_metafile`);
    return raw ? parseChecked(Metafile, raw.toString('utf8'), `the metafile of ${prefix}`) : { published: 0 };
  }

  private async view(instanceId: string, log: { name: string; type: 'USER' | 'SYS' }, state: { enabled: boolean; size: number } | undefined): Promise<GuestLogView> {
    const prefix = `${instanceId}/${log.name}/`;
    const size = state?.size ?? 0;
    // A log smaller than what was published was rotated: its new content is all pending.
    const published = Math.min((await this.metafile(prefix)).published, size);
    return {
      name: log.name,
      type: log.type,
      status: logStatus(log.type, state?.enabled ?? false, size, published),
      published,
      pending: size - published,
      container: CONTAINER,
      prefix,
      metafile: `${prefix}_metafile`,
    };
  }

  async list(caller: AuthContext, projectId: string, id: string): Promise<GuestLogView[]> {
    const { instance, logs, agent } = await this.target(caller, projectId, id);
    const states = await this.agentLogs(instance.id, agent);
    return Promise.all(
      logs.map((log) =>
        this.view(
          instance.id,
          log,
          states.find((s) => s.name === log.name),
        ),
      ),
    );
  }

  async act(caller: AuthContext, projectId: string, id: string, action: LogAction): Promise<GuestLogView> {
    const { instance, logs, agent } = await this.target(caller, projectId, id);
    const log = logs.find((l) => l.name === action.name);
    if (!log) throw new NotFound(`Log '${action.name}' cannot be found; this datastore has ${logs.map((l) => l.name).join(', ')}.`);
    if (action.enable && action.disable) throw new BadRequest('Cannot enable and disable a log at once.');
    if ((action.enable || action.disable) && log.type === 'SYS') throw new BadRequest(`Log '${log.name}' is a system log: it is always on.`);
    try {
      if (action.enable || action.disable) await agent.call(routes.logSet, { name: log.name, enabled: Boolean(action.enable) });
    } catch (err) {
      // A log that cannot be switched now is unprocessable, whatever the agent's reason.
      agentFault(err, instance.id, (message) => new UnprocessableEntity(message));
    }
    const prefix = `${instance.id}/${log.name}/`;
    if (action.discard) {
      for (const key of await this.store.list(CONTAINER, prefix)) await this.store.delete(CONTAINER, key);
    }
    if (action.publish) await this.publish(instance.id, agent, log.name, prefix);
    const states = await this.agentLogs(instance.id, agent);
    return this.view(
      instance.id,
      log,
      states.find((s) => s.name === log.name),
    );
  }

  /** Copies what was written since the last publish into new objects, then records the offset. */
  private async publish(instanceId: string, agent: AgentClient, name: string, prefix: string): Promise<void> {
    let { published } = await this.metafile(prefix);
    for (;;) {
      const chunk = await agent.call(routes.logRead, { name, offset: String(published) }).catch((err: unknown) => agentFault(err, instanceId));
      if (chunk.size < published) published = 0;
      if (chunk.data === '') break;
      const data = Buffer.from(chunk.data, 'base64');
      await this.store.put(CONTAINER, `${prefix}log-${new Date().toISOString().replace(/[:.]/g, '')}-${String(published).padStart(12, '0')}`, data);
      published += data.length;
      await this.store.put(CONTAINER, `${prefix}_metafile`, Buffer.from(JSON.stringify({ published } satisfies Metafile)));
    }
  }
}
