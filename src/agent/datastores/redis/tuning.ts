/**
 * Redis settings derived from the flavor (RAM in MB):
 *   maxmemory  = RAM × 3/4, leaving a quarter for the copy-on-write pages of the snapshot and
 *                AOF-rewrite forks, client buffers and allocator overhead
 *   maxclients = 1000 per GB of RAM, at least 128 (every client costs buffer memory)
 * maxmemory-policy is noeviction: a database must not drop data silently when full; writes fail
 * with an OOM error instead.
 */
export interface RedisTuning {
  maxmemory_mb: number;
  maxclients: number;
}

export function tuneFor(ramMb: number): RedisTuning {
  return {
    maxmemory_mb: Math.max(16, Math.floor((ramMb * 3) / 4)),
    maxclients: Math.max(128, Math.floor((ramMb / 1024) * 1000)),
  };
}
