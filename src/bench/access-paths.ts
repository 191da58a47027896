import { run } from '../test-support/processes.js';
import type { ApiClient } from '../test-support/http-client.js';
import { median } from './stats.js';

const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';
const USER = 'bench';
const PASSWORD = 'Bench-Secret-1';
const DATABASE = 'benchdb';

interface PgbenchRun {
  tps: number;
  latencyMs: number;
}

/** pgbench's select-only loop for `seconds` against one address and port. */
async function pgbench(host: string, port: number, seconds: number): Promise<PgbenchRun> {
  const result = await run(PGBENCH, ['-n', '-S', '-c', '4', '-j', '2', '-T', String(seconds), '-h', host, '-p', String(port), '-U', USER, DATABASE], { PATH: process.env.PATH, PGPASSWORD: PASSWORD }, (seconds + 60) * 1000);
  if (result.code !== 0) throw new Error(`pgbench against ${host}:${port}: ${result.stderr}`);
  const tps = /tps = ([\d.]+)/.exec(result.stdout);
  const latency = /latency average = ([\d.]+) ms/.exec(result.stdout);
  if (!tps || !latency) throw new Error(`pgbench printed no figures: ${result.stdout}`);
  return { tps: Number(tps[1]), latencyMs: Number(latency[1]) };
}

/**
 * A simple query loop (pgbench -S, 4 clients) through an instance's public endpoint (the packet
 * filter's translation to its private address, and its allowed_cidrs check) against its private
 * address, alternating, in the same run. Returns the printed table.
 */
export async function benchAccessPaths(api: ApiClient, runs: number, seconds: number): Promise<string> {
  const created = await api.call('POST', '/instances', {
    instance: {
      name: 'bench-access',
      flavorRef: '3',
      volume: { size: 1 },
      datastore: { type: 'postgresql', version: '15' },
      databases: [{ name: DATABASE }],
      users: [{ name: USER, password: PASSWORD, databases: [{ name: DATABASE }] }],
      access: { is_public: true, allowed_cidrs: ['127.0.0.0/8'] },
    },
  });
  if (created.status !== 200) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const id = created.body.instance.id as string;
  try {
    const view = await api.waitForStatus(id, ['ACTIVE', 'ERROR']);
    if (view.status !== 'ACTIVE') throw new Error(`instance failed: ${JSON.stringify(view.fault)}`);
    const privateAddress = view.addresses.find((a: { type: string }) => a.type === 'private');
    const publicAddress = view.addresses.find((a: { type: string }) => a.type === 'public');
    const init = await run(PGBENCH, ['-i', '-s', '1', '-q', '-h', privateAddress.address, '-U', USER, DATABASE], { PATH: process.env.PATH, PGPASSWORD: PASSWORD }, 120_000);
    if (init.code !== 0) throw new Error(`pgbench -i: ${init.stderr}`);
    const samples = { private: [] as PgbenchRun[], public: [] as PgbenchRun[] };
    await pgbench(privateAddress.address, privateAddress.port, 2); // warm-up: caches and the engine's first connections
    // Alternating, each path first every other run: neither pays for the other's warm-up or drift.
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? (['private', 'public'] as const) : (['public', 'private'] as const);
      for (const path of order) samples[path].push(path === 'private' ? await pgbench(privateAddress.address, privateAddress.port, seconds) : await pgbench(publicAddress.address, publicAddress.port, seconds));
    }
    const tps = (list: PgbenchRun[]) => median(list.map((r) => r.tps));
    const latency = (list: PgbenchRun[]) => median(list.map((r) => r.latencyMs));
    const line = (name: string, list: PgbenchRun[]) =>
      `${name.padEnd(48)} ${tps(list).toFixed(0).padStart(9)} ${Math.min(...list.map((r) => r.tps))
        .toFixed(0)
        .padStart(9)} ${Math.max(...list.map((r) => r.tps))
        .toFixed(0)
        .padStart(9)} ${latency(list).toFixed(3).padStart(11)} ${(tps(list) / tps(samples.private)).toFixed(3).padStart(7)}`;
    return [
      `\naccess paths: pgbench -S (4 clients, 2 threads) for ${seconds} s, ${runs} runs each, alternating; PostgreSQL 15, flavor 3; public = the packet filter's translation + allowed_cidrs check`,
      `${'case'.padEnd(48)} ${'tps med'.padStart(9)} ${'tps min'.padStart(9)} ${'tps max'.padStart(9)} ${'latency ms'.padStart(11)} ${'ratio'.padStart(7)}`,
      line(`private address ${privateAddress.address}:${privateAddress.port}`, samples.private),
      line(`public endpoint ${publicAddress.address}:${publicAddress.port}`, samples.public),
    ].join('\n');
  } finally {
    await api.call('DELETE', `/instances/${id}`);
    await api.waitForStatus(id, ['GONE'], 120_000);
  }
}
