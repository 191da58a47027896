import type { ParameterRule } from '../parameter-rules.js';

const MAX_BYTES = 2 ** 53 - 1;
const SQL_MODES = [
  'ALLOW_INVALID_DATES',
  'ANSI',
  'ANSI_QUOTES',
  'DB2',
  'EMPTY_STRING_IS_NULL',
  'ERROR_FOR_DIVISION_BY_ZERO',
  'HIGH_NOT_PRECEDENCE',
  'IGNORE_BAD_TABLE_OPTIONS',
  'IGNORE_SPACE',
  'MAXDB',
  'MSSQL',
  'MYSQL323',
  'MYSQL40',
  'NO_AUTO_CREATE_USER',
  'NO_AUTO_VALUE_ON_ZERO',
  'NO_BACKSLASH_ESCAPES',
  'NO_DIR_IN_CREATE',
  'NO_ENGINE_SUBSTITUTION',
  'NO_FIELD_OPTIONS',
  'NO_KEY_OPTIONS',
  'NO_TABLE_OPTIONS',
  'NO_UNSIGNED_SUBTRACTION',
  'NO_ZERO_DATE',
  'NO_ZERO_IN_DATE',
  'ONLY_FULL_GROUP_BY',
  'ORACLE',
  'PAD_CHAR_TO_FULL_LENGTH',
  'PIPES_AS_CONCAT',
  'POSTGRESQL',
  'REAL_AS_FLOAT',
  'SIMULTANEOUS_ASSIGNMENT',
  'STRICT_ALL_TABLES',
  'STRICT_TRANS_TABLES',
  'TIME_ROUND_FRACTIONAL',
  'TRADITIONAL',
];

const seconds = (name: string, min: number, max = 31_536_000): ParameterRule => ({ name, type: 'integer', min, max, restart_required: false, unit: 'seconds' });
const perConnection = (name: string, min: number, fallback: string): ParameterRule => ({ name, type: 'integer', min, max: MAX_BYTES, restart_required: false, unit: 'bytes', memory: 'per_connection', default: fallback });

const POOL_MB = 'max(32, floor(RAM_MB * 150 / 512))';
const CONNECTIONS = '{max(20, floor(RAM_MB * 100 / 512))}';
const TMP_TABLE = '{max(8, floor(RAM_MB * 16 / 512)) * 1048576}';
const TABLE_CACHE = '{max(256, floor(RAM_MB * 256 / 512))}';

/**
 * MariaDB's settings for the flavor, after Trove's MySQL template (which scales everything per
 * 512 MB of RAM); sizes in bytes:
 *   innodb_buffer_pool_size = RAM × 150/512 (≈ 29 %; the rest is for connections, OS cache, tools), at least 32 MB
 *   innodb_buffer_pool_instances = vCPUs when the pool is at least 1 GB, else 1
 *   innodb_log_file_size    = buffer pool / 4, kept within 48 MB … 512 MB
 *   max_connections = max_user_connections = 100 per 512 MB of RAM (at least 20)
 *   tmp_table_size = max_heap_table_size = 16 MB per 512 MB (at least 8 MB)
 *   table_open_cache = table_definition_cache = 256 per 512 MB (at least 256)
 *   thread_cache_size       = 4 per 512 MB (at least 4)
 */
export const MARIADB_TUNING = {
  innodb_buffer_pool_size: `{${POOL_MB} * 1048576}`,
  innodb_buffer_pool_instances: `{1 + (max(1, VCPUS) - 1) * min(1, floor(${POOL_MB} / 1024))}`,
  innodb_log_file_size: `{min(512, max(48, floor(${POOL_MB} / 4))) * 1048576}`,
  max_connections: CONNECTIONS,
  max_user_connections: CONNECTIONS,
  tmp_table_size: TMP_TABLE,
  max_heap_table_size: TMP_TABLE,
  table_open_cache: TABLE_CACHE,
  table_definition_cache: TABLE_CACHE,
  thread_cache_size: '{max(4, floor(RAM_MB * 4 / 512))}',
} satisfies Record<string, string>;

/**
 * MariaDB 10.11's tunable parameters. The defaults of the memory parameters are the flavor
 * tuning above or the engine's own defaults. Settings the service owns (paths, address, storage engine, local
 * infile, logs on/off, server id) are not offered.
 */
