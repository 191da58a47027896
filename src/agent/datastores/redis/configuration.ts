import { readFileSync } from 'node:fs';
import type { ConfigValue } from '../../datastore.js';
import { engineConfiguration } from '../../engine-kit/configuration.js';
import { redisCommand } from './cli.js';
import { pathsOf } from './config-file.js';

function rendered(value: ConfigValue): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** What Redis starts with when no group sets `name`: its line in redis.conf; undefined when only Redis's own default applies. */
function baselineOf(configFile: string, name: string): string | undefined {
  for (const line of readFileSync(configFile, 'utf8').split('\n')) {
    const match = /^\s*([a-z-]+)\s+(.*?)\s*$/.exec(line);
    if (match && match[1] === name) return match[2]!.replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/**
 * Values go to an overrides file that redis.conf includes last (an empty one is always there:
 * without it Redis does not start), and live ones through CONFIG SET.
 */
export const redisConfiguration = engineConfiguration({
  names: /^[a-z-]+$/,
  files: (config) => ({ overridesFile: pathsOf(config).overridesFile, configFile: pathsOf(config).configFile }),
  // Quoted: a value such as `save "3600 1 300 100"` holds spaces.
  syntax: { line: (name, value) => `${name} "${rendered(value)}"` },

  async applyLive(config, { values, live, revert }) {
    const pairs = live.flatMap((name) => [name, rendered(values[name]!)]);
    // Redis cannot name its own defaults: a dropped value only redis.conf does not set waits for a restart.
    const pending: string[] = [];
    for (const name of revert) {
      const baseline = baselineOf(pathsOf(config).configFile, name);
      if (baseline === undefined) pending.push(name);
      else pairs.push(name, baseline);
    }
    if (pairs.length > 0) await redisCommand(config, ['CONFIG', 'SET', ...pairs]);
    return pending;
  },

  async read(config, names) {
    const values: Record<string, string> = {};
    for (const name of names) {
      const reply = (await redisCommand(config, ['CONFIG', 'GET', name])) as unknown;
      // redis-cli --json gives CONFIG GET's map as an object (RESP3) or a flat [name, value] array.
      if (Array.isArray(reply) && reply.length >= 2) values[name] = String(reply[1]);
      else if (reply && typeof reply === 'object' && name in reply) values[name] = String((reply as Record<string, unknown>)[name]);
    }
    return values;
  },
});
