import { spawn, type SpawnOptions } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exitOf } from '../common/child-exit.js';
import type { OpenedBackup } from '../storage/backup-pipeline.js';

/** Starts an engine tool whose standard output is a backup stream; `exited` gives the end of its stderr. */
export function toolOutput(executable: string, args: string[], options: SpawnOptions = {}): { output: Readable; exited: Promise<string>; abort(): void } {
  const child = spawn(executable, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  // Read at once into a stream that holds what is not consumed yet: Node drains and drops an
  // unread stdout when the child exits, and a quick tool (cat) can exit before the upload starts.
  const output = child.stdout!.pipe(new PassThrough({ highWaterMark: 4 * 1024 * 1024 }));
  return { output, exited: exitOf(child, executable.split('/').pop()!), abort: () => child.kill('SIGKILL') };
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

/** Writes a backup, as it is read from the store, to a file; fails with the store side's reason. */
export async function writeToFile(opened: OpenedBackup, path: string): Promise<void> {
  const written = pipeline(opened.stream, createWriteStream(path, { mode: 0o600 }));
  try {
    await opened.done;
  } catch (err) {
    opened.abort();
    await written.catch(() => undefined);
    throw err;
  }
  await written;
}
