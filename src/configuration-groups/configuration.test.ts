import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MARIADB_PARAMETERS, MARIADB_TUNING } from '../catalog/parameters/mariadb.js';
import { POSTGRESQL_PARAMETERS, POSTGRESQL_TUNING } from '../catalog/parameters/postgresql.js';
import { REDIS_PARAMETERS, REDIS_TUNING } from '../catalog/parameters/redis.js';
import { evaluate, evaluateFormula, flavorVariables, FormulaError } from '../catalog/formula.js';
import { changeBetween, tuningFor } from './instance-values.js';
import { normalizeValue, ParameterError, type ParameterRule } from '../catalog/parameter-rules.js';
import { checkGroupValues, checkMemoryBudget, memoryBudget, valuesForFlavor } from './values.js';

const rule = (name: string, rules: ParameterRule[] = MARIADB_PARAMETERS) => rules.find((r) => r.name === name)!;
const GB1 = flavorVariables(1024, 1);
const GB4 = flavorVariables(4096, 2);

describe('formulas of the flavor', () => {
  it('evaluates arithmetic, precedence, parentheses, min/max and the flavor variables', () => {
    assert.equal(evaluate('RAM * 3 / 4', GB1), 1024 ** 3 * 0.75);
    assert.equal(evaluate('2 + 3 * 4 - (1 + 1) % 3', GB1), 12);
    assert.equal(evaluate('max(64, RAM_MB / 8) + min(VCPUS, 8)', GB4), 512 + 2);
    assert.equal(evaluate('-VCPUS + 10', GB4), 8);
    assert.deepEqual(evaluateFormula('{RAM_MB / 4}M', GB1), { number: 256, suffix: 'M' });
  });

  it('refuses anything else, saying what is wrong', () => {
    assert.throws(
      () => evaluate('process.exit(1)', GB1),
      (err: Error) => err instanceof FormulaError && /unexpected "\."|unknown name "process"/.test(err.message),
    );
    assert.throws(() => evaluate('RAM / 0', GB1), /division by zero/);
    assert.throws(() => evaluate('(RAM', GB1), /expected "\)"/);
    assert.throws(() => evaluate('RAM RAM', GB1), /after the end/);
    assert.throws(() => evaluate('constructor', GB1), /unknown name "constructor"/);
    assert.throws(() => evaluate('1; 2', GB1), /unexpected ";"/);
  });
});