export const MARIADB_PARAMETERS: ParameterRule[] = [
  { name: 'innodb_buffer_pool_size', type: 'integer', min: 5_242_880, max: MAX_BYTES, restart_required: false, unit: 'bytes', memory: 'global', default: MARIADB_TUNING.innodb_buffer_pool_size },
  { name: 'innodb_log_buffer_size', type: 'integer', min: 262_144, max: 4_294_967_295, restart_required: true, unit: 'bytes', memory: 'global', default: '{16777216}' },
  { name: 'innodb_log_file_size', type: 'integer', min: 1_048_576, max: 549_755_813_888, restart_required: true, unit: 'bytes' },
  { name: 'innodb_flush_log_at_trx_commit', type: 'integer', min: 0, max: 3, restart_required: false },
  { name: 'innodb_flush_method', type: 'string', allowed: ['fsync', 'O_DSYNC', 'littlesync', 'nosync', 'O_DIRECT', 'O_DIRECT_NO_FSYNC'], restart_required: true },
  { name: 'innodb_io_capacity', type: 'integer', min: 100, max: 4_294_967_295, restart_required: false },
  seconds('innodb_lock_wait_timeout', 0, 1_073_741_824),
  { name: 'innodb_strict_mode', type: 'boolean', restart_required: false },
  { name: 'innodb_file_per_table', type: 'boolean', restart_required: false },
  { name: 'max_connections', type: 'integer', min: 10, max: 100_000, restart_required: false, memory: 'connections', default: MARIADB_TUNING.max_connections },
  { name: 'max_user_connections', type: 'integer', min: 0, max: 2_147_483_647, restart_required: false },
  { name: 'max_connect_errors', type: 'integer', min: 1, max: 4_294_967_295, restart_required: false },
  { name: 'max_allowed_packet', type: 'integer', min: 1024, max: 1_073_741_824, restart_required: false, unit: 'bytes' },
  perConnection('sort_buffer_size', 1024, '{2097152}'),
  perConnection('join_buffer_size', 128, '{262144}'),
  perConnection('read_buffer_size', 8192, '{131072}'),
  perConnection('read_rnd_buffer_size', 1, '{262144}'),
  { name: 'thread_stack', type: 'integer', min: 131_072, max: MAX_BYTES, restart_required: true, unit: 'bytes', memory: 'per_connection', default: '{299008}' },
  perConnection('binlog_cache_size', 4096, '{32768}'),
  { name: 'tmp_table_size', type: 'integer', min: 1024, max: MAX_BYTES, restart_required: false, unit: 'bytes' },
  { name: 'max_heap_table_size', type: 'integer', min: 16_384, max: MAX_BYTES, restart_required: false, unit: 'bytes' },
  { name: 'table_open_cache', type: 'integer', min: 1, max: 1_048_576, restart_required: false },
  { name: 'table_definition_cache', type: 'integer', min: 400, max: 2_097_152, restart_required: false },
  { name: 'thread_cache_size', type: 'integer', min: 0, max: 16_384, restart_required: false },
  seconds('connect_timeout', 2),
  seconds('wait_timeout', 1),
  seconds('interactive_timeout', 1),
  seconds('lock_wait_timeout', 1),
  seconds('net_read_timeout', 1),
  seconds('net_write_timeout', 1),
  { name: 'character_set_server', type: 'string', allowed: ['utf8mb4', 'utf8mb3', 'utf8', 'latin1', 'ascii', 'binary', 'utf16', 'utf32', 'ucs2'], restart_required: false },
  { name: 'collation_server', type: 'string', pattern: '^[a-z0-9_]{1,64}$', restart_required: false },
  { name: 'sql_mode', type: 'string', allowed: SQL_MODES, list: true, restart_required: false },
  { name: 'tx_isolation', type: 'string', allowed: ['READ-UNCOMMITTED', 'READ-COMMITTED', 'REPEATABLE-READ', 'SERIALIZABLE'], restart_required: false },
  { name: 'autocommit', type: 'boolean', restart_required: false },
  { name: 'auto_increment_increment', type: 'integer', min: 1, max: 65_535, restart_required: false },
  { name: 'auto_increment_offset', type: 'integer', min: 1, max: 65_535, restart_required: false },
  { name: 'long_query_time', type: 'float', min: 0, max: 31_536_000, restart_required: false, unit: 'seconds' },
  { name: 'log_queries_not_using_indexes', type: 'boolean', restart_required: false },
  { name: 'log_slow_rate_limit', type: 'integer', min: 1, max: 4_294_967_295, restart_required: false },
  { name: 'min_examined_row_limit', type: 'integer', min: 0, max: 4_294_967_295, restart_required: false },
  { name: 'binlog_format', type: 'string', allowed: ['ROW', 'STATEMENT', 'MIXED'], restart_required: false },
  { name: 'binlog_row_image', type: 'string', allowed: ['FULL', 'MINIMAL', 'NOBLOB'], restart_required: false },
  { name: 'binlog_expire_logs_seconds', type: 'integer', min: 0, max: 8_553_600, restart_required: false, unit: 'seconds' },
  { name: 'max_binlog_size', type: 'integer', min: 4096, max: 1_073_741_824, restart_required: false, unit: 'bytes' },
  { name: 'sync_binlog', type: 'integer', min: 0, max: 4_294_967_295, restart_required: false },
  { name: 'event_scheduler', type: 'string', allowed: ['ON', 'OFF'], restart_required: false },
  { name: 'performance_schema', type: 'boolean', restart_required: true },
  { name: 'open_files_limit', type: 'integer', min: 0, max: 4_294_967_295, restart_required: true },
];
