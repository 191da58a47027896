import type { ParameterRule } from '../parameter-rules.js';

const INT_MAX = 2_147_483_647;
const reloadable = (rule: Omit<ParameterRule, 'restart_required'>): ParameterRule => ({ ...rule, restart_required: false });
const postmaster = (rule: Omit<ParameterRule, 'restart_required'>): ParameterRule => ({ ...rule, restart_required: true });

const SHARED_MB = 'max(16, floor(RAM_MB / 4))';
const CONNECTIONS = 'max(20, floor(RAM_MB * 100 / 1024))';

/**
 * PostgreSQL's settings for the flavor (RAM in MB; shared_buffers and effective_cache_size in
 * 8kB pages, the work memories in kB, as pg_settings gives them):
 *   shared_buffers        = RAM / 4 (at least 16 MB)
 *   effective_cache_size  = RAM × 3/4
 *   max_connections       = 100 per GB of RAM, at least 20
 *   work_mem              = (RAM − shared_buffers) / (3 × max_connections), at least 1 MB
 *   maintenance_work_mem  = RAM / 16, within 16 MB … 2 GB
 */
export const POSTGRESQL_TUNING = {
  shared_buffers: `{${SHARED_MB} * 128}`,
  effective_cache_size: '{floor(RAM_MB * 3 / 4) * 128}',
  max_connections: `{${CONNECTIONS}}`,
  work_mem: `{max(1024, floor((RAM_MB - ${SHARED_MB}) * 1024 / (3 * ${CONNECTIONS})))}`,
  maintenance_work_mem: '{min(2048, max(16, floor(RAM_MB / 16))) * 1024}',
} satisfies Record<string, string>;

/**
 * PostgreSQL's tunable parameters (units as pg_settings gives them: 8kB pages, kB, MB, ms, s).
 * Restart-required ones are those of the postmaster context; the rest apply on reload. Memory
 * defaults are the flavor tuning above. wal_level
 * and archiving are owned by backups and replication, and are not offered.
 */
export const POSTGRESQL_PARAMETERS: ParameterRule[] = [
  postmaster({ name: 'max_connections', type: 'integer', min: 1, max: 262_143, memory: 'connections', default: POSTGRESQL_TUNING.max_connections }),
  postmaster({ name: 'shared_buffers', type: 'integer', min: 16, max: 1_073_741_823, unit: '8kB', memory: 'global', default: POSTGRESQL_TUNING.shared_buffers }),
  reloadable({ name: 'work_mem', type: 'integer', min: 64, max: INT_MAX, unit: 'kB', memory: 'per_connection', default: POSTGRESQL_TUNING.work_mem }),
  reloadable({ name: 'maintenance_work_mem', type: 'integer', min: 1024, max: INT_MAX, unit: 'kB', memory: 'global', default: POSTGRESQL_TUNING.maintenance_work_mem }),
  reloadable({ name: 'effective_cache_size', type: 'integer', min: 1, max: INT_MAX, unit: '8kB' }),
  postmaster({ name: 'wal_buffers', type: 'integer', min: -1, max: 262_143, unit: '8kB' }),
  reloadable({ name: 'max_wal_size', type: 'integer', min: 2, max: INT_MAX, unit: 'MB' }),
  reloadable({ name: 'min_wal_size', type: 'integer', min: 2, max: INT_MAX, unit: 'MB' }),
  reloadable({ name: 'checkpoint_timeout', type: 'integer', min: 30, max: 86_400, unit: 'seconds' }),
  reloadable({ name: 'checkpoint_completion_target', type: 'float', min: 0, max: 1 }),
  reloadable({ name: 'random_page_cost', type: 'float', min: 0, max: 1e10 }),
  reloadable({ name: 'seq_page_cost', type: 'float', min: 0, max: 1e10 }),
  reloadable({ name: 'effective_io_concurrency', type: 'integer', min: 0, max: 1000 }),
  reloadable({ name: 'default_statistics_target', type: 'integer', min: 1, max: 10_000 }),
  reloadable({ name: 'statement_timeout', type: 'integer', min: 0, max: INT_MAX, unit: 'ms' }),
  reloadable({ name: 'lock_timeout', type: 'integer', min: 0, max: INT_MAX, unit: 'ms' }),
  reloadable({ name: 'idle_in_transaction_session_timeout', type: 'integer', min: 0, max: INT_MAX, unit: 'ms' }),
  reloadable({ name: 'log_min_duration_statement', type: 'integer', min: -1, max: INT_MAX, unit: 'ms' }),
  reloadable({ name: 'log_statement', type: 'string', allowed: ['none', 'ddl', 'mod', 'all'] }),
  reloadable({ name: 'log_connections', type: 'boolean' }),
  reloadable({ name: 'log_disconnections', type: 'boolean' }),
  reloadable({ name: 'log_lock_waits', type: 'boolean' }),
  reloadable({ name: 'default_transaction_isolation', type: 'string', allowed: ['read uncommitted', 'read committed', 'repeatable read', 'serializable'] }),
  reloadable({ name: 'synchronous_commit', type: 'string', allowed: ['on', 'off', 'local', 'remote_write', 'remote_apply'] }),
  reloadable({ name: 'timezone', type: 'string', pattern: '^[A-Za-z0-9_/+-]{1,64}$' }),
  reloadable({ name: 'datestyle', type: 'string', pattern: '^[A-Za-z]+(, ?[A-Za-z]+)?$' }),
  reloadable({ name: 'autovacuum', type: 'boolean' }),
  reloadable({ name: 'autovacuum_naptime', type: 'integer', min: 1, max: 2_147_483, unit: 'seconds' }),
  reloadable({ name: 'autovacuum_vacuum_scale_factor', type: 'float', min: 0, max: 100 }),
  reloadable({ name: 'autovacuum_analyze_scale_factor', type: 'float', min: 0, max: 100 }),
  postmaster({ name: 'autovacuum_max_workers', type: 'integer', min: 1, max: 262_143 }),
  postmaster({ name: 'max_worker_processes', type: 'integer', min: 0, max: 262_143 }),
  reloadable({ name: 'max_parallel_workers', type: 'integer', min: 0, max: 1024 }),
  reloadable({ name: 'max_parallel_workers_per_gather', type: 'integer', min: 0, max: 1024 }),
  reloadable({ name: 'jit', type: 'boolean' }),
];
