import { Type, type Static } from 'typebox';
import { RestoreSource } from './backup-protocol.js';
import { FollowRequest, ReplicationStatus } from './replication-protocol.js';
import { ClusterMembership } from './cluster-protocol.js';

/**
 * The agent's RPC contract (JSON over HTTP on the instance's unix socket). The control plane
 * and the agent both import these schemas; the agent validates every request against them.
 */
export const NAME = '^[A-Za-z0-9_][A-Za-z0-9_$-]{0,63}$';

export const DatabaseSpec = Type.Object(
  {
    name: Type.String({ pattern: NAME }),
    character_set: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_]{1,32}$' })),
    collate: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_]{1,64}$' })),
  },
  { additionalProperties: false },
);

export const UserSpec = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.@$-]{0,79}$' }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
    host: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.%:-]{1,255}$' })),
    databases: Type.Array(Type.String({ pattern: NAME }), { maxItems: 1000 }),
  },
  { additionalProperties: false },
);

/** A configuration parameter's name, as the datastore's catalog spells it. */
export const PARAMETER_NAME = '^[a-z][a-z0-9_-]{0,63}$';
const ConfigValue = Type.Union([Type.Number(), Type.String({ maxLength: 256 }), Type.Boolean()]);

export const ConfigurationApply = Type.Object(
  {
    values: Type.Record(Type.String({ pattern: PARAMETER_NAME }), ConfigValue),
    /** The parameters to set in the running engine now (the others wait for its next start). */
    live: Type.Array(Type.String({ pattern: PARAMETER_NAME }), { maxItems: 500 }),
    /** Parameters the group no longer sets, to put back now to what the engine starts with. */
    revert: Type.Optional(Type.Array(Type.String({ pattern: PARAMETER_NAME }), { maxItems: 500 })),
  },
  { additionalProperties: false },
);
export type ConfigurationApply = Static<typeof ConfigurationApply>;

/** The flavor, with the engine settings it comes to (resolved by the control plane from the catalog's tuning formulas), written as they are. */
export const FlavorSpec = Type.Object({ ram_mb: Type.Integer({ minimum: 64 }), vcpus: Type.Integer({ minimum: 1 }), tuning: Type.Record(Type.String({ pattern: PARAMETER_NAME }), Type.Integer({ minimum: 0 })) }, { additionalProperties: false });

/** IPv4 networks that may log in to the engine; empty: any (the engine's own wall where it has one). */
const AllowedCidrs = Type.Array(Type.String({ pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}/([0-9]|[1-2][0-9]|3[0-2])$' }), { maxItems: 64 });

export const AccessApply = Type.Object({ allowed_cidrs: AllowedCidrs }, { additionalProperties: false });
export type AccessApply = Static<typeof AccessApply>;

export const PrepareRequest = Type.Object(
  {
    flavor: FlavorSpec,
    databases: Type.Array(DatabaseSpec, { maxItems: 1000 }),
    users: Type.Array(UserSpec, { maxItems: 1000 }),
    /** Build the data from these backups instead of an empty data directory. */
    restore: Type.Optional(RestoreSource),
    /** The configuration group's values, in force from the first start. */
    configuration: Type.Optional(Type.Record(Type.String({ pattern: PARAMETER_NAME }), ConfigValue)),
    /** A replica: the restored copy follows this source (and is left as its source secured it). */
    replica: Type.Optional(FollowRequest),
    /** Who may log in, in the engine's own rules, from the first start. */
    allowed_cidrs: Type.Optional(AllowedCidrs),
    /**
     * A rebuilt guest on a volume that holds a prepared engine: its files are written again and
     * it starts on the data it has (nothing is initialised, secured or created).
     */
    rebuild: Type.Optional(Type.Boolean()),
    /** A member of a cluster: the one that starts it secures it, the others receive its data when they join. */
    cluster: Type.Optional(ClusterMembership),
  },
  { additionalProperties: false },
);
export type PrepareRequest = Static<typeof PrepareRequest>;

export const AgentStatus = Type.Object({
  /** NEW (not prepared), BUILDING, HEALTHY, SHUTDOWN, CRASHED, FAILED. */
  service: Type.String(),
  message: Type.Optional(Type.String()),
  prepared: Type.Boolean(),
  engine: Type.Object({ name: Type.String(), version: Type.Optional(Type.String()), pid: Type.Optional(Type.Integer()), restarts: Type.Integer() }),
  volume: Type.Object({ used_bytes: Type.Integer(), total_bytes: Type.Integer() }),
  agent: Type.Object({ pid: Type.Integer(), started_at: Type.String() }),
  /** Where the datastore replicates, once the engine answers. */
  replication: Type.Optional(ReplicationStatus),
  /** A cluster member's type as its engine sees it now, for engines whose members differ (a promoted replica is a primary). */
  cluster_type: Type.Optional(Type.String()),
});
export type AgentStatus = Static<typeof AgentStatus>;

/** Written by the compute driver beside the instance; the agent's only source of where things are. */
export const AgentConfig = Type.Object({
  instance_id: Type.String(),
  engine: Type.String(),
  /** The datastore version's name; absent in configs written before it was recorded. */
  engine_version: Type.Optional(Type.String()),
  address: Type.String(),
  port: Type.Integer(),
  /** Where the engine keeps its data (the mounted volume or a plain folder). */
  volume_dir: Type.String(),
  /** True when volume_dir is a file system of its own (its use is read from statfs). */
  volume_mounted: Type.Boolean(),
  volume_size_bytes: Type.Integer(),
  /** Sockets, pid files, generated configuration. */
  run_dir: Type.String(),
  log_dir: Type.String(),
  /** A host-wide folder where datastore modules may cache what every instance starts from. */
  template_dir: Type.String(),
});
export type AgentConfig = Static<typeof AgentConfig>;

export const UserRef = Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.@$-]{0,79}$' }), host: Type.String({ pattern: '^[A-Za-z0-9_.%:-]{1,255}$' }) }, { additionalProperties: false });
export type UserRef = Static<typeof UserRef>;

export const DatabaseList = Type.Object({ databases: Type.Array(DatabaseSpec, { maxItems: 1000 }) }, { additionalProperties: false });
export type DatabaseList = Static<typeof DatabaseList>;

export const UserList = Type.Object({ users: Type.Array(UserSpec, { maxItems: 1000 }) }, { additionalProperties: false });

export const UserInfo = Type.Object({ name: Type.String(), host: Type.String(), databases: Type.Array(Type.String()) });
export type UserInfo = Static<typeof UserInfo>;

export const UserUpdate = Type.Object(
  {
    user: UserRef,
    name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_][A-Za-z0-9_.@$-]{0,79}$' })),
    host: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.%:-]{1,255}$' })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type UserUpdate = Static<typeof UserUpdate>;

export const AccessChange = Type.Object({ user: UserRef, databases: Type.Array(Type.String({ pattern: NAME }), { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
export type AccessChange = Static<typeof AccessChange>;