describe('parameter rules', () => {
  it('takes integers, size suffixes in the rule’s unit, and rejects other types and ranges with the rule', () => {
    assert.equal(normalizeValue(rule('max_connections'), 200), 200);
    assert.equal(normalizeValue(rule('max_connections'), '300'), 300);
    assert.equal(normalizeValue(rule('innodb_buffer_pool_size'), '512M'), 512 * 1024 ** 2);
    assert.equal(normalizeValue(rule('shared_buffers', POSTGRESQL_PARAMETERS), '1GB'), 131072);
    assert.equal(normalizeValue(rule('work_mem', POSTGRESQL_PARAMETERS), '4MB'), 4096);
    assert.throws(() => normalizeValue(rule('max_connections'), -5), { message: 'The value for the configuration parameter max_connections is less than the minimum allowed: 10' });
    assert.throws(() => normalizeValue(rule('max_connections'), 1e9), { message: 'The value for the configuration parameter max_connections is greater than the maximum allowed: 100000' });
    assert.throws(() => normalizeValue(rule('max_connections'), 'many'), { message: 'The value provided for the configuration parameter max_connections is not of type integer.' });
    assert.throws(() => normalizeValue(rule('max_connections'), 1.5), /not of type integer/);
    assert.throws(() => normalizeValue(rule('max_connections'), true), /not of type integer/);
    assert.throws(() => normalizeValue(rule('max_connections'), '10M'), /does not take a size suffix/);
  });

  it('checks floats, booleans and strings (allowed values, lists, shapes, no config-breaking characters)', () => {
    assert.equal(normalizeValue(rule('long_query_time'), 0.5), 0.5);
    assert.throws(() => normalizeValue(rule('long_query_time'), -1), /less than the minimum allowed: 0/);
    assert.throws(() => normalizeValue(rule('long_query_time'), 'slow'), /not of type float/);
    assert.equal(normalizeValue(rule('autocommit'), 'OFF'), false);
    assert.equal(normalizeValue(rule('autocommit'), 1), true);
    assert.throws(() => normalizeValue(rule('autocommit'), 'maybe'), /not of type boolean/);
    assert.equal(normalizeValue(rule('character_set_server'), 'UTF8MB4'), 'utf8mb4');
    assert.throws(() => normalizeValue(rule('character_set_server'), 'klingon'), /must be one of: utf8mb4/);
    assert.equal(normalizeValue(rule('sql_mode'), 'strict_trans_tables, NO_ZERO_DATE'), 'STRICT_TRANS_TABLES,NO_ZERO_DATE');
    assert.throws(() => normalizeValue(rule('sql_mode'), 'STRICT_TRANS_TABLES,BOGUS'), /comma-separated list of.*"BOGUS" is not/);
    assert.throws(() => normalizeValue(rule('collation_server'), "utf8'; DROP"), /may use only/);
    assert.throws(() => normalizeValue(rule('collation_server'), 'Bad Name'), /does not have the form/);
    assert.throws(() => normalizeValue(rule('save', REDIS_PARAMETERS), '3600 1\nslaveof x'), /may use only/);
    assert.throws(() => normalizeValue(rule('character_set_server'), 5), /not of type string/);
  });

  it('keeps a formula in a group and evaluates it per flavor, checking its range there', () => {
    const group = checkGroupValues(MARIADB_PARAMETERS, { innodb_buffer_pool_size: '{RAM * 3 / 4}', max_connections: '{RAM_MB / 4}' }, 'mysql 10.11');
    assert.equal(group.innodb_buffer_pool_size, '{RAM * 3 / 4}');
    assert.deepEqual(valuesForFlavor(MARIADB_PARAMETERS, group, GB1, 'mysql 10.11'), { innodb_buffer_pool_size: 805306368, max_connections: 256 });
    assert.deepEqual(valuesForFlavor(MARIADB_PARAMETERS, group, GB4, 'mysql 10.11'), { innodb_buffer_pool_size: 3221225472, max_connections: 1024 });
    assert.throws(() => valuesForFlavor(MARIADB_PARAMETERS, { max_connections: '{RAM_MB / 1000}' }, GB1, 'mysql 10.11'), /less than the minimum allowed: 10 \(for a flavor of 1024 MB RAM/);
    assert.throws(() => checkGroupValues(MARIADB_PARAMETERS, { max_connections: '{RAM_MB +}' }, 'mysql 10.11'), /formula for the configuration parameter max_connections is not valid/);
    assert.throws(() => checkGroupValues(MARIADB_PARAMETERS, { no_such_param: 1 }, 'mysql 10.11'), { message: 'The configuration parameter no_such_param is not supported for this datastore: mysql 10.11.' });
  });
});

describe('memory budget', () => {
  it('lets every engine’s flavor tuning through on every flavor size', () => {
    for (const ram of [256, 512, 1024, 2048, 4096, 16384]) {
      for (const rules of [MARIADB_PARAMETERS, POSTGRESQL_PARAMETERS, REDIS_PARAMETERS]) {
        assert.deepEqual(checkMemoryBudget(memoryBudget(rules, {}, flavorVariables(ram, 2)), true), [], `${rules[0]!.name} at ${ram} MB`);
      }
    }
  });

  const hasArithmetic = (text: string) => text.includes('innodb_buffer_pool_size 768.0 MB') && text.includes('max_connections 500 × (sort_buffer_size 4.0 MB') && /= [\d.]+ GB > the flavor's 1.00 GB of RAM/.test(text);

  it('warns of buffers + connections × per-connection memory above the RAM, with the arithmetic', () => {
    const values = valuesForFlavor(MARIADB_PARAMETERS, { innodb_buffer_pool_size: '768M', max_connections: 500, sort_buffer_size: '4M' }, GB1, 'mysql 10.11');
    const warnings = checkMemoryBudget(memoryBudget(MARIADB_PARAMETERS, values, GB1), false);
    assert.equal(warnings.length, 1);
    assert.ok(hasArithmetic(warnings[0]!), warnings[0]);
    assert.match(warnings[0]!, /Accepted/);
  });

  it('refuses that excess in strict mode, and fixed buffers above the RAM always', () => {
    const values = valuesForFlavor(MARIADB_PARAMETERS, { innodb_buffer_pool_size: '768M', max_connections: 500, sort_buffer_size: '4M' }, GB1, 'mysql 10.11');
    assert.throws(
      () => checkMemoryBudget(memoryBudget(MARIADB_PARAMETERS, values, GB1), true),
      (err: Error) => err instanceof ParameterError && hasArithmetic(err.message) && /strict_memory_budget/.test(err.message),
    );
    const fixed = valuesForFlavor(MARIADB_PARAMETERS, { innodb_buffer_pool_size: '2G' }, GB1, 'mysql 10.11');
    assert.throws(
      () => checkMemoryBudget(memoryBudget(MARIADB_PARAMETERS, fixed, GB1), false),
      (err: Error) => err instanceof ParameterError && /fixed buffers alone/.test(err.message) && /innodb_buffer_pool_size 2.00 GB/.test(err.message),
    );
  });

  it('reckons the per-connection buffers of each connection', () => {
    const budget = memoryBudget(POSTGRESQL_PARAMETERS, { shared_buffers: 65536, max_connections: 100, work_mem: 4096 }, GB1)!;
    assert.equal(budget.total_bytes, 512 * 1024 ** 2 + 100 * 4 * 1024 ** 2 + 64 * 1024 ** 2);
    assert.equal(budget.fits, true);
  });
});

describe('the catalog’s defaults repeat the agents’ flavor tuning', () => {
  const defaultOf = (rules: ParameterRule[], name: string, ram: number) => Math.floor(evaluateFormula(rule(name, rules).default!, flavorVariables(ram, 2)).number);
  // What the agents are sent for the flavor (pinned in tuning.test.ts), in the units the old agent formulas gave.
  const mariadbTuning = (ram: number, vcpus: number) => {
    const t = tuningFor({ tuning: MARIADB_TUNING }, { ram_mb: ram, vcpus });
    return { innodb_buffer_pool_size_mb: t.innodb_buffer_pool_size! / 1024 ** 2, max_connections: t.max_connections! };
  };
  const postgresTuning = (ram: number) => {
    const t = tuningFor({ tuning: POSTGRESQL_TUNING }, { ram_mb: ram, vcpus: 2 });
    return { shared_buffers_mb: t.shared_buffers! / 128, max_connections: t.max_connections!, maintenance_work_mem_mb: t.maintenance_work_mem! / 1024, work_mem_kb: t.work_mem! };
  };
  const redisTuning = (ram: number) => ({ maxmemory_mb: tuningFor({ tuning: REDIS_TUNING }, { ram_mb: ram, vcpus: 2 }).maxmemory! / 1024 ** 2 });
  for (const ram of [256, 512, 1000, 2048, 4096, 12288]) {
    it(`at ${ram} MB`, () => {
      const m = mariadbTuning(ram, 2);
      assert.equal(Math.floor(defaultOf(MARIADB_PARAMETERS, 'innodb_buffer_pool_size', ram) / 1024 ** 2), m.innodb_buffer_pool_size_mb);
      assert.equal(defaultOf(MARIADB_PARAMETERS, 'max_connections', ram), m.max_connections);
      const p = postgresTuning(ram);
      assert.equal(defaultOf(POSTGRESQL_PARAMETERS, 'shared_buffers', ram), p.shared_buffers_mb * 128);
      assert.equal(defaultOf(POSTGRESQL_PARAMETERS, 'max_connections', ram), p.max_connections);
      assert.equal(defaultOf(POSTGRESQL_PARAMETERS, 'maintenance_work_mem', ram), p.maintenance_work_mem_mb * 1024);
      assert.ok(Math.abs(defaultOf(POSTGRESQL_PARAMETERS, 'work_mem', ram) - p.work_mem_kb) <= 1);
      assert.equal(defaultOf(REDIS_PARAMETERS, 'maxmemory', ram), redisTuning(ram).maxmemory_mb * 1024 ** 2);
    });
  }
});

describe('what a change needs', () => {
  it('sets dynamic changes live, reverts dropped dynamic ones live, and asks a restart for restart-required ones', () => {
    assert.deepEqual(changeBetween(MARIADB_PARAMETERS, {}, { max_connections: 200 }), { changed: ['max_connections'], live: ['max_connections'], revert: [], restartRequired: false });
    assert.deepEqual(changeBetween(MARIADB_PARAMETERS, { max_connections: 200 }, { max_connections: 200, innodb_log_file_size: 1 << 26 }), { changed: ['innodb_log_file_size'], live: [], revert: [], restartRequired: true });
    // A dropped dynamic value goes back live; a dropped restart-required one waits for the restart.
    assert.deepEqual(changeBetween(MARIADB_PARAMETERS, { max_connections: 200 }, {}), { changed: ['max_connections'], live: [], revert: ['max_connections'], restartRequired: false });
    assert.deepEqual(changeBetween(MARIADB_PARAMETERS, { innodb_log_file_size: 1 << 26 }, {}), { changed: ['innodb_log_file_size'], live: [], revert: [], restartRequired: true });
    assert.deepEqual(changeBetween(MARIADB_PARAMETERS, { max_connections: 200 }, { max_connections: 200 }), { changed: [], live: [], revert: [], restartRequired: false });
  });
});
