import type { ArchivePart } from '../agent/backup-protocol.js';
import { partsOf } from './archive-parts.js';
import { CHUNK_BYTES } from '../object-storage/encryption.js';
import type { BackupTable } from '../state/schema.js';
import { parseOwn } from '../common/json.js';

/**
 * What a backup is, written beside its data once the data is verified: enough to restore it
 * (engine, tool, chain, positions, checksums, which key) without the state store. No secrets.
 */
export interface BackupManifest {
  format: 'trove-backup/1';
  backup_id: string;
  instance_id: string;
  datastore: { type: string; version: string };
  kind: string;
  parent_id: string | null;
  tool: string;
  object: { container: string; key: string; size: number; sha256: string };
  positions: Record<string, string>;
  /** Archived log files the backup spans, each its own object, with its checksum. */
  parts: ArchivePart[];
  volume_used_bytes: number;
  compression: 'zstd';
  encryption: { algorithm: 'AES-256-GCM'; chunk_bytes: number; key_id: string };
  created: string;
  completed: string;
}

export function manifestOf(backup: BackupTable, completedAt: string): BackupManifest {
  return {
    format: 'trove-backup/1',
    backup_id: backup.id,
    instance_id: backup.instance_id,
    datastore: { type: backup.datastore, version: backup.datastore_version },
    kind: backup.kind,
    parent_id: backup.parent_id,
    tool: backup.tool ?? '',
    object: { container: backup.container, key: backup.object_key, size: backup.size_bytes ?? 0, sha256: backup.sha256 ?? '' },
    positions: backup.positions ? parseOwn<Record<string, string>>(backup.positions) : {},
    parts: partsOf(backup),
    volume_used_bytes: backup.volume_used_bytes ?? 0,
    compression: 'zstd',
    encryption: { algorithm: 'AES-256-GCM', chunk_bytes: CHUNK_BYTES, key_id: backup.key_id },
    created: backup.created_at,
    completed: completedAt,
  };
}
