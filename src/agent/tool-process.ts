import { spawn, type SpawnOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exitOf } from '../common/child-exit.js';
import type { OpenedBackup } from '../storage/backup-pipeline.js';

/** Starts an engine tool whose standard output is a backup stream. */
export function toolOutput(executable: string, args: string[], options: SpawnOptions = {}): { output: Readable; exited: Promise<void>; abort(): void } {
  const child = spawn(executable, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  return { output: child.stdout!, exited: exitOf(child, executable.split('/').pop()!), abort: () => child.kill('SIGKILL') };
}

/**
 * Feeds a backup, as it is read from the store, into an engine tool's standard input (an
 * extractor such as mbstream or tar). Fails with the store side's reason (checksum, key,
 * truncation) before the tool's own complaint, which only follows from it.
 */
export async function feedTool(opened: OpenedBackup, executable: string, args: string[], options: SpawnOptions = {}): Promise<void> {
  const child = spawn(executable, args, { ...options, stdio: ['pipe', 'ignore', 'pipe'] });
  const exited = exitOf(child, executable.split('/').pop()!);
  const fed = pipeline(opened.stream, child.stdin as Writable);
  try {
    await opened.done;
  } catch (err) {
    child.kill('SIGKILL');
    await Promise.allSettled([exited, fed]);
    throw err;
  }
  await fed;
  await exited;
}
