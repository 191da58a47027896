import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeFileAtomic } from '../common/atomic-file.js';
import type { Logger } from '../common/log.js';
import { openBackup, uploadBackup } from '../object-storage/backup-pipeline.js';
import { backupKeyFrom } from '../object-storage/encryption.js';
import { openObjectStore } from '../object-storage/open-store.js';
import type { ArchivePart, BackupRequest, BackupResult, BackupState, Positions, RestoreSource } from './backup-protocol.js';
import type { BackupStrategy, RestoreChain } from './datastore.js';
import { PartArchive } from './part-archive.js';
import { AgentRequestError } from './errors.js';
import type { AgentConfig } from './protocol.js';
import { runUploadJob } from './upload-job.js';
import { volumeUsage } from './volume-usage.js';
import { bestEffort } from '../common/best-effort.js';
import { parseOwn } from '../common/json.js';

/** What the agent keeps of each backup it ran, so a restarted agent still answers for it. */
interface Record {
  state: 'running' | 'completed' | 'failed';
  result?: BackupResult;
  error?: string;
}

const CUT_OFF = 'the guest agent stopped while the backup was under way';

/**
 * Runs one backup at a time: the engine's tool → zstd → AES-256-GCM → SHA-256 → object store.
 * The control plane starts a backup and polls its state; a backup that was under way when the
 * agent stopped is reported failed, never left running.
 */
export class BackupRunner {
  private running: { id: string; done: Promise<void> } | undefined;
  /** Bytes stored so far (compressed and encrypted) by the backup under way. */
  private storedBytes = 0;
  private abortTool: (() => void) | undefined;
  private stopping: AbortController | undefined;
  private readonly dir: string;
  /** The engine's log files, pushed as they are finished, for datastores that archive them. */
  readonly archive: PartArchive;

  constructor(
    private readonly config: AgentConfig,
    private readonly strategy: BackupStrategy | undefined,
    private readonly log: Logger,
  ) {
    this.dir = join(config.run_dir, 'backups');
    this.archive = new PartArchive(config.run_dir, log);
    // This agent starts with no backup running: one on record as running was cut off by the end of the last agent.
    const stateOf = (file: string) => {
      try {
        return parseOwn<Record>(readFileSync(join(this.dir, file), 'utf8')).state;
      } catch {
        return undefined;
      }
    };
    const cutOff = existsSync(this.dir) ? readdirSync(this.dir).filter((f) => f.endsWith('.json') && stateOf(f) === 'running') : [];
    for (const file of cutOff) this.record(file.slice(0, -5), { state: 'failed', error: CUT_OFF });
    if (cutOff.length > 0) log.warn({ backups: cutOff.map((f) => f.slice(0, -5)) }, 'the agent restarted while these backups were under way: they are failed');
  }

  /** The engine hands over a finished log file: it is stored before this resolves. */
  async archiveFile(name: string): Promise<'stored' | 'not-archiving'> {
    const archiving = this.strategy?.archive;
    if (!archiving) throw new AgentRequestError(404, `The ${this.config.engine} datastore archives no log files.`);
    let path: string | undefined;
    try {
      path = archiving.fileOf(this.config, name);
    } catch (err) {
      throw new AgentRequestError(400, (err as Error).message);
    }
    return path ? this.archive.push(name, path) : 'not-archiving';
  }

