import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { writeFileAtomic } from '../common/atomic-file.js';
import { dirname, join } from 'node:path';
import type { Logger } from '../common/log.js';
import { pollUntil } from '../common/time.js';
import type { ConfigValue, DatastoreModule, EngineControl, FlavorSpecInput, GuestAdmin, GuestConfiguration, GuestReplication } from './datastore.js';
import { BackupRunner } from './backup-runner.js';
import { ClusterMember } from './cluster-member.js';
import { closeEngineConnections } from './engine-connections.js';
import { AgentRequestError } from './errors.js';
import type { ClusterPosition } from './cluster-protocol.js';
import type { AgentConfig, AgentStatus, PrepareRequest } from './protocol.js';
import { ROLE_FILE, type AllowRequest, type ReplicationRole, type ReplicationSource, type ReplicationStatus } from './replication-protocol.js';
import { RoleFile } from './replication-role.js';
import { serialised, type SerialAdmin } from './serial-admin.js';
import { Supervisor } from './supervisor.js';
import { volumeUsage } from './volume-usage.js';
import { parseOwn } from '../common/json.js';

/** How long a new cluster member may take to receive the cluster's data before it starts serving. */
const JOIN_TIMEOUT_MS = 30 * 60_000;

interface PersistedState {
  prepared: boolean;
}

/**
 * The guest agent's core: prepares the engine once, keeps it running, and tells its health.
 * The RPC server (server.ts) is a thin validated layer over this.
 */
export class Agent {
  readonly supervisor: Supervisor;
  readonly backups: BackupRunner;
  private readonly stateFile: string;
  private prepared: boolean;
  private preparing: Promise<void> | undefined;
  private failure: string | undefined;
  private healthy = false;
  private version: string | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private readonly role: RoleFile;
  /** One replication change at a time: a fence must not interleave with a follow. */
  private replicationQueue: Promise<unknown> = Promise.resolve();
  private readonly serialAdmin: SerialAdmin | undefined;
  readonly cluster: ClusterMember;
  readonly startedAt = new Date();

  constructor(
    readonly config: AgentConfig,
    configPath: string,
    private readonly module: DatastoreModule,
    private readonly log: Logger,
  ) {
    this.stateFile = join(dirname(configPath), 'agent-state.json');
    this.prepared = existsSync(this.stateFile) && parseOwn<PersistedState>(readFileSync(this.stateFile, 'utf8')).prepared;
    this.role = new RoleFile(join(dirname(configPath), ROLE_FILE));
    this.cluster = new ClusterMember(config, join(dirname(configPath), 'cluster-membership.json'), module.engine, module.cluster);
    this.supervisor = new Supervisor(module.command(config), join(config.log_dir, 'engine.out'), log);
    this.backups = new BackupRunner(config, module.backup, log);
    this.serialAdmin = module.admin && serialised(module.admin, () => this.requireWritable());
  }

  /** After a restart of the agent, a prepared engine is started (or adopted) at once. */
  async start(): Promise<void> {
    if (this.prepared) {
      // The role first: a fenced source or a replica must not come up writable, not even briefly.
      await this.module.replication?.writeRole(this.config, this.role.read());
      this.supervisor.start();
      // A restart of the whole cluster that this agent's end interrupted: once the engine serves, the member is told the others again.
      if (this.cluster.read()?.bootstrap) {
        void this.waitUntilAnswering(JOIN_TIMEOUT_MS)
          .then(() => this.cluster.bootstrapped())
          .catch((err: Error) => this.log.warn({ err: err.message }, 'the cluster this member started again did not come up'));
      }
    }
    this.checkHealth();
  }

  private checkHealth = async (): Promise<void> => {
    const was = this.healthy;
    if (this.supervisor.state === 'running') {
      this.healthy = await this.module.ping(this.config);
      if (this.healthy) {
        this.supervisor.healthy();
        if (!this.version) this.version = await this.module.version(this.config);
      }
    } else {
      this.healthy = false;
    }
    if (was !== this.healthy && this.prepared) {
      // Warn-level: a prepared engine that stops answering is what an operator looks for first.
      if (this.healthy) this.log.info({ engine: this.supervisor.state }, 'engine answers');
      else this.log.warn({ engine: this.supervisor.state }, 'engine stopped answering');
    }
    this.healthTimer = setTimeout(this.checkHealth, 1000);
  };

