import { readFileSync } from 'node:fs';
import type { ConfigValue } from '../../datastore.js';
import { engineConfiguration } from '../../engine-kit/configuration.js';
import { pathsOf } from './config-file.js';
import { literal, runSql } from './sql.js';

/** A value as my.cnf and SET GLOBAL take it. */
function rendered(value: ConfigValue): string {
  if (typeof value === 'boolean') return value ? 'ON' : 'OFF';
  return String(value);
}

/** What the engine starts with when no group sets `name`: its value in my.cnf, or the server's own default. */
function baselineOf(configFile: string, name: string): string {
  for (const line of readFileSync(configFile, 'utf8').split('\n')) {
    const match = /^\s*([A-Za-z0-9_-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || match[1]!.replace(/-/g, '_') !== name) continue;
    // my.cnf takes size suffixes, SET GLOBAL does not.
    const size = /^(\d+)([KMG])$/i.exec(match[2]!);
    if (size) return String(Number(size[1]) * 1024 ** ('KMG'.indexOf(size[2]!.toUpperCase()) + 1));
    return /^-?\d+$/.test(match[2]!) ? match[2]! : literal(match[2]!);
  }
  return 'DEFAULT';
}

/** Values go to an overrides file that my.cnf includes last, and live ones through SET GLOBAL. */
export const mariadbConfiguration = engineConfiguration({
  names: /^[a-z_]+$/,
  files: (config) => ({ overridesFile: pathsOf(config).overridesConfig, configFile: pathsOf(config).configFile }),
  syntax: { section: '[mysqld]', line: (name, value) => `${name} = ${rendered(value)}` },
  include: (overridesFile) => `!include ${overridesFile}`,

  async applyLive(config, { values, live, revert }) {
    const paths = pathsOf(config);
    const statements = live.map((name) => {
      const value = values[name]!;
      return `SET GLOBAL ${name} = ${typeof value === 'string' ? literal(value) : rendered(value)}`;
    });
    for (const name of revert) statements.push(`SET GLOBAL ${name} = ${baselineOf(paths.configFile, name)}`);
    if (statements.length > 0) await runSql(paths.socket, statements);
    return [];
  },

  async read(config, names) {
    if (names.length === 0) return {};
    const rows = await runSql(pathsOf(config).socket, `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(literal).join(', ')})`);
    return Object.fromEntries(rows.map(([name, value]) => [name!, value ?? '']));
  },
});
