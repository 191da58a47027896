import { execFile, execFileSync } from 'node:child_process';
import { chownSync } from 'node:fs';
import { promisify } from 'node:util';

export interface SystemUser {
  uid: number;
  gid: number;
}

/** The uid and gid of an unprivileged system user (e.g. the `mysql` user of Debian's package). */
export function systemUser(name: string): SystemUser {
  const id = (flag: string) => Number(execFileSync('id', [flag, name]).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Gives one file to a system user, when the agent can (it runs as root): a secret the engine must read. */
export function giveFile(path: string, name: string): void {
  if (process.getuid?.() !== 0) return;
  const owner = systemUser(name);
  chownSync(path, owner.uid, owner.gid);
}

/** Gives a folder and everything in it to a system user, when the agent can (it runs as root). */
export async function giveTree(path: string, name: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const owner = systemUser(name);
  await promisify(execFile)('chown', ['-R', `${owner.uid}:${owner.gid}`, path]);
}
