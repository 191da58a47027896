import { Type } from 'typebox';
import type { DatastoreCatalog } from '../../catalog/registry.js';
import { troveTime } from '../../common/time.js';
import { publicLocation } from '../../backup/backup-service.js';
import type { BackupStrategyTable, BackupTable } from '../../state/schema.js';

const GB = 1024 ** 3;

export const BackupSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  locationRef: Type.Union([Type.String(), Type.Null()], { description: 'where the data is, once the backup has completed' }),
  instance_id: Type.String(),
  created: Type.String(),
  updated: Type.String(),
  size: Type.Union([Type.Number({ description: 'GB stored (compressed and encrypted)' }), Type.Null()]),
  status: Type.String({ description: 'NEW, BUILDING, SAVING, COMPLETED, FAILED or DELETE_FAILED' }),
  parent_id: Type.Union([Type.String(), Type.Null()]),
  project_id: Type.String(),
  datastore: Type.Object({ type: Type.String(), version: Type.String(), version_id: Type.String() }),
  fail_reason: Type.Optional(Type.String()),
  progress: Type.Optional(Type.Object({ bytes_stored: Type.Integer({ description: 'compressed and encrypted bytes stored so far' }) }, { description: 'while the backup runs' })),
});

export const BackupStrategySchema = Type.Object({
  project_id: Type.String(),
  instance_id: Type.String(),
  backend: Type.String(),
  swift_container: Type.String(),
});

/** Trove's backup view. */
export function backupView(backup: BackupTable, catalog: DatastoreCatalog) {
  let versionId = '';
  try {
    versionId = catalog.get(backup.datastore).versions.find((v) => v.name === backup.datastore_version)?.id ?? '';
  } catch {
    // A datastore no longer offered on this host: the backup is still shown.
  }
  return {
    id: backup.id,
    name: backup.name,
    description: backup.description,
    locationRef: backup.status === 'COMPLETED' ? publicLocation(backup) : null,
    instance_id: backup.instance_id,
    created: troveTime(new Date(backup.created_at)),
    updated: troveTime(new Date(backup.updated_at)),
    size: backup.size_bytes === null ? null : Math.round((backup.size_bytes / GB) * 1000) / 1000,
    status: backup.status,
    parent_id: backup.parent_id,
    project_id: backup.project_id,
    datastore: { type: backup.datastore, version: backup.datastore_version, version_id: versionId },
    ...(backup.fail_reason ? { fail_reason: backup.fail_reason } : {}),
    ...(backup.status === 'BUILDING' && backup.progress_bytes !== null ? { progress: { bytes_stored: backup.progress_bytes } } : {}),
  };
}

export function backupStrategyView(row: BackupStrategyTable) {
  return { project_id: row.project_id, instance_id: row.instance_id, backend: row.backend, swift_container: row.container };
}
