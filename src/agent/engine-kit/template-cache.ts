import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ownedFolder } from '../system-user.js';

const run = promisify(execFile);

/** How to make one engine version's fresh data directory. */
export interface TemplateRecipe {
  /** The host's folder of templates (the agent config's `template_dir`). */
  root: string;
  /** The template's name there, one per engine and version (`postgresql-16`). */
  name: string;
  /** A file every finished template holds. */
  marker: string;
  /** The engine's system user, who owns the template. */
  owner: string;
  /** The mode of the template's folder. */
  mode: number;
  /** Fills `folder` (empty, owned by `owner`) with a fresh data directory. */
  build(folder: string): Promise<void>;
}

/**
 * A fresh data directory made once per host and engine version, then copied onto each new
 * volume: it is the same for every instance, and copying is much faster than bootstrapping again.
 * Returns its folder.
 */
export async function cachedTemplate(recipe: TemplateRecipe): Promise<string> {
  const template = join(recipe.root, recipe.name);
  if (existsSync(join(template, recipe.marker))) return template;
  mkdirSync(recipe.root, { recursive: true });
  chmodSync(recipe.root, 0o711);
  // Built aside and renamed into place, so a crash or a concurrent agent never sees half of one.
  const building = `${template}.${process.pid}.partial`;
  rmSync(building, { recursive: true, force: true });
  ownedFolder(building, recipe.owner, recipe.mode);
  await recipe.build(building);
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
