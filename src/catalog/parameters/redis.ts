import type { ParameterRule } from '../parameter-rules.js';

const live = (rule: Omit<ParameterRule, 'restart_required'>): ParameterRule => ({ ...rule, restart_required: false });

/**
 * Redis's settings for the flavor (RAM in MB, maxmemory in bytes):
 *   maxmemory  = RAM × 3/4 (at least 16 MB), leaving a quarter for the copy-on-write pages of the
 *                snapshot and AOF-rewrite forks, client buffers and allocator overhead
 *   maxclients = 1000 per GB of RAM, at least 128 (every client costs buffer memory)
 * maxmemory-policy is noeviction, whatever the flavor (the agent writes it): a database must not
 * drop data silently when full; writes fail with an OOM error instead.
 */
export const REDIS_TUNING = {
  maxmemory: '{max(16, floor(RAM_MB * 3 / 4)) * 1048576}',
  maxclients: '{max(128, floor(RAM_MB * 1000 / 1024))}',
} satisfies Record<string, string>;

/**
 * Redis 7's tunable parameters, set live with CONFIG SET unless Redis refuses that for them.
 * maxmemory's default is the flavor tuning above.
 * Persistence mode (appendonly) is owned by backups and is not offered.
 */
export const REDIS_PARAMETERS: ParameterRule[] = [
  live({ name: 'maxmemory', type: 'integer', min: 0, max: 2 ** 53 - 1, unit: 'bytes', memory: 'global', default: REDIS_TUNING.maxmemory }),
  live({ name: 'maxmemory-policy', type: 'string', allowed: ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-lfu', 'volatile-lfu', 'allkeys-random', 'volatile-random', 'volatile-ttl'] }),
  live({ name: 'maxmemory-samples', type: 'integer', min: 1, max: 64 }),
  live({ name: 'maxclients', type: 'integer', min: 1, max: 65_000 }),
  live({ name: 'timeout', type: 'integer', min: 0, max: 2_147_483_647, unit: 'seconds' }),
  live({ name: 'tcp-keepalive', type: 'integer', min: 0, max: 2_147_483_647, unit: 'seconds' }),
  live({ name: 'appendfsync', type: 'string', allowed: ['always', 'everysec', 'no'] }),
  live({ name: 'save', type: 'string', pattern: '^(\\d+ \\d+( \\d+ \\d+)*)?$' }),
  live({ name: 'slowlog-log-slower-than', type: 'integer', min: -1, max: 2 ** 53 - 1, unit: 'us' }),
  live({ name: 'slowlog-max-len', type: 'integer', min: 0, max: 2 ** 53 - 1 }),
  live({ name: 'latency-monitor-threshold', type: 'integer', min: 0, max: 2 ** 53 - 1 }),
  live({ name: 'notify-keyspace-events', type: 'string', pattern: '^[KEA$lshzxegtmdn]*$' }),
  live({ name: 'hz', type: 'integer', min: 1, max: 500 }),
  live({ name: 'lazyfree-lazy-eviction', type: 'boolean' }),
  live({ name: 'lazyfree-lazy-expire', type: 'boolean' }),
  live({ name: 'hash-max-listpack-entries', type: 'integer', min: 0, max: 2 ** 53 - 1 }),
  live({ name: 'list-max-listpack-size', type: 'integer', min: -5, max: 2 ** 31 - 1 }),
  live({ name: 'set-max-intset-entries', type: 'integer', min: 0, max: 2 ** 53 - 1 }),
  live({ name: 'zset-max-listpack-entries', type: 'integer', min: 0, max: 2 ** 53 - 1 }),
  { name: 'databases', type: 'integer', min: 1, max: 10_000, restart_required: true },
  { name: 'io-threads', type: 'integer', min: 1, max: 128, restart_required: true },
];
