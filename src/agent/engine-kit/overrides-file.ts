import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../common/atomic-file.js';
import type { ConfigValue } from '../datastore.js';

/** How one engine writes its overrides file. */
export interface OverridesSyntax {
  /** One parameter as the engine's file takes it (`name = value`, `name "value"`). */
  line(name: string, value: ConfigValue): string;
  /** What comes before the parameters, after the header (MariaDB's `[mysqld]`). */
  section?: string;
}

const HEADER = "# The instance's configuration group, written by the Trove guest agent.";

/** The overrides file holding `values`. */
function renderOverrides(syntax: OverridesSyntax, values: Record<string, ConfigValue>): string {
  const lines = Object.entries(values).map(([name, value]) => syntax.line(name, value));
  return `${HEADER}\n${syntax.section === undefined ? '' : `${syntax.section}\n`}${lines.join('\n')}\n`;
}

/** Replaces the overrides file (readable by the engine: it holds no secret). */
export function writeOverrides(file: string, syntax: OverridesSyntax, values: Record<string, ConfigValue>): void {
  writeFileAtomic(file, renderOverrides(syntax, values), 0o644);
}

/** An empty overrides file where there is none, so the main file's include always finds one. */
export function ensureOverrides(file: string, syntax: OverridesSyntax): void {
  if (!existsSync(file)) writeOverrides(file, syntax, {});
}

/** Adds `include` to the main file unless it has it (a file written before groups existed; it is regenerated on resize). */
export function ensureInclude(configFile: string, include: string): void {
  if (!readFileSync(configFile, 'utf8').includes(include)) appendFileSync(configFile, `${include}\n`);
}
