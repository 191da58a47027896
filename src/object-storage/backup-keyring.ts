import { loadOrCreateKey } from '../common/key-file.js';
import { keyId, type BackupKey } from './encryption.js';

/**
 * The key new backups are encrypted with, and the earlier ones restores may still need, found
 * by the id each backup records. Keys stay in their files and in memory: never in the store,
 * a manifest, a response or a log.
 */
export class BackupKeyring {
  readonly current: BackupKey;
  private readonly byIdMap = new Map<string, BackupKey>();

  constructor(currentFile: string, previousFiles: string[]) {
    const current = loadOrCreateKey(currentFile);
    this.current = { id: keyId(current), key: current };
    for (const file of previousFiles) {
      const key = loadOrCreateKey(file);
      this.byIdMap.set(keyId(key), { id: keyId(key), key });
    }
    this.byIdMap.set(this.current.id, this.current);
  }

  find(id: string): BackupKey | undefined {
    return this.byIdMap.get(id);
  }
}

/** A key as the agent's RPC carries it. */
export function keyForAgent(key: BackupKey): { id: string; key: string } {
  return { id: key.id, key: key.key.toString('base64') };
}
