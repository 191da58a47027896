import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../common/time.js';
import { ApiClient } from '../test-support/http-client.js';
import { startServe, trove } from '../test-support/processes.js';
import { benchBackups, MARIADB_BENCH, POSTGRES_BENCH } from './backup-throughput.js';
import { rawMariadbBoot, rawPostgresBoot, rawRedisBoot } from './raw-boot.js';
import { benchReplication } from './replication-outage.js';
import { benchAccessPaths } from './access-paths.js';
import { benchAgentStatements } from './agent-statements.js';
import { benchClusterCreate } from './cluster-create.js';
import { benchGaleraGrow } from './galera-grow.js';
import { benchRedisReshard } from './redis-reshard.js';
import { benchGaleraWrites } from './galera-writes.js';
import { MYSQL, POSTGRESQL, REDIS } from '../test-support/datastore-profiles.js';
import { formatRows, type Row } from './stats.js';

const RUNS = Number(process.env.TROVE_BENCH_RUNS ?? 5);
const BACKUP_RUNS = Number(process.env.TROVE_BENCH_BACKUP_RUNS ?? 3);
const BACKUP_MIB = Number(process.env.TROVE_BENCH_BACKUP_MIB ?? 1024);
const REPLICATION_RUNS = Number(process.env.TROVE_BENCH_REPLICATION_RUNS ?? 5);
const FAILOVER_AFTER_SECONDS = 5;
const ACCESS_RUNS = Number(process.env.TROVE_BENCH_ACCESS_RUNS ?? 5);
const ACCESS_SECONDS = Number(process.env.TROVE_BENCH_ACCESS_SECONDS ?? 10);
const STATEMENT_RUNS = Number(process.env.TROVE_BENCH_STATEMENT_RUNS ?? 30);
const CLUSTER_RUNS = Number(process.env.TROVE_BENCH_CLUSTER_RUNS ?? 3);
const CLUSTER_WRITE_SECONDS = Number(process.env.TROVE_BENCH_CLUSTER_WRITE_SECONDS ?? 10);
const GROW_RUNS = Number(process.env.TROVE_BENCH_GROW_RUNS ?? 2);
const GROW_MIB = Number(process.env.TROVE_BENCH_GROW_MIB ?? 1024);
const RESHARD_RUNS = Number(process.env.TROVE_BENCH_RESHARD_RUNS ?? 2);
const RESHARD_KEYS = Number(process.env.TROVE_BENCH_RESHARD_KEYS ?? 200_000);
/** Which parts to run: create, backup, replication, access, statements, cluster, grow, reshard (default all). */
const PARTS = (process.env.TROVE_BENCH ?? 'create,backup,replication,access,statements,cluster,grow,reshard').split(',');