  /** Starts preparing unless already prepared or under way; progress shows in status(). */
  prepare(request: PrepareRequest): 'started' | 'in-progress' | 'done' {
    if (this.prepared) return 'done';
    if (this.preparing) return 'in-progress';
    this.failure = undefined;
    this.preparing = this.runPrepare(request)
      .catch((err: Error) => {
        this.failure = err.message;
        this.log.error({ err: err.message }, 'prepare failed');
      })
      .finally(() => {
        this.preparing = undefined;
      });
    return 'started';
  }

  private async runPrepare(request: PrepareRequest): Promise<void> {
    this.log.info({ databases: request.databases.length, users: request.users.length, restore: request.restore?.chain.length ?? 0 }, 'prepare started');
    if (request.restore && !this.module.backup) throw new Error(`the ${this.module.engine} datastore cannot restore backups`);
    if (request.rebuild && !volumeHoldsData(this.config.volume_dir)) throw new Error('the volume holds no data to rebuild the guest on');
    await this.module.initialise(this.config, request, request.restore ? this.backups.chainOf(request.restore) : undefined);
    if (request.configuration && Object.keys(request.configuration).length > 0) await this.configurationModule().apply(this.config, request.configuration, []);
    if (request.allowed_cidrs && request.allowed_cidrs.length > 0) await this.module.access?.apply(this.config, request.allowed_cidrs, false);
    const replica = request.replica;
    if (replica) await this.setRole(this.replicationModule(), { role: 'replica', source: replica.source });
    // A rebuilt guest keeps its place in a replication set: the role it had is written again.
    if (request.rebuild && this.module.replication) await this.module.replication.writeRole(this.config, this.role.read());
    const joiner = request.cluster !== undefined && !request.cluster.bootstrap;
    if (request.cluster) await this.cluster.join(request.cluster);
    this.supervisor.start();
    // A joining member answers once it has received the cluster's data from a donor.
    await this.waitUntilAnswering(joiner ? JOIN_TIMEOUT_MS : 120_000);
    // A replica's data is its source's, already secured: writing to it would fork it from its source.
    if (replica) await this.replicationModule().follow(this.config, replica.source, replica.seed, this.engineControl);
    // A joiner's data is its donor's, already secured, and what it writes every member writes.
    else if (!request.rebuild && !joiner) await this.module.secure(this.config, request);
    if (request.cluster?.bootstrap) await this.cluster.bootstrapped();
    writeFileAtomic(this.stateFile, JSON.stringify({ prepared: true } satisfies PersistedState), 0o600);
    this.prepared = true;
    this.healthy = true;
    this.log.info('prepare finished');
  }

  private async waitUntilAnswering(timeoutMs: number): Promise<void> {
    await pollUntil(
      async () => {
        if (await this.module.ping(this.config)) return true;
        if (this.supervisor.state === 'crashed') throw new Error('the engine exited while starting; see its error log');
        return undefined;
      },
      { timeoutMs, pauseMs: 20, maxPauseMs: 250 },
      () => new Error(`the engine did not answer within ${timeoutMs / 1000} s`),
    );
  }

  /** Throws unless the engine is prepared and answering: what admin operations and backups need. */
  requireRunning(): void {
    if (!this.prepared || !this.healthy) throw new AgentRequestError(409, 'The engine is not running; try again when the instance is ACTIVE.');
  }

  /**
   * Admin changes go to a source only: the agent's own account may write through read_only, so a
   * change reaching a fenced source after its last position was read would be lost to the new
   * source and fork the old one.
   */
  private requireWritable(): void {
    const { role } = this.role.read();
    if (role !== 'source') throw new AgentRequestError(422, role === 'replica' ? 'The instance is a replica: make this change on its source.' : 'The instance is read-only while its replication set changes source: make this change on the new source.');
  }

  /** The module's admin operations; refused while the engine is not prepared and answering. */
  admin(): GuestAdmin {
    if (!this.serialAdmin) throw new AgentRequestError(422, `The ${this.module.engine} datastore has no databases, users or root to manage.`);
    this.requireRunning();
    return this.serialAdmin;
  }

  private replicationModule(): GuestReplication {
    if (!this.module.replication) throw new AgentRequestError(422, `The ${this.module.engine} datastore has no replication.`);
    return this.module.replication;
  }

  private get engineControl(): EngineControl {
    return { restart: () => this.restart(), log: this.log };
  }

  /** Keeps the role and writes it into the engine's configuration, so that every later start of the engine (a crash restart too) has it. */
  private async setRole(module: GuestReplication, role: ReplicationRole): Promise<void> {
    this.role.write(role);
    await module.writeRole(this.config, role);
  }

