import type { RestoreStep } from '../agent/backup-protocol.js';
import { BadRequest, NotFound, UnprocessableEntity } from '../common/errors.js';
import type { AuthContext } from '../identity/types.js';
import type { BackupTable } from '../state/schema.js';
import type { BackupRecords } from '../state/backup-records.js';
import type { BackupKeyring } from '../object-storage/backup-keyring.js';
import { parseOwn } from '../common/json.js';

/** What a create task needs to restore: the chain's objects and checksums, and which key (by id). */
export interface RestorePlan {
  key_id: string;
  chain: RestoreStep[];
}

/** Checks that a backup can be restored here, and lists what a restore reads, full first. */
export class RestorePlanner {
  constructor(
    private readonly backups: BackupRecords,
    private readonly keyring: BackupKeyring,
  ) {}

  async plan(caller: AuthContext, projectId: string, backupRef: string): Promise<{ backup: BackupTable; plan: RestorePlan }> {
    const backup = await this.backups.find(backupRef);
    if (!backup || (backup.project_id !== projectId && !caller.isAdmin)) throw new NotFound(`Backup '${backupRef}' cannot be found.`);
    if (backup.status !== 'COMPLETED') throw new BadRequest(`Backup '${backup.id}' is ${backup.status}; only a COMPLETED backup can be restored.`);
    let chain: BackupTable[];
    try {
      chain = await this.backups.chain(backup);
    } catch (err) {
      throw new BadRequest(`Backup '${backup.id}' cannot be restored: ${(err as Error).message}.`);
    }
    const broken = chain.find((b) => b.status !== 'COMPLETED');
    if (broken) throw new BadRequest(`Backup '${backup.id}' builds on backup '${broken.id}', which is ${broken.status}; it cannot be restored.`);
    const keyless = chain.find((b) => !this.keyring.find(b.key_id));
    if (keyless) throw new UnprocessableEntity(`Backup '${keyless.id}' was encrypted with key ${keyless.key_id}, which this server does not have (see backups.previous_key_files).`);
    if (new Set(chain.map((b) => b.key_id)).size > 1) throw new UnprocessableEntity(`The chain of backup '${backup.id}' was encrypted with several keys; restore a chain taken under one key.`);
    return {
      backup,
      plan: {
        key_id: backup.key_id,
        chain: chain.map((b) => ({
          backup_id: b.id,
          kind: b.kind === 'incremental' ? 'incremental' : 'full',
          object: { container: b.container, key: b.object_key },
          size: b.size_bytes ?? 0,
          sha256: b.sha256 ?? '',
          positions: b.positions ? parseOwn<Record<string, string>>(b.positions) : {},
        })),
      },
    };
  }
}
