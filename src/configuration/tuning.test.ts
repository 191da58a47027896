import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tuneFor as mariadbTuning } from '../agent/datastores/mariadb/tuning.js';
import { tuneFor as postgresTuning } from '../agent/datastores/postgresql/tuning.js';
import { tuneFor as redisTuning } from '../agent/datastores/redis/tuning.js';
import { DESCRIPTORS } from '../catalog/datastores/index.js';
import { tuningFor } from './instance-values.js';

const MB = 1024 * 1024;
const descriptor = (name: string) => DESCRIPTORS.find((d) => d.name === name)!;

/** What the agents' own formulas wrote into the engines' files, in the units the catalog's formulas give. */
function oldTuning(engine: string, ram: number, vcpus: number): Record<string, number> {
  if (engine === 'mariadb') {
    const m = mariadbTuning(ram, vcpus);
    return {
      innodb_buffer_pool_size: m.innodb_buffer_pool_size_mb * MB,
      innodb_buffer_pool_instances: m.innodb_buffer_pool_instances,
      innodb_log_file_size: m.innodb_log_file_size_mb * MB,
      max_connections: m.max_connections,
      max_user_connections: m.max_connections,
      tmp_table_size: m.tmp_table_size_mb * MB,
      max_heap_table_size: m.tmp_table_size_mb * MB,
      table_open_cache: m.table_open_cache,
      table_definition_cache: m.table_open_cache,
      thread_cache_size: m.thread_cache_size,
    };
  }
  if (engine === 'postgresql') {
    const p = postgresTuning(ram);
    return {
      shared_buffers: p.shared_buffers_mb * 128,
      effective_cache_size: p.effective_cache_size_mb * 128,
      max_connections: p.max_connections,
      work_mem: p.work_mem_kb,
      maintenance_work_mem: p.maintenance_work_mem_mb * 1024,
    };
  }
  const r = redisTuning(ram);
  return { maxmemory: r.maxmemory_mb * MB, maxclients: r.maxclients };
}

describe('the catalog’s tuning formulas give what the agents’ formulas gave', () => {
  const rams = [...Array.from({ length: 4033 }, (_, i) => 64 + i), 5000, 6144, 8192, 12288, 16384, 24576, 32768, 65536, 131072, 262144, 1048576];
  for (const name of ['mysql', 'mariadb', 'postgresql', 'redis']) {
    it(name, () => {
      let compared = 0;
      for (const ram of rams) {
        for (const vcpus of [1, 2, 3, 4, 8, 16, 64]) {
          assert.deepEqual(tuningFor(descriptor(name), { ram_mb: ram, vcpus }), oldTuning(descriptor(name).engine, ram, vcpus), `${name} at ${ram} MB, ${vcpus} vCPUs`);
          compared++;
        }
      }
      assert.ok(compared > 28_000);
    });
  }
});
