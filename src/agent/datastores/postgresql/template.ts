import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cachedTemplate, type TemplateKind } from '../../engine-kit/template-cache.js';
import { AgentRequestError } from '../../errors.js';
import type { AgentConfig } from '../../protocol.js';
import { engineOwner } from '../../system-user.js';

const run = promisify(execFile);
const ENGINE_USER = 'postgres';
const TEMPLATE: TemplateKind = { marker: 'PG_VERSION', owner: ENGINE_USER, mode: 0o700 };

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
  return cachedTemplate(templateRoot, `postgresql-${version}`, TEMPLATE, async (building) => {
    await run(`${binDir(version)}/initdb`, ['-D', building, '--username=postgres', '--auth-local=peer', '--auth-host=scram-sha-256', '--encoding=UTF8', '--locale=C.UTF-8', '--no-instructions'], {
      timeout: 180_000,
      cwd: '/',
      ...(engineOwner(ENGINE_USER) ?? {}),
    });
  });
}
