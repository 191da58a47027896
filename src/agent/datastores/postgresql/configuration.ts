import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { ConfigValue, GuestConfiguration } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { pathsOf } from './config-file.js';
import { literal, runSql } from './sql.js';

function rendered(value: ConfigValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(value);
  return literal(value);
}

const HEADER = "# The instance's configuration group, written by the Trove guest agent.\n";

/**
 * An empty overrides file. A missing one is skipped, but PostgreSQL logs the skip each time it
 * reads its files (pg_file_settings too), which would feed the published log forever.
 */
export function ensureOverrides(config: AgentConfig): void {
  const file = pathsOf(config).overridesFile;
  if (!existsSync(file)) writeFileAtomic(file, HEADER, 0o644);
}

const NAME = /^[a-z_]+$/;

/**
 * Values go to an overrides file that postgresql.conf includes last. A reload applies every
 * parameter PostgreSQL can change without a restart; the postmaster's wait for the next start.
 */
export const postgresqlConfiguration: GuestConfiguration = {
  async apply(config, values, live, revert = []) {
    for (const name of Object.keys(values)) if (!NAME.test(name)) throw new Error(`invalid parameter name ${name}`);
    const paths = pathsOf(config);
    const lines = Object.entries(values).map(([name, value]) => `${name} = ${rendered(value)}`);
    writeFileAtomic(paths.overridesFile, `${HEADER}${lines.join('\n')}\n`, 0o644);
    // postgresql.conf written before groups existed lacks the include (it is regenerated on resize).
    const include = `include_if_exists = '${paths.overridesFile}'`;
    if (!readFileSync(paths.configFile, 'utf8').includes(include)) appendFileSync(paths.configFile, `${include}\n`);
    // A reload also sets what the file no longer names back to its value without it.
    if (live.length > 0 || revert.length > 0) await runSql(paths.socketDir, config.port, 'SELECT pg_reload_conf();');
    return [];
  },

  async read(config, names) {
    const wanted = names.filter((name) => NAME.test(name));
    if (wanted.length === 0) return {};
    const rows = await runSql(pathsOf(config).socketDir, config.port, `SELECT name, setting FROM pg_settings WHERE name IN (${wanted.map(literal).join(', ')});`);
    return Object.fromEntries(rows.map(([name, value]) => [name!, value ?? '']));
  },
};
