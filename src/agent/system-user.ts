import { execFile, execFileSync } from 'node:child_process';
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

/** Gives a folder and everything in it to a system user, when the agent can (it runs as root). */
export async function giveTree(path: string, name: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const owner = systemUser(name);
  await promisify(execFile)('chown', ['-R', `${owner.uid}:${owner.gid}`, path]);
}
