import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, createCluster } from '@redis/client';
import { sleep } from '../common/time.js';
import type { ApiClient } from '../test-support/http-client.js';
import { run } from '../test-support/processes.js';
import { deleteCluster, idleCluster } from './cluster-waits.js';

const PORT = 6379;
const VALUE = 'v'.repeat(100);
const BENCH_USER = { name: 'bencher', password: 'Bench-Secret-1' };
/** Where the raw cluster's servers listen (the bench's Trove hands out 127.0.30.0/24). */
const RAW_ADDRESSES = ['127.0.31.11', '127.0.31.12', '127.0.31.13', '127.0.31.14'];

interface Auth {
  username?: string;
  password?: string;
}

interface ReshardResult {
  seconds: number;
  moved: number;
  longestPauseMs: number;
  writes: number;
  failedWrites: number;
}

/** Loads `keys` keys of 100 bytes through a cluster client, a thousand in flight at a time. */
async function load(address: string, auth: Auth, keys: number): Promise<void> {
  const client = createCluster({ rootNodes: [{ url: `redis://${address}:${PORT}` }], defaults: auth });
  await client.connect();
  try {
    for (let i = 0; i < keys; i += 1000) await Promise.all(Array.from({ length: Math.min(1000, keys - i) }, (_, j) => client.set(`key:${i + j}`, VALUE)));
  } finally {
    await client.close();
  }
}

/** One write at a time, each waiting for the last: the longest wait between two acknowledged writes is what a client sees of the move. */
function writeLoop(address: string, auth: Auth): { stop(): Promise<Pick<ReshardResult, 'longestPauseMs' | 'writes' | 'failedWrites'>> } {
  let running = true;
  const done = (async () => {
    const client = createCluster({ rootNodes: [{ url: `redis://${address}:${PORT}` }], defaults: auth });
    await client.connect();
    let last = performance.now();
    let longest = 0;
    let writes = 0;
    let failed = 0;
    // Bounded: at most ten million writes, and it stops when asked.
    for (let n = 0; running && n < 10_000_000; n++) {
      try {
        await client.set(`loop:${n % 10_000}`, String(n));
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
        writes++;
      } catch {
        failed++;
        await sleep(1);
      }
    }
    await client.close();
    return { longestPauseMs: longest, writes, failedWrites: failed };
  })();
  return {
    async stop() {
      running = false;
      return done;
    },
  };
}

async function dbsize(address: string, auth: Auth): Promise<number> {
  const client = createClient({ url: `redis://${address}:${PORT}`, ...auth });
  await client.connect();
  try {
    return Number(await client.dbSize());
  } finally {
    await client.close();
  }
}

const MEMBER = { flavorRef: '2', volume: { size: 1 } };

/** Trove: a 3-primary cluster holding `keys` keys grows by one primary; the grow moves a quarter of the slots onto it. */
async function troveReshard(api: ApiClient, keys: number): Promise<ReshardResult> {
  const created = await api.call('POST', '/clusters', { cluster: { name: 'bench-reshard', datastore: { type: 'redis', version: '7.0' }, instances: [MEMBER, MEMBER, MEMBER] } });
  if (created.status !== 200) throw new Error(`cluster create failed: ${JSON.stringify(created.body)}`);
  const id = created.body.cluster.id as string;
  try {
    const built = await idleCluster(api, id, 600_000);
    const user = await api.call('POST', `/instances/${built.instances[0]!.id}/users`, { users: [BENCH_USER] });
    if (user.status !== 202) throw new Error(`user create failed: ${JSON.stringify(user.body)}`);
    const auth = { username: BENCH_USER.name, password: BENCH_USER.password };
    const entry = built.instances[0]!.ip[0]!;
    await load(entry, auth, keys);
    const loop = writeLoop(entry, auth);
    const started = performance.now();
    const grown = await api.call('POST', `/clusters/${id}`, { grow: [MEMBER] });
    if (grown.status !== 202) throw new Error(`grow failed: ${JSON.stringify(grown.body)}`);
    const after = await idleCluster(api, id, 1_800_000);
    const seconds = (performance.now() - started) / 1000;
    const pauses = await loop.stop();
    const moved = await dbsize(after.instances[after.instances.length - 1]!.ip[0]!, auth);
    return { seconds, moved, ...pauses };
  } finally {
    await deleteCluster(api, id);
  }
}

