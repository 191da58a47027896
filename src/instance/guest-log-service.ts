import type { DatastoreCatalog } from '../catalog/registry.js';
import { BadRequest, NotFound, UnprocessableEntity } from '../common/errors.js';
import type { ComputeDriver } from '../compute/driver.js';
import { AgentClient, AgentRefused, AgentUnreachable } from '../control/agent-client.js';
import type { AuthContext } from '../identity/types.js';
import type { ObjectStore } from '../object-storage/object-store.js';
import type { InstanceService } from './instance-service.js';

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

interface Metafile {
  published: number;
}

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

  private async agentLogs(agent: AgentClient): Promise<Array<{ name: string; enabled: boolean; size: number }>> {
    try {
      return (await agent.get<{ logs: Array<{ name: string; enabled: boolean; size: number }> }>('/logs')).logs;
    } catch (err) {
      if (err instanceof AgentUnreachable) throw new UnprocessableEntity('The instance’s guest agent is not answering; try again when the instance is ACTIVE.');
      throw err;
    }
  }

  private async metafile(prefix: string): Promise<Metafile> {
    const raw = await this.store.get(CONTAINER, `${prefix}_metafile`);
    return raw ? (JSON.parse(raw.toString('utf8')) as Metafile) : { published: 0 };
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
    const states = await this.agentLogs(agent);
    return Promise.all(logs.map((log) => this.view(instance.id, log, states.find((s) => s.name === log.name))));
  }

  async act(caller: AuthContext, projectId: string, id: string, action: LogAction): Promise<GuestLogView> {
    const { instance, logs, agent } = await this.target(caller, projectId, id);
    const log = logs.find((l) => l.name === action.name);
    if (!log) throw new NotFound(`Log '${action.name}' cannot be found; this datastore has ${logs.map((l) => l.name).join(', ')}.`);
    if (action.enable && action.disable) throw new BadRequest('Cannot enable and disable a log at once.');
    if ((action.enable || action.disable) && log.type === 'SYS') throw new BadRequest(`Log '${log.name}' is a system log: it is always on.`);
    try {
      if (action.enable || action.disable) await agent.post('/logs/set', { name: log.name, enabled: Boolean(action.enable) });
    } catch (err) {
      if (err instanceof AgentRefused) throw new UnprocessableEntity(err.message);
      throw err;
    }
    const prefix = `${instance.id}/${log.name}/`;
    if (action.discard) {
      for (const key of await this.store.list(CONTAINER, prefix)) await this.store.delete(CONTAINER, key);
    }
    if (action.publish) await this.publish(agent, log.name, prefix);
    const states = await this.agentLogs(agent);
    return this.view(instance.id, log, states.find((s) => s.name === log.name));
  }

  /** Copies what was written since the last publish into new objects, then records the offset. */
  private async publish(agent: AgentClient, name: string, prefix: string): Promise<void> {
    let { published } = await this.metafile(prefix);
    for (;;) {
      const chunk = await agent.get<{ data: string; size: number }>(`/logs/read?name=${encodeURIComponent(name)}&offset=${published}`);
      if (chunk.size < published) published = 0;
      if (chunk.data === '') break;
      const data = Buffer.from(chunk.data, 'base64');
      await this.store.put(CONTAINER, `${prefix}log-${new Date().toISOString().replace(/[:.]/g, '')}-${String(published).padStart(12, '0')}`, data);
      published += data.length;
      await this.store.put(CONTAINER, `${prefix}_metafile`, Buffer.from(JSON.stringify({ published } satisfies Metafile)));
    }
  }
}
