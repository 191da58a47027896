import { Type, type Static } from 'typebox';
import { Positions } from './backup-protocol.js';

/* The replication part of the agent's RPC contract (see protocol.ts). */

const ACCOUNT = '^[a-z][a-z0-9_-]{0,31}$';
/**
 * A replica's retainer: the name under which its source keeps what the replica has not received
 * yet (PostgreSQL's replication slot; engines that keep nothing per replica ignore it). From the
 * replica's instance id.
 */
export const RETAINER = '^[a-z0-9_]{1,63}$';

/** Where a replica connects, as whom, and under which retainer. */
export const ReplicationSource = Type.Object(
  {
    host: Type.String({ pattern: '^[0-9a-fA-F.:]{2,45}$' }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    user: Type.String({ pattern: ACCOUNT }),
    password: Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }),
    retainer: Type.String({ pattern: RETAINER }),
  },
  { additionalProperties: false },
);
export type ReplicationSource = Static<typeof ReplicationSource>;

/**
 * What the engine is, kept by the agent across restarts: a source (writable), a replica of a
 * source (read-only), or fenced (read-only, following nobody: a source that must never write again).
 */
export type ReplicationRole = { role: 'source' } | { role: 'fenced' } | { role: 'replica'; source: ReplicationSource };

export const FollowRequest = Type.Object(
  {
    source: ReplicationSource,
    /** After a restore: the positions of the backup the data came from, where following starts. */
    seed: Type.Optional(Positions),
  },
  { additionalProperties: false },
);
export type FollowRequest = Static<typeof FollowRequest>;

export const AllowRequest = Type.Object({ user: Type.String({ pattern: ACCOUNT }), password: ReplicationSource.properties.password, retainers: Type.Array(Type.String({ pattern: RETAINER }), { maxItems: 64 }) }, { additionalProperties: false });
export type AllowRequest = Static<typeof AllowRequest>;

export const CatchUpRequest = Type.Object({ position: Type.String({ minLength: 1, maxLength: 4096 }), timeout_ms: Type.Integer({ minimum: 0, maximum: 600_000 }) }, { additionalProperties: false });

export const ReplicationStatus = Type.Object({
  role: Type.String(),
  /** A replica: receiving from its source now. */
  streaming: Type.Boolean(),
  /** The engine's own notation of how far it is (a GTID set, an LSN, an offset). */
  position: Type.String(),
  /** The same as one number that grows with every write, comparable between members of one set. */
  progress: Type.Number(),
  lag_seconds: Type.Optional(Type.Number()),
  /** The source a replica follows (its address). */
  source_host: Type.Optional(Type.String()),
  /** Why a replica is not following, as the engine says it. */
  error: Type.Optional(Type.String()),
});
export type ReplicationStatus = Static<typeof ReplicationStatus>;

/**
 * The file beside the agent's config where the role is kept. The compute driver writes
 * `{"role":"fenced"}` there itself when it fences an instance whose agent cannot be reached.
 */
export const ROLE_FILE = 'replication.json';

/** The account replicas log in to their source as; every datastore keeps it out of tenants' reach. */
export const REPLICATION_USER = 'trove_replication';
