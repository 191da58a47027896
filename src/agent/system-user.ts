import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { promisify } from 'node:util';

export interface SystemUser {
  uid: number;
  gid: number;
}

const known = new Map<string, SystemUser>();

/** The uid and gid of an unprivileged system user (e.g. the `mysql` user of Debian's package). */
export function systemUser(name: string): SystemUser {
  let user = known.get(name);
  if (!user) {
    const id = (flag: string) => Number(execFileSync('id', [flag, name]).toString().trim());
    user = { uid: id('-u'), gid: id('-g') };
    known.set(name, user);
  }
  return user;
}

/**
 * The engine's user when the agent can act as it (it runs as root); undefined otherwise, when the
 * agent, its files and its engine are all one unprivileged user. Spread into spawn options to run a
 * tool as the engine.
 */
export function engineOwner(name: string): SystemUser | undefined {
  return process.getuid?.() === 0 ? systemUser(name) : undefined;
}

/** Makes a folder (and any parents) and gives the folder itself to a system user, when the agent can. */
export function ownedFolder(path: string, name: string, mode: number): void {
  mkdirSync(path, { recursive: true, mode });
  giveFile(path, name);
}

/** Gives one file (or one folder, not what it holds) to a system user, when the agent can: a secret the engine must read. */
export function giveFile(path: string, name: string): void {
  const owner = engineOwner(name);
  if (owner) chownSync(path, owner.uid, owner.gid);
}

/** Gives a folder and everything in it to a system user, when the agent can (it runs as root). */
export async function giveTree(path: string, name: string): Promise<void> {
  const owner = engineOwner(name);
  if (owner) await promisify(execFile)('chown', ['-R', `${owner.uid}:${owner.gid}`, path]);
}
