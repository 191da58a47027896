import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
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

/** The host refuses online growth (ext4 online resize needs CAP_SYS_RESOURCE). */
export class OnlineResizeDenied extends Error {}

async function growImage(image: string, sizeGb: number): Promise<void> {
  if (statSync(image).size < sizeGb * 1024 ** 3) await run('truncate', ['-s', `${sizeGb}G`, image]);
}

/** Grows the image file and the mounted ext4 file system on it, online. */
export async function growLoopVolume(image: string, sizeGb: number): Promise<void> {
  const { stdout } = await run('losetup', ['-j', image, '-O', 'NAME', '-n']);
  const device = stdout.trim().split('\n')[0];
  if (!device) throw new Error(`the volume ${image} is not attached to a loop device`);
  await growImage(image, sizeGb);
  await run('losetup', ['-c', device]);
  try {
    await run('resize2fs', [device]);
  } catch (err) {
    const text = `${(err as { stderr?: string }).stderr ?? ''} ${(err as Error).message}`;
    if (/Permission denied|Operation not permitted/.test(text)) throw new OnlineResizeDenied('this host does not allow growing a mounted file system');
    throw err;
  }
}

/** Grows an unmounted volume: image, check, file system. Safe to repeat. */
export async function growUnmountedVolume(image: string, dir: string, sizeGb: number): Promise<void> {
  await unmountVolume(dir);
  await growImage(image, sizeGb);
  try {
    await run('e2fsck', ['-f', '-p', image]);
  } catch (err) {
    // Exit code 1 means "errors corrected": the file system is fine to resize.
    if ((err as { code?: number }).code !== 1) throw err;
  }
  await run('resize2fs', [image]);
}
