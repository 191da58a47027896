import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-file.js';
import { parseOwn } from '../../common/json.js';

/** What `trove login` keeps: a token and where it works; never the password. */
export interface StoredSession {
  auth_url: string;
  username: string;
  project_name: string;
  project_id: string;
  endpoint: string;
  token: string;
  expires_at: string;
}

/** `$XDG_CONFIG_HOME/trove/session.json`, or `~/.config/trove/session.json`. */
export function sessionPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'trove', 'session.json');
}

export function readSession(path = sessionPath()): StoredSession | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const parsed = parseOwn<Partial<StoredSession>>(readFileSync(path, 'utf8'));
    if (typeof parsed.token !== 'string' || typeof parsed.endpoint !== 'string' || typeof parsed.expires_at !== 'string') return undefined;
    return parsed as StoredSession;
  } catch {
    return undefined;
  }
}

/** Readable by its owner alone: the folder 0700 and the file 0600, whatever the umask. */
export function writeSession(session: StoredSession, path = sessionPath()): void {
  const folder = join(path, '..');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  chmodSync(folder, 0o700);
  writeFileAtomic(path, `${JSON.stringify(session, null, 2)}\n`, 0o600);
  chmodSync(path, 0o600);
}

export function removeSession(path = sessionPath()): boolean {
  if (!existsSync(path)) return false;
  rmSync(path, { force: true });
  return true;
}
