import type { ApiClient } from '../test-support/http-client.js';
import { deleteCluster, idleCluster } from './cluster-waits.js';
import type { Row } from './stats.js';

const MEMBER = { flavorRef: '2', volume: { size: 1 } };

/** Seconds from POST /clusters to the first GET that shows the task NONE with every member ACTIVE; the cluster is then deleted. */
async function clusterToActive(api: ApiClient, datastore: string, version: string, members: number): Promise<number> {
  const started = performance.now();
  const created = await api.call('POST', '/clusters', { cluster: { name: `bench-${datastore}`, datastore: { type: datastore, version }, instances: Array.from({ length: members }, () => MEMBER) } });
  if (created.status !== 200) throw new Error(`cluster create failed: ${JSON.stringify(created.body)}`);
  const id = created.body.cluster.id as string;
  await idleCluster(api, id, 600_000, 50);
  const seconds = (performance.now() - started) / 1000;
  await deleteCluster(api, id);
  return seconds;
}

/** One instance's create, interleaved with a 3-member cluster's, on the same host and flavor: Galera (mysql) and Redis Cluster (three primaries). */
export async function benchClusterCreate(api: ApiClient, runs: number, createToActive: (datastore: string, version: string) => Promise<number>): Promise<Row[]> {
  const samples = { mysql: [] as number[], galera: [] as number[], redis: [] as number[], redisCluster: [] as number[] };
  for (let i = 0; i < runs; i++) {
    samples.mysql.push(await createToActive('mysql', '10.11'));
    samples.galera.push(await clusterToActive(api, 'mysql', '10.11', 3));
    samples.redis.push(await createToActive('redis', '7.0'));
    samples.redisCluster.push(await clusterToActive(api, 'redis', '7.0', 3));
  }
  return [
    { name: 'trove: create mysql 10.11 → ACTIVE (one instance)', samples: samples.mysql },
    { name: 'trove: create a 3-member Galera cluster → NONE', samples: samples.galera, baseline: samples.mysql },
    { name: 'trove: create redis 7.0 → ACTIVE (one instance)', samples: samples.redis },
    { name: 'trove: create a 3-primary Redis cluster → NONE', samples: samples.redisCluster, baseline: samples.redis },
  ];
}
