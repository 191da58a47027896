import { spawn, type SpawnOptions } from 'node:child_process';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exitOf } from '../common/child-exit.js';
import type { OpenedBackup } from '../object-storage/backup-pipeline.js';
import { BatchedFileWriter } from '../object-storage/batched-file-writer.js';
import type { BackupCommand } from './datastore.js';

/** What a tool needs to run: the backup command without what the agent reads after it. */
export type ToolCommand = Pick<BackupCommand, 'executable' | 'args' | 'options'>;

/** Starts an engine tool writing into `stdout` (a pipe: the compressor's input); `exited` gives the end of its stderr. */
export function startTool(command: ToolCommand, stdout: Writable): { exited: Promise<string>; abort(): void } {
  const child = spawn(command.executable, command.args, { ...command.options, stdio: ['ignore', stdout, 'pipe'] });
  return { exited: exitOf(child, command.executable.split('/').pop()!), abort: () => child.kill('SIGKILL') };
}

/**
 * Feeds a backup, as it is read from the store, straight into an engine tool's standard input
 * (an extractor such as mbstream or tar). Fails with the store side's reason (checksum, key,
 * truncation) before the tool's own complaint, which only follows from it.
 */
export async function feedTool(opened: OpenedBackup, executable: string, args: string[], options: SpawnOptions = {}): Promise<void> {
  const child = opened.pipeInto((stdio) => spawn(executable, args, { ...options, stdio }));
  const exited = exitOf(child, executable.split('/').pop()!);
  try {
    await opened.done;
  } catch (err) {
    child.kill('SIGKILL');
    // Killed for the reason thrown below: its own complaint follows from it.
    await exited.catch(() => undefined);
    throw err;
  }
  await exited;
}

/** Writes a backup, as it is read from the store, to a file; fails with the store side's reason. */
export async function writeToFile(opened: OpenedBackup, path: string): Promise<void> {
  const written = pipeline(opened.readable(), new BatchedFileWriter(path, 0o600));
  try {
    await opened.done;
  } catch (err) {
    opened.abort();
    // Aborted for the reason thrown below: the writer's complaint follows from it.
    await written.catch(() => undefined);
    throw err;
  }
  await written;
}
