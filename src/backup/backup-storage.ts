import type { ObjectStore } from '../storage/object-store.js';
import { openObjectStore, type ObjectStoreSpec } from '../storage/store-spec.js';
import type { BackupKeyring } from './keyring.js';

/** Where backups are written and read, with the keys: what the backup tasks and restores need. */
export class BackupStorage {
  readonly store: ObjectStore;

  constructor(
    /** Handed to agents; may hold credentials. */
    readonly spec: ObjectStoreSpec,
    readonly keyring: BackupKeyring,
    readonly defaultContainer: string,
  ) {
    this.store = openObjectStore(spec);
  }

  /** Every object of a backup lives under this prefix. */
  static prefix(backupId: string): string {
    return `${backupId}/`;
  }

  static manifestKey(backupId: string): string {
    return `${backupId}/manifest.json`;
  }
}