  /** Runs replication changes one after another, on a running engine. */
  private replicationStep<T>(step: (module: GuestReplication) => Promise<T>): Promise<T> {
    const module = this.replicationModule();
    this.requireRunning();
    const next = this.replicationQueue.then(() => step(module));
    // The caller hears a failure through the promise returned; the queue only goes on past it.
    this.replicationQueue = next.catch(() => undefined);
    return next;
  }

  allowReplicas(request: AllowRequest): Promise<void> {
    return this.replicationStep((m) => m.allowReplicas(this.config, { user: request.user, password: request.password }, request.retainers));
  }

  releaseRetainer(retainer: string): Promise<void> {
    return this.replicationStep((m) => m.releaseRetainer(this.config, retainer));
  }

  /** From now on (and after every restart) the engine follows `source`, read-only. */
  follow(source: ReplicationSource): Promise<void> {
    return this.replicationStep(async (m) => {
      await this.setRole(m, { role: 'replica', source });
      await m.follow(this.config, source, undefined, this.engineControl);
    });
  }

  /** Read-only from now on (and after every restart), until promoted; returns the last write's position. */
  fence(): Promise<string> {
    return this.replicationStep(async (m) => {
      await this.setRole(m, { role: 'fenced' });
      // Changes already under way end before the last position is read; later ones are refused.
      await this.serialAdmin?.settled();
      return m.fence(this.config, this.engineControl);
    });
  }

  catchUp(position: string, timeoutMs: number): Promise<void> {
    return this.replicationStep((m) => m.catchUp(this.config, position, timeoutMs));
  }

  /** Writable from now on; the role is written last, so a crash before it leaves the engine read-only. */
  promote(): Promise<void> {
    return this.replicationStep(async (m) => {
      await m.promote(this.config, this.engineControl);
      await this.setRole(m, { role: 'source' });
    });
  }

  /** Accounts that do not replicate with the data (none for most engines). */
  exportAccounts(): Promise<string[]> {
    return this.replicationStep(async (m) => (m.exportAccounts ? m.exportAccounts(this.config) : []));
  }

  importAccounts(accounts: string[]): Promise<void> {
    return this.replicationStep(async (m) => {
      if (m.importAccounts) await m.importAccounts(this.config, accounts);
    });
  }

  async replicationStatus(): Promise<ReplicationStatus> {
    return this.replicationStep((m) => m.status(this.config, this.role.read()));
  }

  private configurationModule(): GuestConfiguration {
    if (!this.module.configuration) throw new AgentRequestError(422, `The ${this.module.engine} datastore has no configuration parameters to set.`);
    return this.module.configuration;
  }

  /** Writes a configuration group's values; sets the live ones in the running engine and reverts the ones it dropped; returns what waits for a restart. */
  async applyConfiguration(values: Record<string, ConfigValue>, live: string[], revert: string[] = []): Promise<string[]> {
    if (!this.prepared) throw new AgentRequestError(409, 'The engine is not prepared yet.');
    if (live.length > 0 || revert.length > 0) this.requireRunning();
    return this.configurationModule().apply(this.config, values, live, revert);
  }

  /** Who may log in, in the engine's own rules; false when the engine has none (the host's packet filter is the only wall). */
  async applyAccess(allowedCidrs: string[]): Promise<boolean> {
    if (!this.module.access) return false;
    if (!this.prepared) throw new AgentRequestError(409, 'The engine is not prepared yet.');
    await this.module.access.apply(this.config, allowedCidrs, this.healthy);
    return true;
  }

  async readConfiguration(names: string[]): Promise<Record<string, string>> {
    const module = this.configurationModule();
    this.requireRunning();
    return module.read(this.config, names);
  }

  async configure(flavor: FlavorSpecInput): Promise<void> {
    if (!this.prepared) throw new AgentRequestError(409, 'The engine is not prepared yet.');
    await this.module.configure(this.config, flavor);
  }

  async logs(): Promise<{ logs: Array<{ name: string; enabled: boolean; size: number }> }> {
    const logs = await this.module.logs.list(this.config);
    return { logs: logs.map((l) => ({ name: l.name, enabled: l.enabled, size: fileSize(l.file) })) };
  }

  async setLog(name: string, enabled: boolean): Promise<void> {
    this.requireRunning();
    await this.module.logs.setEnabled(this.config, name, enabled);
  }

