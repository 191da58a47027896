import type { Logger } from '../common/log.js';
import type { DatabaseInput, UserInput } from './admin-types.js';
import type { OpenedBackup } from '../object-storage/backup-pipeline.js';
import type { ArchivePart, Positions } from './backup-protocol.js';
import type { PartArchive } from './part-archive.js';
import type { AgentConfig, PrepareRequest, UserInfo, UserRef, UserUpdate } from './protocol.js';
import type { ClusterMembership, ClusterMemberStatus, ClusterNode, ClusterPosition } from './cluster-protocol.js';
import type { ReplicationRole, ReplicationSource, ReplicationStatus } from './replication-protocol.js';

export interface FlavorSpecInput {
  ram_mb: number;
  vcpus: number;
  /** The engine's settings for this flavor, resolved by the control plane: written into its configuration as they are. */
  tuning: Record<string, number>;
}

/** How to start an engine process; the agent runs and supervises it. */
export interface EngineCommand {
  executable: string;
  args: string[];
  /** The unprivileged system user the engine runs as. */
  user: string;
  /** A file where the engine writes its pid, to find it again after an agent restart. */
  pidFile: string;
  /** The signal for a clean but prompt shutdown (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
}

/**
 * What each datastore module implements for the agent. Everything engine-specific lives in
 * agent/datastores/<engine>/ behind this interface.
 */
export interface DatastoreModule {
  readonly engine: string;
  /**
   * Initialise the data on the volume and write tuned configuration; idempotent. With a restore
   * source, the data comes from its backups (through backup.restore) instead of a fresh one.
   */
  initialise(config: AgentConfig, request: PrepareRequest, restore?: RestoreChain): Promise<void>;
  /** Rewrite the configuration with a new flavor's tuning; takes effect at the next engine start. */
  configure(config: AgentConfig, flavor: FlavorSpecInput): Promise<void>;
  command(config: AgentConfig): EngineCommand;
  /** True when the engine answers queries. */
  ping(config: AgentConfig): Promise<boolean>;
  /** After the first start: hardening, then the databases and users of the create request. */
  secure(config: AgentConfig, request: PrepareRequest): Promise<void>;
  version(config: AgentConfig): Promise<string | undefined>;
  /** Databases, users and root, for datastores whose catalog entry says they have them. */
  admin?: GuestAdmin;
  logs: GuestLogs;
  /** Backup and restore, for datastores whose catalog entry says they have them. */
  backup?: BackupStrategy;
  /** Configuration groups' values, for datastores whose catalog entry says they have them. */
  configuration?: GuestConfiguration;
  /** Replicas, promotion and fencing, for datastores whose catalog entry says they have them. */
  replication?: GuestReplication;
  /** The engine's own rule of who may log in from where, for engines that have one. */
  access?: GuestAccess;
  /** Membership of a cluster, for datastores whose catalog entry says they have clusters. */
  cluster?: GuestCluster;
}

/**
 * One engine's clustering. The agent keeps the membership across restarts; the strategy writes
 * what the engine starts with, so a member always starts as one.
 */
export interface GuestCluster {
  /** Writes the engine's cluster settings for `membership`; in force at the engine's next start. */
  writeMembership(config: AgentConfig, membership: ClusterMembership): Promise<void>;
  /** On the member that started the cluster, once it answers: what members need among themselves (an account for state transfers). */
  secureBootstrap(config: AgentConfig, membership: ClusterMembership): Promise<void>;
  status(config: AgentConfig): Promise<ClusterMemberStatus>;
  /** With the engine stopped: how far this member's data goes (what the engine recovers from it after a crash). */
  position(config: AgentConfig): Promise<ClusterPosition>;
  /** With the engine stopped: lets it start a new cluster from its data (it was chosen as the most advanced). */
  allowBootstrap(config: AgentConfig): Promise<void>;
  /**
   * For engines whose members start empty on their own (the others join as they start, and
   * leave as they stop): on one member, joins them all into one cluster; on a running member,
   * brings new ones in and moves data onto them; on a member that stays, moves the data off the
   * ones leaving and takes them out. Each finishes what a run cut short left undone.
   */
  /** The member's type as the engine sees it now, for engines whose members are of more than one type; undefined while it cannot tell. */
  currentType?(config: AgentConfig): Promise<string | undefined>;
  assembly?: {
    form(config: AgentConfig, membership: ClusterMembership, members: ClusterNode[]): Promise<void>;
    add(config: AgentConfig, membership: ClusterMembership, members: ClusterNode[]): Promise<void>;
    remove(config: AgentConfig, membership: ClusterMembership, addresses: string[]): Promise<void>;
  };
}

/** An engine's own wall behind the host's packet filter: only these networks may log in. */
export interface GuestAccess {
  /** Keeps `allowedCidrs` (empty: any) for every later rewrite of the engine's files; `live` puts it in force now. */
  apply(config: AgentConfig, allowedCidrs: string[], live: boolean): Promise<void>;
}

/** What a replication step may ask of the engine process the agent supervises. */
export interface EngineControl {
  restart(): Promise<void>;
  /** Where a strategy says what it let go of (a cleanup that failed and was not the operation's concern). */
  log: Pick<Logger, 'warn'>;
}

/**
 * One engine's replication. The agent keeps the role across restarts and calls writeRole before
 * every engine start, so a fenced or replica engine never starts writable.
 */
export interface GuestReplication {
  /** Writes the configuration the engine starts with in this role (read-only unless a source). */
  writeRole(config: AgentConfig, role: ReplicationRole): Promise<void>;
  /** On a source: the account replicas log in as and, where the engine keeps them, each replica's retainer (PostgreSQL: a slot). */
  allowReplicas(config: AgentConfig, account: { user: string; password: string }, retainers: string[]): Promise<void>;
  /** On a source: lets go of a replica's retainer, so it no longer holds the source's log. */
  releaseRetainer(config: AgentConfig, retainer: string): Promise<void>;
  /**
   * The running engine follows `source` from now on; `seed` is where a restored copy starts.
   * The agent has written the replica role (writeRole) before it asks.
   */
  follow(config: AgentConfig, source: ReplicationSource, seed: Positions | undefined, engine: EngineControl): Promise<void>;
  /** Refuses writes from now on; returns the position a replica must reach to hold every committed write. */
  fence(config: AgentConfig, engine: EngineControl): Promise<string>;
  /** A replica: returns once it has applied `position`; throws after `timeoutMs`. */
  catchUp(config: AgentConfig, position: string, timeoutMs: number): Promise<void>;
  /** A replica or a fenced source: stops following and accepts writes. */
  promote(config: AgentConfig, engine: EngineControl): Promise<void>;
  status(config: AgentConfig, role: ReplicationRole): Promise<ReplicationStatus>;
  /**
   * Accounts that do not travel with the replicated data (Redis's ACL is the server's own):
   * read from a source and written to its replicas. Absent where accounts replicate.
   */
  exportAccounts?(config: AgentConfig): Promise<string[]>;
  importAccounts?(config: AgentConfig, accounts: string[]): Promise<void>;
}

/** A parameter's value as the control plane checked it: sizes in the engine's unit, booleans as booleans. */
export type ConfigValue = number | string | boolean;

export interface GuestConfiguration {
  /**
   * Replaces the overrides file (read after the tuned configuration, so its values win at every
   * start), sets the `live` parameters in the running engine now, and sets the `revert` ones (no
   * longer in the group) back to what the engine starts with. Returns the reverted parameters it
   * could not set back now: they wait for a restart.
   */
  apply(config: AgentConfig, values: Record<string, ConfigValue>, live: string[], revert?: string[]): Promise<string[]>;
  /** The running engine's current values of the named parameters. */
  read(config: AgentConfig, names: string[]): Promise<Record<string, string>>;
}

/**
 * The engine's tool for one backup. The agent runs it with its standard output going straight
 * into the compressor's input: the raw stream never passes through the agent.
 */
export interface BackupCommand {
  executable: string;
  args: string[];
  options?: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv; cwd?: string };
  /** After the tool exited 0, given the end of its stderr: the positions to record. */
  positions(stderr: string): Promise<Positions>;
}

