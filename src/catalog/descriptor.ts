import type { ParameterRule } from './parameter-rules.js';

/**
 * What the control plane knows about a datastore: data only. Everything that runs an engine
 * lives in the guest agent; the API and task manager decide by these fields, never by name.
 */
export interface DatastoreCapabilities {
  databases: boolean;
  users: boolean;
  root: boolean;
  configuration: boolean;
  backup: { full: boolean; incremental: boolean };
  replication: boolean;
  clusters: boolean;
}

/** Names of one kind (users, databases) the datastore takes: the API checks them before the agent is asked. */
export interface NameRule {
  /** The whole name, as a regular expression. */
  pattern: string;
  /** What a refusal tells the caller to use: "up to 64 letters, digits, '_', '$' or '-'". */
  allowed: string;
}

export interface NameRules {
  user: NameRule;
  /** Absent for a datastore without databases. */
  database?: NameRule;
}

export interface VersionProbe {
  /** Executables to ask for their version; one `*` path segment may stand for any name. */
  executables: string[];
  args: string[];
  /** Applied to the executable's output; group 1 is the version name offered, group 2 the full version. */
  pattern: string;
}

/** How a datastore's clusters are made, for datastores that have them. */
export interface ClusterShape {
  /**
   * Fewer members of the first type are refused (Galera: three members, so that one can be lost
   * with quorum kept; Redis: three primaries, so that a majority of them can fail one over).
   */
  minMembers: number;
  /**
   * The `type`s a member may be asked for, shown in the cluster's view; the first is the default.
   * The agent reports a member's type as the engine sees it now (a replica promoted in a failover).
   */
  memberTypes: [string, ...string[]];
  /**
   * New members receive their data from a running member as their engine starts (Galera's state
   * transfer), so one member is built first; otherwise every member starts empty on its own and
   * a running member's agent brings it in (forms the cluster, adds it, moves data onto it).
   */
  joinsRunningMember: boolean;
  /**
   * Once every member has stopped, the control plane starts the cluster again from the member with
   * the most advanced data; otherwise each member's own restart brings the cluster back.
   */
  restartFromMostAdvanced: boolean;
}

export interface DatastoreDescriptor {
  /** The name in the API (`trove create … --datastore <name>`). */
  name: string;
  /** The guest agent's module for this datastore. */
  engine: string;
  description: string;
  defaultPort: number;
  /** The unprivileged system user the engine runs as (from its Debian package): its own connections are replication between instances. */
  engineUser: string;
  /** Debian packages that provide the engine and its tools. */
  packages: string[];
  probe: VersionProbe;
  capabilities: DatastoreCapabilities;
  /** Present exactly when capabilities.clusters is true. */
  cluster?: ClusterShape;
  /** Guest logs the datastore offers: USER logs can be switched on and off, SYS logs are always on. */
  logs: Array<{ name: string; type: 'USER' | 'SYS' }>;
  minRamMb: number;
  /** The datastore's own rules for user and database names (the agent protocol accepts what any datastore's rules allow). */
  names: NameRules;
  /** What configuration groups may set, and how each value is checked and applied. */
  parameters: ParameterRule[];
  /**
   * How the engine is tuned for its flavor, the one place these formulas are written: each
   * setting's value as a formula of the flavor (RAM, RAM_MB, VCPUS), in its parameter rule's unit
   * where it has a rule (the rules' memory defaults name these same formulas). The control plane
   * resolves them for the instance's flavor and sends the numbers to the agent (prepare, resize,
   * rebuild), which writes them into the engine's configuration as they are.
   */
  tuning: Record<string, string>;
}
