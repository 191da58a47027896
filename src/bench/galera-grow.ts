import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiClient } from '../test-support/http-client.js';
import { MARIADB_BENCH, timed } from './backup-throughput.js';
import { deleteCluster, idleCluster } from './cluster-waits.js';
import type { Row } from './stats.js';

/** Members hold the data set twice over (tables and binary log), with room to spare. */
const member = (mib: number) => ({ flavorRef: '2', volume: { size: Math.ceil((mib * 3) / 1024) + 1 } });

/**
 * Grow of a Galera cluster holding about `mib` MiB: seconds from the grow request to the new
 * member in the cluster and ACTIVE, against the raw copy a state transfer makes, taken from the
 * same member in the same run (`mariabackup --backup --stream | mbstream -x` into a folder).
 * Each grow is undone by a shrink before the next run.
 */
export async function benchGaleraGrow(api: ApiClient, dataDir: string, mib: number, runs: number): Promise<Row[]> {
  const created = await api.call('POST', '/clusters', { cluster: { name: 'bench-grow', datastore: { type: 'mysql', version: '10.11' }, instances: [member(mib), member(mib), member(mib)] } });
  if (created.status !== 200) throw new Error(`cluster create failed: ${JSON.stringify(created.body)}`);
  const id = created.body.cluster.id as string;
  const scratch = mkdtempSync(join(tmpdir(), 'trove-bench-grow-'));
  try {
    const built = await idleCluster(api, id, 600_000);
    const folder = join(dataDir, 'instances', built.instances[0]!.id);
    await MARIADB_BENCH.load(folder, '', mib);
    const samples = { raw: [] as number[], grow: [] as number[] };
    for (let i = 0; i < runs; i++) {
      const into = join(scratch, `copy-${i}`);
      samples.raw.push(await timed(`mkdir -p ${into} && ${MARIADB_BENCH.rawBackup(folder)} | mbstream -x -C ${into}`));
      rmSync(into, { recursive: true, force: true });
      const started = performance.now();
      const grown = await api.call('POST', `/clusters/${id}`, { grow: [member(mib)] });
      if (grown.status !== 202) throw new Error(`grow failed: ${JSON.stringify(grown.body)}`);
      const after = await idleCluster(api, id, 1_800_000);
      samples.grow.push((performance.now() - started) / 1000);
      const added = after.instances[after.instances.length - 1]!;
      const shrunk = await api.call('POST', `/clusters/${id}`, { shrink: [{ id: added.id }] });
      if (shrunk.status !== 202) throw new Error(`shrink failed: ${JSON.stringify(shrunk.body)}`);
      await idleCluster(api, id, 600_000);
    }
    return [
      { name: `raw: mariabackup --stream | mbstream -x, ${mib} MiB`, samples: samples.raw },
      { name: 'trove: grow by one member → ACTIVE (SST)', samples: samples.grow, baseline: samples.raw },
    ];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await deleteCluster(api, id);
  }
}
