import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DESCRIPTORS } from '../catalog/descriptors/index.js';
import { tuningFor } from './instance-values.js';

/**
 * What each engine is tuned with for a flavor, resolved from its catalog descriptor: the values
 * the agents' own formulas gave before the catalog became their one source (a test compared the
 * two over 4041 RAM sizes and 7 vCPU counts), pinned so that a change of formula is seen.
 * Sizes in each setting's unit: bytes for MariaDB and Redis, 8kB pages and kB for PostgreSQL.
 */
const PINNED: Record<string, Record<string, Record<string, number>>> = {
  mariadb: {
    '64 MB, 1 vCPUs': {
      innodb_buffer_pool_size: 33554432,
      innodb_buffer_pool_instances: 1,
      innodb_log_file_size: 50331648,
      max_connections: 20,
      max_user_connections: 20,
      tmp_table_size: 8388608,
      max_heap_table_size: 8388608,
      table_open_cache: 256,
      table_definition_cache: 256,
      thread_cache_size: 4,
    },
    '256 MB, 1 vCPUs': {
      innodb_buffer_pool_size: 78643200,
      innodb_buffer_pool_instances: 1,
      innodb_log_file_size: 50331648,
      max_connections: 50,
      max_user_connections: 50,
      tmp_table_size: 8388608,
      max_heap_table_size: 8388608,
      table_open_cache: 256,
      table_definition_cache: 256,
      thread_cache_size: 4,
    },
    '512 MB, 1 vCPUs': {
      innodb_buffer_pool_size: 157286400,
      innodb_buffer_pool_instances: 1,
      innodb_log_file_size: 50331648,
      max_connections: 100,
      max_user_connections: 100,
      tmp_table_size: 16777216,
      max_heap_table_size: 16777216,
      table_open_cache: 256,
      table_definition_cache: 256,
      thread_cache_size: 4,
    },
    '1000 MB, 2 vCPUs': {
      innodb_buffer_pool_size: 306184192,
      innodb_buffer_pool_instances: 1,
      innodb_log_file_size: 76546048,
      max_connections: 195,
      max_user_connections: 195,
      tmp_table_size: 32505856,
      max_heap_table_size: 32505856,
      table_open_cache: 500,
      table_definition_cache: 500,
      thread_cache_size: 7,
    },
    '1024 MB, 1 vCPUs': {
      innodb_buffer_pool_size: 314572800,
      innodb_buffer_pool_instances: 1,
      innodb_log_file_size: 78643200,
      max_connections: 200,
      max_user_connections: 200,
      tmp_table_size: 33554432,
      max_heap_table_size: 33554432,
      table_open_cache: 512,
      table_definition_cache: 512,
      thread_cache_size: 8,
    },
    '2048 MB, 2 vCPUs': {
      innodb_buffer_pool_size: 629145600,
      innodb_buffer_pool_instances: 1,
      innodb_log_file_size: 157286400,
      max_connections: 400,
      max_user_connections: 400,
      tmp_table_size: 67108864,
      max_heap_table_size: 67108864,
      table_open_cache: 1024,
      table_definition_cache: 1024,
      thread_cache_size: 16,
    },
    '3495 MB, 4 vCPUs': {
      innodb_buffer_pool_size: 1072693248,
      innodb_buffer_pool_instances: 1,
      innodb_log_file_size: 267386880,
      max_connections: 682,
      max_user_connections: 682,
      tmp_table_size: 114294784,
      max_heap_table_size: 114294784,
      table_open_cache: 1747,
      table_definition_cache: 1747,
      thread_cache_size: 27,
    },
    '3496 MB, 4 vCPUs': {
      innodb_buffer_pool_size: 1073741824,
      innodb_buffer_pool_instances: 4,
      innodb_log_file_size: 268435456,
      max_connections: 682,
      max_user_connections: 682,
      tmp_table_size: 114294784,
      max_heap_table_size: 114294784,
      table_open_cache: 1748,
      table_definition_cache: 1748,
      thread_cache_size: 27,
    },
    '4096 MB, 4 vCPUs': {
      innodb_buffer_pool_size: 1258291200,
      innodb_buffer_pool_instances: 4,
      innodb_log_file_size: 314572800,
      max_connections: 800,
      max_user_connections: 800,
      tmp_table_size: 134217728,
      max_heap_table_size: 134217728,
      table_open_cache: 2048,
      table_definition_cache: 2048,
      thread_cache_size: 32,
    },
    '12288 MB, 8 vCPUs': {
      innodb_buffer_pool_size: 3774873600,
      innodb_buffer_pool_instances: 8,
      innodb_log_file_size: 536870912,
      max_connections: 2400,
      max_user_connections: 2400,
      tmp_table_size: 402653184,
      max_heap_table_size: 402653184,
      table_open_cache: 6144,
      table_definition_cache: 6144,
      thread_cache_size: 96,
    },
    '65536 MB, 16 vCPUs': {
      innodb_buffer_pool_size: 20132659200,
      innodb_buffer_pool_instances: 16,
      innodb_log_file_size: 536870912,
      max_connections: 12800,
      max_user_connections: 12800,
      tmp_table_size: 2147483648,
      max_heap_table_size: 2147483648,
      table_open_cache: 32768,
      table_definition_cache: 32768,
      thread_cache_size: 512,
    },
  },
  postgresql: {
    '64 MB, 1 vCPUs': { shared_buffers: 2048, effective_cache_size: 6144, max_connections: 20, work_mem: 1024, maintenance_work_mem: 16384 },
    '256 MB, 1 vCPUs': { shared_buffers: 8192, effective_cache_size: 24576, max_connections: 25, work_mem: 2621, maintenance_work_mem: 16384 },
    '512 MB, 1 vCPUs': { shared_buffers: 16384, effective_cache_size: 49152, max_connections: 50, work_mem: 2621, maintenance_work_mem: 32768 },
    '1000 MB, 2 vCPUs': { shared_buffers: 32000, effective_cache_size: 96000, max_connections: 97, work_mem: 2639, maintenance_work_mem: 63488 },
    '1024 MB, 1 vCPUs': { shared_buffers: 32768, effective_cache_size: 98304, max_connections: 100, work_mem: 2621, maintenance_work_mem: 65536 },
    '2048 MB, 2 vCPUs': { shared_buffers: 65536, effective_cache_size: 196608, max_connections: 200, work_mem: 2621, maintenance_work_mem: 131072 },
    '3495 MB, 4 vCPUs': { shared_buffers: 111744, effective_cache_size: 335488, max_connections: 341, work_mem: 2624, maintenance_work_mem: 223232 },
    '3496 MB, 4 vCPUs': { shared_buffers: 111872, effective_cache_size: 335616, max_connections: 341, work_mem: 2624, maintenance_work_mem: 223232 },
    '4096 MB, 4 vCPUs': { shared_buffers: 131072, effective_cache_size: 393216, max_connections: 400, work_mem: 2621, maintenance_work_mem: 262144 },
    '12288 MB, 8 vCPUs': { shared_buffers: 393216, effective_cache_size: 1179648, max_connections: 1200, work_mem: 2621, maintenance_work_mem: 786432 },
    '65536 MB, 16 vCPUs': { shared_buffers: 2097152, effective_cache_size: 6291456, max_connections: 6400, work_mem: 2621, maintenance_work_mem: 2097152 },
  },
  redis: {
    '64 MB, 1 vCPUs': { maxmemory: 50331648, maxclients: 128 },
    '256 MB, 1 vCPUs': { maxmemory: 201326592, maxclients: 250 },
    '512 MB, 1 vCPUs': { maxmemory: 402653184, maxclients: 500 },
    '1000 MB, 2 vCPUs': { maxmemory: 786432000, maxclients: 976 },
    '1024 MB, 1 vCPUs': { maxmemory: 805306368, maxclients: 1000 },
    '2048 MB, 2 vCPUs': { maxmemory: 1610612736, maxclients: 2000 },
    '3495 MB, 4 vCPUs': { maxmemory: 2748317696, maxclients: 3413 },
    '3496 MB, 4 vCPUs': { maxmemory: 2749366272, maxclients: 3414 },
    '4096 MB, 4 vCPUs': { maxmemory: 3221225472, maxclients: 4000 },
    '12288 MB, 8 vCPUs': { maxmemory: 9663676416, maxclients: 12000 },
    '65536 MB, 16 vCPUs': { maxmemory: 51539607552, maxclients: 64000 },
  },
};

describe('the engines’ tuning, resolved from the catalog for a flavor', () => {
  for (const name of ['mysql', 'mariadb', 'postgresql', 'redis']) {
    const descriptor = DESCRIPTORS.find((d) => d.name === name)!;
    it(`${name}: the values pinned for each flavor`, () => {
      for (const [flavor, expected] of Object.entries(PINNED[descriptor.engine]!)) {
        const [ram, vcpus] = flavor.match(/\d+/g)!.map(Number);
        assert.deepEqual(tuningFor(descriptor, { ram_mb: ram!, vcpus: vcpus! }), expected, `${name} at ${flavor}`);
      }
    });
  }
});
