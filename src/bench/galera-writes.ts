import { createConnection } from 'mariadb';
import { sleep } from '../common/time.js';
import type { ApiClient } from '../test-support/http-client.js';
import { median } from './stats.js';

const USER = { name: 'bench', password: 'Bench-Secret-1' };
const DATABASE = 'benchdb';
const CLIENTS = 4;
const MEMBER = { flavorRef: '2', volume: { size: 1 } };

async function waitFor<T>(what: string, look: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const seen = await look();
    if (seen !== undefined) return seen;
    await sleep(250);
  }
  throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
}

/** Committed single-row inserts per second from CLIENTS connections to `host` for `seconds`, each insert its own transaction. */
async function insertRate(host: string, seconds: number): Promise<number> {
  const stop = Date.now() + seconds * 1000;
  const counts = await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      const connection = await createConnection({ host, port: 3306, user: USER.name, password: USER.password, database: DATABASE });
      let n = 0;
      try {
        while (Date.now() < stop) {
          await connection.query('INSERT INTO writes (client, payload) VALUES (?, ?)', [client, 'x'.repeat(100)]);
          n++;
        }
      } finally {
        await connection.end();
      }
      return n;
    }),
  );
  return counts.reduce((a, b) => a + b, 0) / seconds;
}

async function prepareTable(host: string): Promise<void> {
  const connection = await createConnection({ host, port: 3306, user: USER.name, password: USER.password, database: DATABASE });
  try {
    await connection.query('CREATE TABLE IF NOT EXISTS writes (id BIGINT AUTO_INCREMENT PRIMARY KEY, client INT, payload VARCHAR(200))');
  } finally {
    await connection.end();
  }
}

/**
 * Galera's certification cost: the same insert loop against one standalone MariaDB and one member
 * of a 3-member cluster, same flavor, alternating in the same run. Returns the printed table.
 */
export async function benchGaleraWrites(api: ApiClient, runs: number, seconds: number): Promise<string> {
  const standalone = await api.call('POST', '/instances', {
    instance: { name: 'bench-standalone', ...MEMBER, datastore: { type: 'mysql', version: '10.11' }, databases: [{ name: DATABASE }], users: [{ ...USER, databases: [{ name: DATABASE }] }] },
  });
  if (standalone.status !== 200) throw new Error(`create failed: ${JSON.stringify(standalone.body)}`);
  const cluster = await api.call('POST', '/clusters', { cluster: { name: 'bench-writes', datastore: { type: 'mysql', version: '10.11' }, instances: [MEMBER, MEMBER, MEMBER] } });
  if (cluster.status !== 200) throw new Error(`cluster create failed: ${JSON.stringify(cluster.body)}`);
  const instanceId = standalone.body.instance.id as string;
  const clusterId = cluster.body.cluster.id as string;
  try {
    const single = await waitFor(
      'the standalone instance ACTIVE',
      async () => {
        const view = (await api.call('GET', `/instances/${instanceId}`)).body.instance;
        if (view.status === 'ERROR') throw new Error(`instance failed: ${JSON.stringify(view.fault)}`);
        return view.status === 'ACTIVE' ? (view.ip[0] as string) : undefined;
      },
      300_000,
    );
    const member = await waitFor(
      'the cluster built',
      async () => {
        const view = (await api.call('GET', `/clusters/${clusterId}`)).body.cluster;
        if (view.fault) throw new Error(`cluster failed: ${view.fault.message}`);
        return view.task.name === 'NONE' ? view.instances[0] : undefined;
      },
      600_000,
    );
    await api.call('POST', `/instances/${member.id}/databases`, { databases: [{ name: DATABASE }] });
    await api.call('POST', `/instances/${member.id}/users`, { users: [{ ...USER, databases: [{ name: DATABASE }] }] });
    const memberIp = member.ip[0] as string;
    await waitFor(
      'the cluster user',
      async () =>
        prepareTable(memberIp).then(
          () => true,
          () => undefined,
        ),
      30_000,
    );
    await prepareTable(single);
    const rates = { single: [] as number[], member: [] as number[] };
    for (let i = 0; i < runs; i++) {
      rates.single.push(await insertRate(single, seconds));
      rates.member.push(await insertRate(memberIp, seconds));
    }
    const s = median(rates.single);
    const m = median(rates.member);
    return [
      `\nGalera write throughput: committed single-row inserts per second, ${CLIENTS} clients, ${seconds} s a run, ${runs} runs each, alternating; flavor 2, 1 GB volumes; all three members on this host; the standalone flushes its log at each commit, members once a second (a commit is on every member first)`,
      `${'case'.padEnd(50)} ${'median/s'.padStart(9)} ${'min/s'.padStart(8)} ${'max/s'.padStart(8)}`,
      `${'standalone mysql 10.11'.padEnd(50)} ${s.toFixed(0).padStart(9)} ${Math.min(...rates.single)
        .toFixed(0)
        .padStart(8)} ${Math.max(...rates.single)
        .toFixed(0)
        .padStart(8)}`,
      `${'member 1 of a 3-member Galera cluster'.padEnd(50)} ${m.toFixed(0).padStart(9)} ${Math.min(...rates.member)
        .toFixed(0)
        .padStart(8)} ${Math.max(...rates.member)
        .toFixed(0)
        .padStart(8)}`,
      `cluster / standalone: ${((m / s) * 100).toFixed(0)} % (what certification and the synchronous copy to the other members cost)`,
    ].join('\n');
  } finally {
    await api.call('DELETE', `/instances/${instanceId}`);
    await api.call('DELETE', `/clusters/${clusterId}`);
    await waitFor('the bench resources gone', async () => ((await api.call('GET', `/clusters/${clusterId}`)).status === 404 && (await api.call('GET', `/instances/${instanceId}`)).status === 404 ? true : undefined), 300_000);
  }
}
