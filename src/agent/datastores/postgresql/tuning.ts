/**
 * PostgreSQL settings derived from the flavor (RAM in MB):
 *   shared_buffers        = RAM / 4
 *   effective_cache_size  = RAM × 3/4
 *   max_connections       = 100 per GB of RAM, at least 20
 *   work_mem              = (RAM − shared_buffers) / (3 × max_connections), at least 1 MB
 *   maintenance_work_mem  = RAM / 16, within 16 MB … 2 GB
 */
export interface PostgresTuning {
  shared_buffers_mb: number;
  effective_cache_size_mb: number;
  max_connections: number;
  work_mem_kb: number;
  maintenance_work_mem_mb: number;
}

export function tuneFor(ramMb: number): PostgresTuning {
  const shared = Math.max(16, Math.floor(ramMb / 4));
  const connections = Math.max(20, Math.floor((ramMb / 1024) * 100));
  return {
    shared_buffers_mb: shared,
    effective_cache_size_mb: Math.floor((ramMb * 3) / 4),
    max_connections: connections,
    work_mem_kb: Math.max(1024, Math.floor(((ramMb - shared) * 1024) / (3 * connections))),
    maintenance_work_mem_mb: Math.min(2048, Math.max(16, Math.floor(ramMb / 16))),
  };
}
