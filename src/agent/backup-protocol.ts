import { Type, type Static } from 'typebox';
import { ObjectStoreSpec } from '../object-storage/store-spec.js';

/* The backup and restore part of the agent's RPC contract (see protocol.ts). */

/** An object in the store: a backup's data. */
const ObjectRef = Type.Object(
  {
    container: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{2,62}$' }),
    key: Type.String({ pattern: '^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,255}$' }),
  },
  { additionalProperties: false },
);

export const EncryptionKey = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$' }), key: Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' }) }, { additionalProperties: false });
export type EncryptionKey = Static<typeof EncryptionKey>;

/** Engine-specific positions a backup records (LSN, WAL segment…): what an incremental starts from. */
export const Positions = Type.Record(Type.String({ pattern: '^[a-z_]{1,32}$' }), Type.String({ maxLength: 256 }));
export type Positions = Static<typeof Positions>;

const BACKUP_ID = '^[0-9a-f-]{36}$';

/** Where an engine's finished log files (WAL) are pushed as they are written, for the incrementals that follow. */
export const ArchiveLocation = Type.Object({ container: ObjectRef.properties.container, prefix: Type.String({ pattern: '^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,200}/$' }) }, { additionalProperties: false });

/** One object, besides its own, that a backup is made of: an archived log file. */
export const ArchivePart = Type.Object({ container: ObjectRef.properties.container, key: ObjectRef.properties.key, size: Type.Integer({ minimum: 0 }), sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }) }, { additionalProperties: false });
export type ArchivePart = Static<typeof ArchivePart>;

export const BackupRequest = Type.Object(
  {
    backup_id: Type.String({ pattern: BACKUP_ID }),
    kind: Type.Union([Type.Literal('full'), Type.Literal('incremental')]),
    /** The parent's positions, for an incremental. */
    parent: Type.Optional(Type.Object({ positions: Positions }, { additionalProperties: false })),
    store: ObjectStoreSpec,
    object: ObjectRef,
    encryption: EncryptionKey,
    /** Where the engine's log files go from now on, for datastores that archive them. */
    archive: Type.Optional(ArchiveLocation),
  },
  { additionalProperties: false },
);
export type BackupRequest = Static<typeof BackupRequest>;

export const BackupResult = Type.Object({
  /** Bytes stored (compressed and encrypted) and their SHA-256. */
  size: Type.Integer(),
  sha256: Type.String(),
  tool: Type.String(),
  positions: Positions,
  /** Archived log files the backup spans (an incremental's WAL): stored before it, verified and kept with it. */
  parts: Type.Optional(Type.Array(ArchivePart)),
  /**
   * Archived files named before this one (names sort in the order they were written) are not
   * needed by backups built on this one: those no backup lists may go.
   */
  archive_floor: Type.Optional(Type.String({ maxLength: 256 })),
  /** The volume's use when the backup was taken: what a restore needs room for. */
  volume_used_bytes: Type.Integer(),
  started_at: Type.String(),
  finished_at: Type.String(),
});
export type BackupResult = Static<typeof BackupResult>;

export const BackupState = Type.Object({
  backup_id: Type.String(),
  /** running, completed, failed; unknown when this agent never ran it. */
  state: Type.String(),
  /** While running: bytes stored so far (compressed and encrypted). */
  stored_bytes: Type.Optional(Type.Integer()),
  result: Type.Optional(BackupResult),
  error: Type.Optional(Type.String()),
});
export type BackupState = Static<typeof BackupState>;

/** One backup of a restore chain, full first, with what its manifest says of its object. */
export const RestoreStep = Type.Object(
  {
    backup_id: Type.String({ pattern: BACKUP_ID }),
    kind: Type.Union([Type.Literal('full'), Type.Literal('incremental')]),
    object: ObjectRef,
    size: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    positions: Positions,
  },
  { additionalProperties: false },
);
export type RestoreStep = Static<typeof RestoreStep>;

export const RestoreSource = Type.Object({ store: ObjectStoreSpec, encryption: EncryptionKey, chain: Type.Array(RestoreStep, { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false });
export type RestoreSource = Static<typeof RestoreSource>;
