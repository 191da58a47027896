import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Loop-mounted ext4 volumes need root, the loop driver, and mkfs. */
export function loopVolumesAvailable(): boolean {
  return process.getuid?.() === 0 && existsSync('/dev/loop-control') && ['/sbin/mkfs.ext4', '/usr/sbin/mkfs.ext4'].some(existsSync);
}

export function isMounted(dir: string): boolean {
  const mounts = readFileSync('/proc/mounts', 'utf8');
  return mounts.split('\n').some((line) => line.split(' ')[1] === dir);
}

/**
 * A sparse file of the requested size with an ext4 file system, mounted on `dir`. Made once;
 * mounted again if it exists but is not mounted (after a host restart).
 */
export async function ensureLoopVolume(image: string, dir: string, sizeGb: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  if (isMounted(dir)) return;
  if (!existsSync(image)) {
    const partial = `${image}.partial`;
    await run('truncate', ['-s', `${sizeGb}G`, partial]);
    // No reserved blocks: the whole volume is the tenant's; lazy init keeps creation fast.
    await run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1', partial]);
    await run('mv', [partial, image]);
  }
  await run('mount', ['-o', 'loop', image, dir]);
}

/** Unmounts (lazily if busy); the loop device is released with the mount. */
export async function unmountVolume(dir: string): Promise<void> {
  if (!isMounted(dir)) return;
  try {
    await run('umount', [dir]);
  } catch {
    await run('umount', ['-l', dir]);
  }
}
