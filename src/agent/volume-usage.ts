import { lstat, readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';

async function folderBytes(path: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += await folderBytes(full);
    else {
      try {
        total += (await lstat(full)).blocks * 512;
      } catch {
        // removed while walking
      }
    }
  }
  return total;
}

/** Bytes in use on the volume: from the file system when it is its own mount, else by walking it. */
export async function volumeUsage(dir: string, mounted: boolean, sizeBytes: number): Promise<{ used_bytes: number; total_bytes: number }> {
  if (mounted) {
    const fs = await statfs(dir);
    return { used_bytes: (fs.blocks - fs.bfree) * fs.bsize, total_bytes: fs.blocks * fs.bsize };
  }
  return { used_bytes: await folderBytes(dir), total_bytes: sizeBytes };
}