/**
 * A backup made of parts already in the store (archived log files): its own object is the
 * index of those parts, which the pipeline stores like any backup stream.
 */
export interface PartsBackup {
  index: Buffer;
  parts: ArchivePart[];
  positions: Positions;
}

/** The backups a restore reads, full first; each opened in turn, and the parts a backup lists. */
export type RestoreChain = Array<{ kind: 'full' | 'incremental'; positions: Positions; open(): Promise<OpenedBackup>; openPart(part: ArchivePart): Promise<OpenedBackup> }>;

/**
 * An engine that hands over each finished log file (PostgreSQL's archive_command): the agent
 * pushes it through the pipeline at once, on a socket only the engine's user can reach.
 */
export interface LogArchiving {
  /** The system user the engine runs as. */
  readonly engineUser: string;
  /** The file a name handed over stands for; undefined when no backup needs it (it is let go unstored). Throws for a name that is no log file. */
  fileOf(config: AgentConfig, name: string): string | undefined;
  /** For a full backup: files named before this one are not needed by backups built on it. */
  floorOf(positions: Positions): string | undefined;
}

export interface BackupStrategy {
  /** The engine tool's name, recorded in the manifest. */
  readonly tool: string;
  /** True when it takes incremental backups on top of a full one (and restores their chains). */
  readonly incremental: boolean;
  /**
   * Gets the engine ready and names the tool to run; an incremental starts from its parent's
   * positions. `stopped` fires when the backup is aborted: a wait of the engine's must end then.
   */
  stream(config: AgentConfig, kind: 'full' | 'incremental', parent: Positions | undefined, stopped: AbortSignal, archive: PartArchive): Promise<BackupCommand | PartsBackup>;
  /** Present when the engine's log files are archived as they are written. */
  readonly archive?: LogArchiving;
  /** Builds the data directory from the chain's streams (before the engine's first start). */
  restore(config: AgentConfig, chain: RestoreChain): Promise<void>;
}

