import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ownedFolder } from '../system-user.js';

const run = promisify(execFile);

/** What one engine's templates are like. */
export interface TemplateKind {
  /** A file every finished template holds. */
  marker: string;
  /** The engine's system user, who owns the template. */
  owner: string;
  /** The mode of the template's folder. */
  mode: number;
}

/**
 * A fresh data directory made once per host and engine version, then copied onto each new
 * volume: it is the same for every instance, and copying is much faster than bootstrapping again.
 * `name` is its folder in `root` (the agent config's `template_dir`), one per engine and version;
 * `build` fills an empty folder owned by the engine's user. Returns the template's folder.
 */
export async function cachedTemplate(root: string, name: string, kind: TemplateKind, build: (folder: string) => Promise<void>): Promise<string> {
  const template = join(root, name);
  if (existsSync(join(template, kind.marker))) return template;
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o711);
  // Built aside and renamed into place, so a crash or a concurrent agent never sees half of one.
  const building = `${template}.${process.pid}.partial`;
  rmSync(building, { recursive: true, force: true });
  ownedFolder(building, kind.owner, kind.mode);
  await build(building);
  try {
    renameSync(building, template);
  } catch {
    // Another agent finished first: use its template.
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

/** Copies a template into an empty data directory, keeping owners and modes; `sparse` leaves runs of zeros as holes. */
export async function copyTemplate(template: string, dataDir: string, options: { sparse?: boolean } = {}): Promise<void> {
  const partial = `${dataDir}.partial`;
  rmSync(partial, { recursive: true, force: true });
  await run('cp', ['-a', ...(options.sparse ? ['--sparse=always'] : []), template, partial]);
  renameSync(partial, dataDir);
}
