/**
 * Settings derived from the flavor, after Trove's MySQL template (which scales everything per
 * 512 MB of RAM):
 *   innodb_buffer_pool_size = RAM × 150/512 (≈ 29 %; the rest is for connections, OS cache, tools)
 *   innodb_log_file_size    = buffer pool / 4, kept within 48 MB … 512 MB
 *   max_connections         = 100 per 512 MB of RAM (at least 20)
 *   tmp_table_size = max_heap_table_size = 16 MB per 512 MB
 *   table_open_cache = table_definition_cache = 256 per 512 MB
 *   thread_cache_size       = 4 per 512 MB
 *   innodb_buffer_pool_instances = vCPUs when the pool is at least 1 GB, else 1
 */
export interface MariadbTuning {
  innodb_buffer_pool_size_mb: number;
  innodb_log_file_size_mb: number;
  innodb_buffer_pool_instances: number;
  max_connections: number;
  tmp_table_size_mb: number;
  table_open_cache: number;
  thread_cache_size: number;
}

export function tuneFor(ramMb: number, vcpus: number): MariadbTuning {
  const per512 = ramMb / 512;
  const pool = Math.max(32, Math.floor(150 * per512));
  return {
    innodb_buffer_pool_size_mb: pool,
    innodb_log_file_size_mb: Math.min(512, Math.max(48, Math.floor(pool / 4))),
    innodb_buffer_pool_instances: pool >= 1024 ? Math.max(1, vcpus) : 1,
    max_connections: Math.max(20, Math.floor(100 * per512)),
    tmp_table_size_mb: Math.max(8, Math.floor(16 * per512)),
    table_open_cache: Math.max(256, Math.floor(256 * per512)),
    thread_cache_size: Math.max(4, Math.floor(4 * per512)),
  };
}