export interface GuestLogs {
  /** Where each log is written, and whether it is on (SYS logs always are). */
  list(config: AgentConfig): Promise<Array<{ name: string; file: string; enabled: boolean }>>;
  /** Switches a USER log on or off, now and across engine restarts. */
  setEnabled(config: AgentConfig, name: string, enabled: boolean): Promise<void>;
}

export interface GuestAdmin {
  /** False for an engine without databases (its database calls refuse); users and root it always has. */
  readonly databases: boolean;
  listDatabases(config: AgentConfig): Promise<DatabaseInput[]>;
  createDatabases(config: AgentConfig, databases: DatabaseInput[]): Promise<void>;
  deleteDatabase(config: AgentConfig, name: string): Promise<void>;
  listUsers(config: AgentConfig): Promise<UserInfo[]>;
  createUsers(config: AgentConfig, users: UserInput[]): Promise<void>;
  updateUser(config: AgentConfig, update: UserUpdate): Promise<void>;
  deleteUser(config: AgentConfig, user: UserRef): Promise<void>;
  grant(config: AgentConfig, user: UserRef, databases: string[]): Promise<void>;
  revoke(config: AgentConfig, user: UserRef, database: string): Promise<void>;
  /** Enables the superuser with the given password, or a new random one; the password is returned once. */
  enableRoot(config: AgentConfig, password?: string): Promise<{ name: string; password: string }>;
  disableRoot(config: AgentConfig): Promise<void>;
}
