import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { ConfigValue, GuestConfiguration } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { redisCommand } from './cli.js';
import { pathsOf } from './config-file.js';

function rendered(value: ConfigValue): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

function renderOverrides(values: Record<string, ConfigValue>): string {
  // Quoted: a value such as `save "3600 1 300 100"` holds spaces.
  const lines = Object.entries(values).map(([name, value]) => `${name} "${rendered(value)}"`);
  return `# The instance's configuration group, written by the Trove guest agent.\n${lines.join('\n')}\n`;
}

/** An empty overrides file: redis.conf's include must find one, or Redis does not start. */
export function ensureOverrides(config: AgentConfig): void {
  const file = pathsOf(config).overridesFile;
  if (!existsSync(file)) writeFileAtomic(file, renderOverrides({}), 0o644);
}

const NAME = /^[a-z-]+$/;

/** What Redis starts with when no group sets `name`: its line in redis.conf; undefined when only Redis's own default applies. */
function baselineOf(configFile: string, name: string): string | undefined {
  for (const line of readFileSync(configFile, 'utf8').split('\n')) {
    const match = /^\s*([a-z-]+)\s+(.*?)\s*$/.exec(line);
    if (match && match[1] === name) return match[2]!.replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/** Values go to an overrides file that redis.conf includes last, and live ones through CONFIG SET. */
export const redisConfiguration: GuestConfiguration = {
  async apply(config, values, live, revert = []) {
    for (const name of Object.keys(values)) if (!NAME.test(name)) throw new Error(`invalid parameter name ${name}`);
    const paths = pathsOf(config);
    writeFileAtomic(paths.overridesFile, renderOverrides(values), 0o644);
    const pairs = live.filter((name) => name in values).flatMap((name) => [name, rendered(values[name]!)]);
    // Redis cannot name its own defaults: a dropped value only redis.conf does not set waits for a restart.
    const pending: string[] = [];
    for (const name of revert.filter((n) => NAME.test(n) && !(n in values))) {
      const baseline = baselineOf(paths.configFile, name);
      if (baseline === undefined) pending.push(name);
      else pairs.push(name, baseline);
    }
    if (pairs.length > 0) await redisCommand(config, ['CONFIG', 'SET', ...pairs]);
    return pending;
  },

  async read(config, names) {
    const values: Record<string, string> = {};
    for (const name of names.filter((n) => NAME.test(n))) {
      const reply = (await redisCommand(config, ['CONFIG', 'GET', name])) as unknown;
      // redis-cli --json gives CONFIG GET's map as an object (RESP3) or a flat [name, value] array.
      if (Array.isArray(reply) && reply.length >= 2) values[name] = String(reply[1]);
      else if (reply && typeof reply === 'object' && name in reply) values[name] = String((reply as Record<string, unknown>)[name]);
    }
    return values;
  },
};
