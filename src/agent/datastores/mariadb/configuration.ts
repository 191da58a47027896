import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { ConfigValue, GuestConfiguration } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { pathsOf } from './config-file.js';
import { literal, runSql } from './sql.js';

/** A value as my.cnf and SET GLOBAL take it. */
function rendered(value: ConfigValue): string {
  if (typeof value === 'boolean') return value ? 'ON' : 'OFF';
  return String(value);
}

function renderOverrides(values: Record<string, ConfigValue>): string {
  const lines = Object.entries(values).map(([name, value]) => `${name} = ${rendered(value)}`);
  return `# The instance's configuration group, written by the Trove guest agent.\n[mysqld]\n${lines.join('\n')}\n`;
}

/** An empty overrides file, so my.cnf's include always finds one. */
export function ensureOverrides(config: AgentConfig): void {
  const file = pathsOf(config).overridesConfig;
  if (!existsSync(file)) writeFileAtomic(file, renderOverrides({}), 0o644);
}

const NAME = /^[a-z_]+$/;

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

export const mariadbConfiguration: GuestConfiguration = {
  async apply(config, values, live, revert = []) {
    for (const name of Object.keys(values)) if (!NAME.test(name)) throw new Error(`invalid parameter name ${name}`);
    const paths = pathsOf(config);
    writeFileAtomic(paths.overridesConfig, renderOverrides(values), 0o644);
    // my.cnf written before groups existed lacks the include (it is regenerated on resize).
    const include = `!include ${paths.overridesConfig}`;
    if (!readFileSync(paths.configFile, 'utf8').includes(include)) appendFileSync(paths.configFile, `${include}\n`);
    const statements = live
      .filter((name) => name in values)
      .map((name) => {
        const value = values[name]!;
        return `SET GLOBAL ${name} = ${typeof value === 'string' ? literal(value) : rendered(value)}`;
      });
    for (const name of revert.filter((n) => NAME.test(n) && !(n in values))) statements.push(`SET GLOBAL ${name} = ${baselineOf(paths.configFile, name)}`);
    if (statements.length > 0) await runSql(paths.socket, statements);
    return [];
  },

  async read(config, names) {
    const wanted = names.filter((name) => NAME.test(name));
    if (wanted.length === 0) return {};
    const rows = await runSql(pathsOf(config).socket, `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${wanted.map(literal).join(', ')})`);
    return Object.fromEntries(rows.map(([name, value]) => [name!, value ?? '']));
  },
};
