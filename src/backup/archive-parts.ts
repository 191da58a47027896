import type { ArchivePart } from '../agent/backup-protocol.js';
import type { Logger } from '../common/log.js';
import type { Store } from '../state/database.js';
import type { BackupTable } from '../state/schema.js';
import { BackupObjects } from '../object-storage/backup-objects.js';
import { parseOwn } from '../common/json.js';

/** The archived log files a backup row lists. */
export function partsOf(backup: Pick<BackupTable, 'parts'>): ArchivePart[] {
  return backup.parts ? parseOwn<ArchivePart[]>(backup.parts) : [];
}

/**
 * Removes an instance's archived log files that no backup needs: those no remaining backup
 * lists, named before the floor of its newest full backup (what later incrementals build on),
 * or all unlisted ones once the instance is gone. Names sort in the order they were written.
 * Returns how many objects were removed.
 */
export async function collectArchive(db: Store, storage: BackupObjects, instanceId: string): Promise<number> {
  const container = storage.defaultContainer;
  const prefix = BackupObjects.archivePrefix(instanceId);
  const stored = await storage.store.list(container, prefix);
  if (stored.length === 0) return 0;
  const backups = await db.selectFrom('backups').selectAll().where('instance_id', '=', instanceId).where('deleted', '=', 0).orderBy('created_at', 'desc').execute();
  const listed = new Set(
    backups.flatMap((b) =>
      partsOf(b)
        .filter((p) => p.container === container)
        .map((p) => p.key),
    ),
  );
  const instance = await db.selectFrom('instances').select('deleted').where('id', '=', instanceId).executeTakeFirst();
  const gone = !instance || instance.deleted === 1;
  const floor = backups.find((b) => b.status === 'COMPLETED' && b.archive_floor)?.archive_floor;
  if (!gone && !floor) return 0;
  let removed = 0;
  for (const key of stored) {
    if (listed.has(key)) continue;
    if (!gone && key.slice(prefix.length) >= floor!) continue;
    await storage.store.delete(container, key);
    removed += 1;
  }
  return removed;
}

/** After a task's real work: unneeded log files cost only room, so failing to remove them now fails nothing. */
export async function collectArchiveQuietly(db: Store, storage: BackupObjects, instanceId: string, log: Logger): Promise<void> {
  try {
    await collectArchive(db, storage, instanceId);
  } catch (err) {
    log.warn({ instance: instanceId, err: (err as Error).message }, 'archived log files could not be removed');
  }
}
