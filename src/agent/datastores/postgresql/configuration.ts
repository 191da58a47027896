import type { ConfigValue } from '../../datastore.js';
import { engineConfiguration } from '../../engine-kit/configuration.js';
import { pathsOf } from './config-file.js';
import { literal, runSql } from './sql.js';

function rendered(value: ConfigValue): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(value);
  return literal(value);
}

/**
 * Values go to an overrides file that postgresql.conf includes last (an empty one is always
 * there: a missing one is skipped, but PostgreSQL logs the skip each time it reads its files,
 * which would feed the published log forever). A reload applies every parameter PostgreSQL can
 * change without a restart; the postmaster's wait for the next start.
 */
export const postgresqlConfiguration = engineConfiguration({
  names: /^[a-z_]+$/,
  files: (config) => ({ overridesFile: pathsOf(config).overridesFile, configFile: pathsOf(config).configFile }),
  syntax: { line: (name, value) => `${name} = ${rendered(value)}` },
  include: (overridesFile) => `include_if_exists = '${overridesFile}'`,

  async applyLive(config, { live, revert }) {
    // A reload also sets what the file no longer names back to its value without it.
    if (live.length > 0 || revert.length > 0) await runSql(pathsOf(config).socketDir, config.port, 'SELECT pg_reload_conf();');
    return [];
  },

  async read(config, names) {
    const rows = await runSql(pathsOf(config).socketDir, config.port, `SELECT name, setting FROM pg_settings WHERE name IN (${names.map(literal).join(', ')});`);
    return Object.fromEntries(rows.map(([name, value]) => [name!, value ?? '']));
  },
});
