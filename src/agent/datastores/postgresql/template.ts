import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AgentRequestError } from '../../errors.js';
import type { AgentConfig } from '../../protocol.js';
import { systemUser } from '../../system-user.js';

const run = promisify(execFile);

/** The PostgreSQL major version an instance runs, from its agent config. */
export function versionOf(config: AgentConfig): string {
  if (!config.engine_version || !/^\d+$/.test(config.engine_version)) throw new AgentRequestError(400, 'The agent config does not name a PostgreSQL major version.');
  return config.engine_version;
}

export function binDir(version: string): string {
  return `/usr/lib/postgresql/${version}/bin`;
}

/** A fresh cluster made once per host and version by initdb, copied onto each new volume. */
export async function pristineCluster(templateRoot: string, version: string): Promise<string> {
  const template = join(templateRoot, `postgresql-${version}`);
  if (existsSync(join(template, 'PG_VERSION'))) return template;
  mkdirSync(templateRoot, { recursive: true });
  chmodSync(templateRoot, 0o711);
  const building = `${template}.${process.pid}.partial`;
  rmSync(building, { recursive: true, force: true });
  const owner = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  mkdirSync(building, { mode: 0o700 });
  if (owner) await run('chown', [`${owner.uid}:${owner.gid}`, building]);
  await run(
    `${binDir(version)}/initdb`,
    ['-D', building, '--username=postgres', '--auth-local=peer', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8', '--no-instructions'],
    { timeout: 180_000, cwd: '/', ...(owner ?? {}) },
  );
  try {
    renameSync(building, template);
  } catch {
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

export async function copyCluster(template: string, dataDir: string): Promise<void> {
  const partial = `${dataDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await run('cp', ['-a', template, partial]);
  renameSync(partial, dataDir);
}