/** The same by hand: four redis-server processes, the cluster of three made and grown by redis-cli's cluster manager. */
async function rawReshard(keys: number): Promise<ReshardResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'trove-bench-reshard-'));
  const servers: ChildProcess[] = [];
  try {
    for (const address of RAW_ADDRESSES) {
      const dir = join(scratch, address);
      mkdirSync(dir);
      servers.push(
        spawn(
          '/usr/bin/redis-server',
          [
            '--bind',
            address,
            '--port',
            String(PORT),
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, 'nodes.conf'),
            '--cluster-node-timeout',
            '5000',
            '--cluster-announce-ip',
            address,
            '--bind-source-addr',
            address,
            '--dir',
            dir,
            '--appendonly',
            'yes',
            '--save',
            '',
          ],
          {
            stdio: 'ignore',
          },
        ),
      );
    }
    const endpoints = RAW_ADDRESSES.map((a) => `${a}:${PORT}`);
    for (let i = 0; i < 100 && (await run('redis-cli', ['-h', RAW_ADDRESSES[3]!, 'PING'])).stdout.trim() !== 'PONG'; i++) await sleep(50);
    const made = await run('redis-cli', ['--cluster', 'create', ...endpoints.slice(0, 3), '--cluster-yes'], { PATH: process.env.PATH });
    if (made.code !== 0) throw new Error(`raw cluster create failed: ${made.stdout}`);
    for (let i = 0; i < 200 && !(await run('redis-cli', ['-h', RAW_ADDRESSES[0]!, 'CLUSTER', 'INFO'])).stdout.includes('cluster_state:ok'); i++) await sleep(50);
    await load(RAW_ADDRESSES[0]!, {}, keys);
    const loop = writeLoop(RAW_ADDRESSES[0]!, {});
    const started = performance.now();
    const added = await run('redis-cli', ['--cluster', 'add-node', endpoints[3]!, endpoints[0]!], { PATH: process.env.PATH });
    if (added.code !== 0) throw new Error(`raw add-node failed: ${added.stdout}`);
    // A slot moves only to a node its owner has met and that knows who serves every slot: all four must first.
    const allMet = async () => {
      for (const address of RAW_ADDRESSES) {
        const nodes = (await run('redis-cli', ['-h', address, 'CLUSTER', 'NODES'])).stdout.trim().split('\n');
        if (nodes.length !== RAW_ADDRESSES.length || nodes.some((line) => line.includes('handshake'))) return false;
        if (!(await run('redis-cli', ['-h', address, 'CLUSTER', 'INFO'])).stdout.includes('cluster_state:ok')) return false;
      }
      return (await run('redis-cli', ['--cluster', 'check', endpoints[0]!], { PATH: process.env.PATH })).code === 0;
    };
    for (let i = 0; i < 200 && !(await allMet()); i++) await sleep(100);
    const moved = await run('redis-cli', ['--cluster', 'rebalance', endpoints[0]!, '--cluster-use-empty-masters'], { PATH: process.env.PATH }, 1_800_000);
    if (moved.code !== 0) throw new Error(`raw rebalance failed: ${moved.stdout}`);
    const seconds = (performance.now() - started) / 1000;
    const pauses = await loop.stop();
    return { seconds, moved: await dbsize(RAW_ADDRESSES[3]!, {}), ...pauses };
  } finally {
    for (const server of servers) server.kill('SIGKILL');
    await sleep(200);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Redis Cluster's reshard on grow: a cluster of three primaries holding `keys` keys grows by a
 * fourth, live, under one client writing a key at a time; by hand (add-node + rebalance) and
 * through Trove's grow (a new member built, then the same tools), in the same run.
 */
export async function benchRedisReshard(api: ApiClient, keys: number, runs: number): Promise<string> {
  const rows: Array<[string, ReshardResult]> = [];
  for (let i = 0; i < runs; i++) {
    rows.push(['raw: redis-cli add-node + rebalance', await rawReshard(keys)]);
    rows.push(['trove: grow by one primary → NONE', await troveReshard(api, keys)]);
  }
  const header = `${'case'.padEnd(40)} ${'s'.padStart(7)} ${'moved'.padStart(8)} ${'keys/s'.padStart(8)} ${'pause ms'.padStart(9)} ${'writes'.padStart(7)} ${'failed'.padStart(7)}`;
  const lines = rows.map(
    ([name, r]) =>
      `${name.padEnd(40)} ${r.seconds.toFixed(2).padStart(7)} ${String(r.moved).padStart(8)} ${(r.moved / r.seconds).toFixed(0).padStart(8)} ${r.longestPauseMs.toFixed(0).padStart(9)} ${String(r.writes).padStart(7)} ${String(r.failedWrites).padStart(7)}`,
  );
  return `\nRedis Cluster reshard on grow: 3 primaries holding ${keys} keys of 100 bytes grow by one, live; one client writes a key at a time throughout (pause: the longest wait between two acknowledged writes; failed: writes the client saw refused); ${runs} runs each, interleaved\n${header}\n${lines.join('\n')}`;
}
