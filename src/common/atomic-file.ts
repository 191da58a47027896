import { renameSync, writeFileSync } from 'node:fs';

/** Writes a file so that a crash leaves either the old content or the new, never a torn one. */
export function writeFileAtomic(path: string, content: string, mode: number): void {
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, content, { mode });
  renameSync(partial, path);
}