/** Seconds from POST /instances to the first GET that shows ACTIVE (polled every 10 ms). */
async function createToActive(api: ApiClient, datastore: string, version: string): Promise<number> {
  const started = performance.now();
  const created = await api.call('POST', '/instances', { instance: { name: `bench-${datastore}`, flavorRef: '2', volume: { size: 1 }, datastore: { type: datastore, version } } });
  if (created.status !== 200) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const id = created.body.instance.id as string;
  for (;;) {
    const shown = (await api.call('GET', `/instances/${id}`)).body.instance;
    if (shown.status === 'ACTIVE') break;
    if (shown.status === 'ERROR') throw new Error(`instance failed: ${JSON.stringify(shown.fault)}`);
    await sleep(10);
  }
  const seconds = (performance.now() - started) / 1000;
  await api.call('DELETE', `/instances/${id}`);
  await api.waitForStatus(id, ['GONE'], 120_000);
  return seconds;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'trove-bench-'));
  writeFileSync(
    join(dataDir, 'trove.toml'),
    `[compute]\naddress_pool = "127.0.30.0/24"\npublic_address = "127.0.39.0/24"\n\n[rate_limits]\nGET = 0\nPOST = 0\nPATCH = 0\nDELETE = 0\n\n[tasks]\nreconcile_seconds = 1\n\n[replication]\nfailover_after_seconds = ${FAILOVER_AFTER_SECONDS}\n`,
  );
  const env = { TROVE_DATA_DIR: dataDir };
  await trove(['manage', 'bootstrap', '--admin-password', 'bench-admin'], env);
  const server = await startServe(dataDir);
  try {
    const api = await ApiClient.login(server.url, 'admin', 'bench-admin', 'admin');
    if (PARTS.includes('create')) await benchCreates(api);
    if (PARTS.includes('backup')) {
      const rows: Row[] = [];
      const throughput: Array<[string, number]> = [];
      for (const engine of [MARIADB_BENCH, POSTGRES_BENCH]) {
        const result = await benchBackups(api, dataDir, engine, BACKUP_MIB, BACKUP_RUNS);
        rows.push(...result.rows);
        throughput.push(...result.throughput);
      }
      console.log(formatRows(`\nbackup and restore of a ${BACKUP_MIB} MiB data set, flavor 4; ${BACKUP_RUNS} runs each; ratio = median / baseline median (time: lower is faster)`, rows));
      console.log(`\nthroughput (MiB of data set per second, from the medians)\n${throughput.map(([n, v]) => `${n.padEnd(50)} ${v.toFixed(0).padStart(7)}`).join('\n')}`);
    }
    if (PARTS.includes('replication')) {
      const rows: Row[] = [];
      for (const profile of [MYSQL, POSTGRESQL, REDIS]) rows.push(...(await benchReplication(api, dataDir, profile, REPLICATION_RUNS, FAILOVER_AFTER_SECONDS)));
      console.log(formatRows(`\nwrite outage of a source and one replica under a steady stream of writes (longest gap between acknowledged writes); failover: the source's host is gone (kill -9, nothing restarts it); ${REPLICATION_RUNS} runs each`, rows));
      console.log(PUBLISHED_OUTAGES);
    }
    if (PARTS.includes('access')) console.log(await benchAccessPaths(api, ACCESS_RUNS, ACCESS_SECONDS));
    if (PARTS.includes('cluster')) {
      const rows = await benchClusterCreate(api, CLUSTER_RUNS, (datastore, version) => createToActive(api, datastore, version));
      console.log(await benchGaleraWrites(api, CLUSTER_RUNS, CLUSTER_WRITE_SECONDS));
      console.log(
        formatRows(
          `\ncluster create → every member ACTIVE against one create, flavor 2, 1 GB volumes; members build in parallel; Galera: the first starts the cluster and the others join it by mariabackup; Redis: all start empty and redis-cli --cluster create joins them; ${CLUSTER_RUNS} runs each, interleaved; ratio = median / one create's median`,
          rows,
        ),
      );
    }
    if (PARTS.includes('grow')) {
      console.log(
        formatRows(
          `\ngrow of a 3-member Galera cluster holding ${GROW_MIB} MiB by one member (flavor 2), against the raw copy a state transfer makes from the same member; ${GROW_RUNS} runs each, interleaved, each grow undone by a shrink; ratio = median / raw median`,
          await benchGaleraGrow(api, dataDir, GROW_MIB, GROW_RUNS),
        ),
      );
    }
    if (PARTS.includes('reshard')) console.log(await benchRedisReshard(api, RESHARD_KEYS, RESHARD_RUNS));
    if (PARTS.includes('statements')) console.log(formatRows(`\nthe agent's statements to its engine, timed on the agent's socket, one at a time; ${STATEMENT_RUNS} runs each`, await benchAgentStatements(api, dataDir, STATEMENT_RUNS)));
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** What others publish for the same operations, printed beside our figures (their set-ups differ: networks, DNS, Kubernetes). */
const PUBLISHED_OUTAGES = `
published figures, for comparison
Amazon RDS Multi-AZ failover                        60–120 s (as the issue cites AWS)
CloudNativePG switchover (Keycloak's CNPG guide)    "less than one minute"
Percona Operator for PostgreSQL (Patroni)           switchover ~8 s, primary pod deleted ~13 s (direct connections)
Aiven for PostgreSQL switch to a new primary        "typically about 5 seconds and almost always under 10"`;

async function benchCreates(api: ApiClient): Promise<void> {
  {
    // The first create on a host also makes the engine's template (mariadb-install-db, initdb) once.
    const firstMysql = [await createToActive(api, 'mysql', '10.11')];
    const firstPostgres = [await createToActive(api, 'postgresql', '15')];
    const samples = { rawMariadb: [] as number[], mysql: [] as number[], mariadb: [] as number[], rawPostgres: [] as number[], postgres: [] as number[], rawRedis: [] as number[], redis: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      samples.rawMariadb.push(await rawMariadbBoot('127.0.31.1'));
      samples.mysql.push(await createToActive(api, 'mysql', '10.11'));
      samples.mariadb.push(await createToActive(api, 'mariadb', '10.11'));
      samples.rawPostgres.push(await rawPostgresBoot('127.0.31.1', '15'));
      samples.postgres.push(await createToActive(api, 'postgresql', '15'));
      samples.rawRedis.push(await rawRedisBoot('127.0.31.1'));
      samples.redis.push(await createToActive(api, 'redis', '7.0'));
    }
    const rows: Row[] = [
      { name: 'raw: mariadb-install-db + start + first ping', samples: samples.rawMariadb },
      { name: 'trove: create mysql 10.11 → ACTIVE', samples: samples.mysql, baseline: samples.rawMariadb },
      { name: 'trove: create mariadb 10.11 → ACTIVE', samples: samples.mariadb, baseline: samples.rawMariadb },
      { name: 'trove: first mysql create on a host (+template)', samples: firstMysql, baseline: samples.rawMariadb },
      { name: 'raw: initdb + postgres + first pg_isready', samples: samples.rawPostgres },
      { name: 'trove: create postgresql 15 → ACTIVE', samples: samples.postgres, baseline: samples.rawPostgres },
      { name: 'trove: first postgresql create (+template)', samples: firstPostgres, baseline: samples.rawPostgres },
      { name: 'raw: redis-server + first PING', samples: samples.rawRedis },
      { name: 'trove: create redis 7.0 → ACTIVE', samples: samples.redis, baseline: samples.rawRedis },
    ];
    console.log(formatRows(`create → ACTIVE, flavor 2 (1 GB RAM), 1 GB volume; ${RUNS} runs each, interleaved; ratio = median / raw median`, rows));
  }
}

await main();
