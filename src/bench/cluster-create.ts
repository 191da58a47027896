import { sleep } from '../common/time.js';
import type { ApiClient } from '../test-support/http-client.js';
import type { Row } from './stats.js';

const MEMBER = { flavorRef: '2', volume: { size: 1 } };

/** Seconds from POST /clusters to the first GET that shows the task NONE with every member ACTIVE; the cluster is then deleted. */
async function clusterToActive(api: ApiClient, members: number): Promise<number> {
  const started = performance.now();
  const created = await api.call('POST', '/clusters', { cluster: { name: 'bench-galera', datastore: { type: 'mysql', version: '10.11' }, instances: Array.from({ length: members }, () => MEMBER) } });
  if (created.status !== 200) throw new Error(`cluster create failed: ${JSON.stringify(created.body)}`);
  const id = created.body.cluster.id as string;
  for (;;) {
    const shown = (await api.call('GET', `/clusters/${id}`)).body.cluster;
    if (shown.fault) throw new Error(`cluster failed: ${shown.fault.message}`);
    if (shown.task.name === 'NONE') break;
    await sleep(50);
  }
  const seconds = (performance.now() - started) / 1000;
  await api.call('DELETE', `/clusters/${id}`);
  for (let i = 0; i < 1200 && (await api.call('GET', `/clusters/${id}`)).status !== 404; i++) await sleep(100);
  return seconds;
}

/** One instance's create, interleaved with a 3-member Galera cluster's, on the same host and flavor. */
export async function benchClusterCreate(api: ApiClient, runs: number, createToActive: () => Promise<number>): Promise<Row[]> {
  const single: number[] = [];
  const cluster: number[] = [];
  for (let i = 0; i < runs; i++) {
    single.push(await createToActive());
    cluster.push(await clusterToActive(api, 3));
  }
  return [
    { name: 'trove: create mysql 10.11 → ACTIVE (one instance)', samples: single },
    { name: 'trove: create a 3-member Galera cluster → NONE', samples: cluster, baseline: single },
  ];
}
