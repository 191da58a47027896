import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { writeFileAtomic } from '../common/atomic-file.js';
import type { Logger } from '../common/log.js';
import { pollUntil } from '../common/time.js';
import { uploadBackup } from '../object-storage/backup-pipeline.js';
import { backupKeyFrom } from '../object-storage/encryption.js';
import type { ObjectStore } from '../object-storage/object-store.js';
import { openObjectStore } from '../object-storage/open-store.js';
import { ObjectStoreSpec } from '../object-storage/store-spec.js';
import { ArchiveLocation, EncryptionKey, type ArchivePart } from './backup-protocol.js';
import { parseOwn } from '../common/json.js';

/** Where the engine's log files go as they are finished: set by the first backup, kept across restarts. */
const ArchiveTarget = Type.Object({ ...ArchiveLocation.properties, store: ObjectStoreSpec, encryption: EncryptionKey }, { additionalProperties: false });
export type ArchiveTarget = Static<typeof ArchiveTarget>;

/** What the agent remembers of each pushed file: the part an incremental backup lists. */
export interface ArchivedFile extends ArchivePart {
  name: string;
  key_id: string;
}

/**
 * The engine's finished log files (PostgreSQL's WAL segments), each pushed through the backup
 * pipeline (zstd → AES-256-GCM → SHA-256 → object store) as its own object the moment the engine
 * hands it over. Incremental backups then list the parts they span instead of copying them again.
 * The target holds the store's credentials and the key, so its file is readable by root only.
 */
export class PartArchive {
  private readonly dir: string;
  private readonly partsDir: string;
  private store: { spec: string; store: ObjectStore } | undefined;
  /** One push at a time: the engine hands files over in order, and a retry must not race its first try. */
  private pushing: Promise<unknown> = Promise.resolve();

  constructor(
    runDir: string,
    private readonly log: Logger,
  ) {
    this.dir = join(runDir, 'archive');
    this.partsDir = join(this.dir, 'parts');
  }

  private get targetFile(): string {
    return join(this.dir, 'target.json');
  }

  /** Starts archiving (or moves it to a new key or store) from now on. */
  configure(target: ArchiveTarget): void {
    mkdirSync(this.partsDir, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.targetFile, JSON.stringify(target), 0o600);
  }

  target(): ArchiveTarget | undefined {
    if (!existsSync(this.targetFile)) return undefined;
    const raw: unknown = JSON.parse(readFileSync(this.targetFile, 'utf8'));
    return Value.Check(ArchiveTarget, raw) ? raw : undefined;
  }

  private async storeOf(target: ArchiveTarget): Promise<ObjectStore> {
    const spec = JSON.stringify(target.store);
    if (this.store?.spec !== spec) this.store = { spec, store: await openObjectStore(target.store) };
    return this.store.store;
  }

  /**
   * Stores one finished file; resolves once it is in the object store. Before any backup set a
   * target nothing needs the file: it is let go unstored ('not-archiving').
   */
  push(name: string, path: string): Promise<'stored' | 'not-archiving'> {
    const next = this.pushing.then(async () => {
      const target = this.target();
      if (!target) return 'not-archiving' as const;
      const began = performance.now();
      const key = `${target.prefix}${name}`;
      const stored = await uploadBackup(createReadStream(path), {
        store: await this.storeOf(target),
        container: target.container,
        key,
        encryption: backupKeyFrom(target.encryption),
      });
      const record: ArchivedFile = { name, container: target.container, key, size: stored.size, sha256: stored.sha256, key_id: target.encryption.id };
      writeFileAtomic(join(this.partsDir, `${name}.json`), JSON.stringify(record), 0o600);
      this.log.info({ file: name, bytes: stored.size, seconds: (performance.now() - began) / 1000 }, 'log file archived');
      return 'stored' as const;
    });
    // The caller hears a failure through the promise returned; the queue only goes on past it.
    this.pushing = next.catch(() => undefined);
    return next;
  }

  /** The record of a pushed file, or undefined when it was never pushed (or was pruned). */
  archived(name: string): ArchivedFile | undefined {
    const file = join(this.partsDir, `${name}.json`);
    return existsSync(file) ? parseOwn<ArchivedFile>(readFileSync(file, 'utf8')) : undefined;
  }

  /** Waits until the engine has handed the file over and it is stored. */
  async waitFor(name: string, stopped: AbortSignal, timeoutMs: number, whyNot: () => Promise<string>): Promise<ArchivedFile> {
    return pollUntil(
      () => this.archived(name),
      { timeoutMs, pauseMs: 20, maxPauseMs: 500, signal: stopped },
      async () => new Error(`${name} was not archived within ${Math.round(timeoutMs / 1000)} s${await whyNot()}`),
    );
  }

  /** Forgets the records of files named before `floor`: no backup built from now on needs them. */
  forgetBefore(floor: string): void {
    if (!existsSync(this.partsDir)) return;
    for (const file of readdirSync(this.partsDir)) if (file.endsWith('.json') && file.slice(0, -5) < floor) rmSync(join(this.partsDir, file), { force: true });
  }
}