  private file(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private record(id: string, record: Record): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file(id), JSON.stringify(record), 0o600);
  }

  /** `engineReady` throws when the engine cannot be backed up now. */
  start(request: BackupRequest, engineReady: () => void): 'started' | 'in-progress' | 'done' {
    if (this.running?.id === request.backup_id) return 'in-progress';
    if (existsSync(this.file(request.backup_id))) return 'done';
    const strategy = this.strategy;
    if (!strategy) throw new AgentRequestError(422, `The ${this.config.engine} datastore has no backup strategy.`);
    if (this.running) throw new AgentRequestError(409, `Backup ${this.running.id} is under way on this instance; try again when it has finished.`);
    engineReady();
    this.record(request.backup_id, { state: 'running' });
    this.stopping = new AbortController();
    const done = this.run(strategy, request, this.stopping.signal).finally(() => {
      this.running = undefined;
      this.abortTool = undefined;
      this.stopping = undefined;
    });
    this.running = { id: request.backup_id, done };
    return 'started';
  }

  private async run(strategy: BackupStrategy, request: BackupRequest, stopped: AbortSignal): Promise<void> {
    const startedAt = new Date().toISOString();
    const log = this.log.child({ backup: request.backup_id, kind: request.kind });
    const { container, key } = request.object;
    log.info('backup started');
    try {
      const store = await openObjectStore(request.store);
      const volume = await volumeUsage(this.config.volume_dir, this.config.volume_mounted, this.config.volume_size_bytes);
      // Set before the tool runs: the log written while a full backup is taken is what its first incremental starts with.
      if (request.archive && strategy.archive) this.archive.configure({ ...request.archive, store: request.store, encryption: request.encryption });
      const command = await strategy.stream(this.config, request.kind, request.parent?.positions, stopped, this.archive);
      stopped.throwIfAborted();
      this.storedBytes = 0;
      const began = performance.now();
      const target = { store, container, key, encryption: backupKeyFrom(request.encryption) };
      const onStored = (bytes: number) => (this.storedBytes = bytes);
      let outcome: { uploaded: { size: number; sha256: string }; positions: Positions; parts?: ArchivePart[] };
      try {
        if ('index' in command) {
          outcome = { uploaded: await uploadBackup(Readable.from([command.index]), target, onStored), positions: command.positions, parts: command.parts };
        } else {
          const job = runUploadJob({ tool: { executable: command.executable, args: command.args, ...(command.options ? { options: command.options } : {}) }, store: request.store, container, key, encryption: request.encryption }, onStored);
          this.abortTool = job.abort;
          const { stored, stderr } = await job.done;
          outcome = { uploaded: stored, positions: await command.positions(stderr) };
        }
        log.info({ seconds: (performance.now() - began) / 1000, stored: outcome.uploaded.size }, 'backup stored');
      } catch (err) {
        this.abortTool?.();
        await bestEffort(log, 'deleting what the failed backup stored', store.deletePrefix(container, key));
        throw err;
      }
      // A full backup that incrementals may build on (a replica's seed is none) moves the archive's floor.
      const floor = request.kind === 'full' && request.archive ? strategy.archive?.floorOf(outcome.positions) : undefined;
      if (floor) this.archive.forgetBefore(floor);
      const result: BackupResult = {
        size: outcome.uploaded.size,
        sha256: outcome.uploaded.sha256,
        tool: strategy.tool,
        positions: outcome.positions,
        ...(outcome.parts ? { parts: outcome.parts } : {}),
        ...(floor ? { archive_floor: floor } : {}),
        volume_used_bytes: volume.used_bytes,
        started_at: startedAt,
        finished_at: new Date().toISOString(),
      };
      this.record(request.backup_id, { state: 'completed', result });
      log.info({ bytes: result.size }, 'backup finished');
    } catch (err) {
      const message = (err as Error).message;
      this.record(request.backup_id, { state: 'failed', error: message });
      log.error({ err: message }, 'backup failed');
    }
  }

  /**
   * The backup's state once it is no longer running, or after `waitMs` if it still is: the
   * control plane hears the end at once instead of at its next poll.
   */
  async stateWhenSettled(id: string, waitMs: number): Promise<BackupState> {
    const running = this.running;
    if (running?.id === id && waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running.done, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    }
    return this.state(id);
  }

  state(id: string): BackupState {
    if (this.running?.id === id) return { backup_id: id, state: 'running', stored_bytes: this.storedBytes };
    if (!existsSync(this.file(id))) return { backup_id: id, state: 'unknown' };
    const record = parseOwn<Record>(readFileSync(this.file(id), 'utf8'));
    if (record.state === 'running') return { backup_id: id, state: 'failed', error: CUT_OFF };
    return { backup_id: id, state: record.state, ...(record.result ? { result: record.result } : {}), ...(record.error ? { error: record.error } : {}) };
  }

  /** Stops the backup under way (any, or the one named), which then ends failed. */
  async abort(id?: string): Promise<void> {
    if (!this.running || (id !== undefined && this.running.id !== id)) return;
    this.stopping?.abort(new Error('the backup was stopped'));
    this.abortTool?.();
    await this.running.done;
  }

  /** The restore source as the datastore module reads it: each backup opened, verified and decrypted in turn. */
  chainOf(source: RestoreSource): RestoreChain {
    const encryption = backupKeyFrom(source.encryption);
    let opened: ReturnType<typeof openObjectStore> | undefined;
    // biome-ignore lint/suspicious/noAssignInExpressions: the object store is opened once, on first use
    const open = async (object: { container: string; key: string }, expected: { size: number; sha256: string }) => openBackup({ store: await (opened ??= openObjectStore(source.store)), container: object.container, key: object.key, encryption }, expected);
    return source.chain.map((step) => ({
      kind: step.kind,
      positions: step.positions,
      open: () => open(step.object, step),
      openPart: (part) => open(part, part),
    }));
  }
}
