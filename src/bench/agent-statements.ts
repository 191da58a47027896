import { request } from 'node:http';
import { join } from 'node:path';
import type { ApiClient } from '../test-support/http-client.js';
import type { Row } from './stats.js';

/** One call to an instance's agent over its unix socket; resolves with the status code. */
function callAgent(socketPath: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function timed(action: () => Promise<number>, expected: number): Promise<number> {
  const started = performance.now();
  const status = await action();
  if (status !== expected) throw new Error(`the agent answered ${status}, not ${expected}`);
  return (performance.now() - started) / 1000;
}

const ENGINES = [
  { type: 'mysql', version: '10.11' },
  { type: 'postgresql', version: '15' },
  { type: 'redis', version: '7.0' },
];

/**
 * What the agent's statements cost, per engine: GET /status on the agent (which asks the engine
 * for its replication position) and a user creation (POST /users: existence checks, then the
 * creation and its grants or ACL save), each timed on the agent's own socket, sequentially.
 */
export async function benchAgentStatements(api: ApiClient, dataDir: string, runs: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const engine of ENGINES) {
    const created = await api.call('POST', '/instances', { instance: { name: `bench-statements-${engine.type}`, flavorRef: '2', volume: { size: 1 }, datastore: engine } });
    if (created.status !== 200) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
    const id = created.body.instance.id as string;
    try {
      const view = await api.waitForStatus(id, ['ACTIVE', 'ERROR']);
      if (view.status !== 'ACTIVE') throw new Error(`instance failed: ${JSON.stringify(view.fault)}`);
      const socket = join(dataDir, 'instances', id, 'agent.sock');
      for (let i = 0; i < 3; i++) await timed(() => callAgent(socket, 'GET', '/status'), 200); // warm-up
      const status: number[] = [];
      const users: number[] = [];
      for (let i = 0; i < runs; i++) {
        status.push(await timed(() => callAgent(socket, 'GET', '/status'), 200));
        users.push(await timed(() => callAgent(socket, 'POST', '/users', { users: [{ name: `bench${i}`, password: `Bench-Secret-${i}`, databases: [] }] }), 200));
      }
      rows.push({ name: `${engine.type}: agent GET /status`, samples: status }, { name: `${engine.type}: agent POST /users (one user)`, samples: users });
    } finally {
      await api.call('DELETE', `/instances/${id}`);
      await api.waitForStatus(id, ['GONE'], 120_000);
    }
  }
  return rows;
}
