import type { ObjectStore } from './object-store.js';
import { openObjectStore } from './open-store.js';
import type { ObjectStoreSpec } from './store-spec.js';
import type { BackupKeyring } from './backup-keyring.js';

/** Where backups are written and read, with the keys: what the backup tasks and restores need. */
export class BackupObjects {
  private constructor(
    /** Handed to agents; may hold credentials. */
    readonly spec: ObjectStoreSpec,
    readonly store: ObjectStore,
    readonly keyring: BackupKeyring,
    readonly defaultContainer: string,
  ) {}

  static async open(spec: ObjectStoreSpec, keyring: BackupKeyring, defaultContainer: string): Promise<BackupObjects> {
    return new BackupObjects(spec, await openObjectStore(spec), keyring, defaultContainer);
  }

  /** Every object of a backup lives under this prefix. */
  static prefix(backupId: string): string {
    return `${backupId}/`;
  }

  /** Where an instance's engine pushes its finished log files (write-ahead logs), which its incrementals list. */
  static archivePrefix(instanceId: string): string {
    return `archive/${instanceId}/`;
  }

  static manifestKey(backupId: string): string {
    return `${backupId}/manifest.json`;
  }
}