  /** Up to 4 MB of a log from `offset`, base64-encoded; `size` says how long the log is now. */
  async readLog(name: string, offset: number): Promise<{ data: string; size: number }> {
    const log = (await this.module.logs.list(this.config)).find((l) => l.name === name);
    if (!log) throw new AgentRequestError(404, `This datastore has no log '${name}'.`);
    const size = fileSize(log.file);
    if (offset >= size) return { data: '', size };
    const handle = await open(log.file, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(size - offset, 4 * 1024 * 1024));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      return { data: buffer.subarray(0, bytesRead).toString('base64'), size };
    } finally {
      await handle.close();
    }
  }

  /** Stops the engine and keeps it stopped (until start or an agent restart). */
  async stopEngine(): Promise<void> {
    await this.supervisor.stop();
    this.healthy = false;
  }

  async startEngine(): Promise<void> {
    if (!this.prepared) throw new AgentRequestError(409, 'The engine is not prepared yet.');
    if (this.supervisor.state !== 'running') this.supervisor.start();
    await this.waitUntilAnswering(120_000);
    this.healthy = true;
  }

  async restart(): Promise<void> {
    await this.supervisor.stop();
    this.supervisor.start();
    await this.waitUntilAnswering(120_000);
    this.healthy = true;
  }

  /** Every member of the cluster is down: this one's engine stays stopped until the control plane chose where the cluster starts again. */
  async holdForClusterRestart(): Promise<ClusterPosition> {
    if (!this.prepared) throw new AgentRequestError(409, 'The engine is not prepared yet.');
    this.cluster.requireMember();
    await this.stopEngine();
    return this.cluster.position();
  }

  /** Starts the cluster again from this member's data, the most advanced of all; the others join it afterwards. */
  async bootstrapCluster(): Promise<void> {
    await this.holdForClusterRestart();
    await this.cluster.startNew();
    this.supervisor.start();
    await this.waitUntilAnswering(120_000);
    await this.cluster.bootstrapped();
    this.healthy = true;
  }

  /** Starts a held member again: it joins the members that run and receives what it lacks. */
  rejoinCluster(): void {
    if (!this.prepared) throw new AgentRequestError(409, 'The engine is not prepared yet.');
    if (this.supervisor.state !== 'running') this.supervisor.start();
  }

  async shutdown(): Promise<void> {
    if (this.healthTimer) clearTimeout(this.healthTimer);
    await this.backups.abort();
    // Sessions end before the engine does: it logs no connection cut off under it.
    await closeEngineConnections();
    await this.supervisor.stop();
  }

  /** What status() says of replication: nothing while the engine is not answering. */
  private async replicationForStatus(): Promise<ReplicationStatus | undefined> {
    // A cluster member replicates as its cluster does, not as a replication set's member.
    if (!this.module.replication || !this.prepared || !this.healthy || this.cluster.read()) return undefined;
    const role = this.role.read();
    try {
      return await this.module.replication.status(this.config, role);
    } catch (err) {
      return { role: role.role, streaming: false, position: '', progress: 0, error: (err as Error).message };
    }
  }

  async status(): Promise<AgentStatus> {
    let service: string;
    if (this.failure) service = 'FAILED';
    else if (!this.prepared) service = this.preparing ? 'BUILDING' : 'NEW';
    else if (this.supervisor.state === 'crashed') service = 'CRASHED';
    else if (this.supervisor.state === 'stopped') service = 'SHUTDOWN';
    else service = this.healthy ? 'HEALTHY' : 'SHUTDOWN';
    const replication = await this.replicationForStatus();
    const clusterType = this.prepared && this.healthy ? await this.cluster.currentType().catch(() => undefined) : undefined;
    return {
      service,
      ...(this.failure ? { message: this.failure } : {}),
      prepared: this.prepared,
      engine: { name: this.module.engine, ...(this.version ? { version: this.version } : {}), ...(this.supervisor.pid ? { pid: this.supervisor.pid } : {}), restarts: this.supervisor.restarts },
      volume: await volumeUsage(this.config.volume_dir, this.config.volume_mounted, this.config.volume_size_bytes),
      agent: { pid: process.pid, started_at: this.startedAt.toISOString() },
      ...(replication ? { replication } : {}),
      ...(clusterType ? { cluster_type: clusterType } : {}),
    };
  }
}

/** Whether a volume holds anything but what a fresh file system has. */
function volumeHoldsData(volumeDir: string): boolean {
  return existsSync(volumeDir) && readdirSync(volumeDir).some((entry) => entry !== 'lost+found');
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
