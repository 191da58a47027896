import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sleep } from '../common/time.js';
import type { DatastoreProfile } from './datastore-profiles.js';
import { leftovers } from './leaks.js';
import { startTroveHost, type TroveHost } from './trove-host.js';

/** Retries a client call for a few seconds while the engine comes back after a restart. */
async function eventually(read: () => Promise<{ code: number; stdout: string }>, expected: string): Promise<string> {
  let result = await read();
  for (let i = 0; i < 100 && (result.code !== 0 || result.stdout.trim() !== expected); i++) {
    await sleep(100);
    result = await read();
  }
  return result.stdout.trim();
}

function postToAgent(socketPath: string, path: string, body: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/**
 * The crash, bad-input and clean-up tests every datastore must pass, run against the real
 * engine of the profile through `trove serve`.
 */
export function describeInstanceLifecycle(profile: DatastoreProfile, addressPool: string): void {
  const createBody = (name: string, extra: object = {}) => ({
    instance: { name, flavorRef: '2', volume: { size: 1 }, datastore: { type: profile.type, version: profile.version }, ...profile.account, ...extra },
  });

  describe(`${profile.type} instances survive crashes and refuse bad input`, () => {
    let host: TroveHost;
    let id = '';
    let ip = '';
    const folder = () => join(host.dataDir, 'instances', id);
    const enginePid = () => Number(readFileSync(join(folder(), profile.enginePidFile), 'utf8').split('\n')[0]!.trim());

    before(async () => {
      host = await startTroveHost(addressPool);
    });
    after(async () => {
      await host?.close();
    });

    it('creates an instance whose application account writes data', async () => {
      const created = await host.demo.call('POST', '/instances', createBody('main'));
      assert.equal(created.status, 200, JSON.stringify(created.body));
      id = created.body.instance.id;
      const active = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR']);
      assert.equal(active.status, 'ACTIVE', JSON.stringify(active));
      ip = active.ip[0];
      const setUp = await profile.setUp(ip);
      assert.equal(setUp.code, 0, setUp.stderr + setUp.stdout);
      const written = await profile.write(ip, 'before-crash');
      assert.equal(written.code, 0, written.stderr + written.stdout);
      assert.equal((await profile.read(ip)).stdout.trim(), 'before-crash');
    });

    it('validates every agent RPC', async () => {
      const socket = join(folder(), 'agent.sock');
      const injection = await postToAgent(socket, '/prepare', { flavor: { ram_mb: 1024, vcpus: 1, tuning: {} }, databases: [{ name: 'x`; DROP DATABASE mysql; --' }], users: [] });
      assert.equal(injection.status, 400);
      assert.match(injection.body, /must match pattern/);
      assert.equal((await postToAgent(socket, '/prepare', { flavor: { ram_mb: 1024, vcpus: 1, tuning: {} }, databases: [], users: [], shell: 'rm -rf /' })).status, 400);
      assert.equal((await postToAgent(socket, '/prepare', { flavor: { ram_mb: -1, vcpus: 1, tuning: {} }, databases: [], users: [] })).status, 400);
      assert.equal((await postToAgent(socket, '/users', { users: [{ name: "a' OR '1", password: 'p', databases: [] }] })).status, 400);
    });

    it('has a crashed engine restarted by its agent, with committed data kept', async () => {
      const killed = enginePid();
      process.kill(killed, 'SIGKILL');
      let restarted = killed;
      for (let i = 0; i < 600 && restarted === killed; i++) {
        await sleep(100);
        try {
          restarted = enginePid();
        } catch {
          // being rewritten
        }
      }
      assert.notEqual(restarted, killed, 'a new engine process runs');
      assert.equal(await eventually(() => profile.read(ip), 'before-crash'), 'before-crash');
      // An engine can take a few tries to come back (its old children may still hold resources):
      // the next test starts from an instance that has stayed ACTIVE for a while, not a passing one.
      await steadilyActive();
    });

    async function steadilyActive(): Promise<void> {
      const deadline = Date.now() + 60_000;
      let since = 0;
      while (Date.now() < deadline) {
        const status = (await host.demo.call('GET', `/instances/${id}`)).body.instance.status;
        since = status === 'ACTIVE' ? since || Date.now() : 0;
        if (since && Date.now() - since >= 3000) return;
        await sleep(100);
      }
      assert.fail('the instance did not stay ACTIVE for 3 s');
    }

    it('marks a silent agent within seconds, and comes back by itself after agent and engine are killed', async () => {
      const agentPid = Number(readFileSync(join(folder(), 'agent.pid'), 'utf8').trim());
      const engine = enginePid();
      process.kill(agentPid, 'SIGSTOP');
      try {
        const silent = await host.demo.waitForStatus(id, ['SHUTDOWN', 'ERROR'], 30_000);
        assert.equal(silent.operating_status, 'UNKNOWN');
        assert.match(silent.fault.message, /unreachable since/);
      } finally {
        process.kill(engine, 'SIGKILL');
        process.kill(agentPid, 'SIGKILL');
      }
      const back = await host.demo.waitForStatus(id, ['ACTIVE'], 60_000);
      assert.equal(back.fault, undefined);
      assert.equal(await eventually(() => profile.read(ip), 'before-crash'), 'before-crash');
    });

    it('rebuilds the guest from its image on the same volume: the data stays, the agent and its files are new', async () => {
      const version = (await host.admin.call('GET', `/datastores/${profile.type}/versions/${profile.version}`)).body.version;
      assert.match(version.image, /^[0-9a-f-]{36}$/, 'the admin view shows the image');
      const other = (await host.admin.call('GET', '/datastores')).body.datastores.flatMap((d: { versions: Array<{ image: string }> }) => d.versions.map((v) => v.image));
      assert.deepEqual([...new Set(other)], [version.image], 'one image serves every installed datastore version');
      const unknown = await host.admin.call('POST', `/mgmt/instances/${id}/action`, { rebuild: { image_id: '00000000-0000-5000-8000-000000000000' } });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.badRequest.message, new RegExp(`cannot be found.*built from image '${version.image}'`));
      assert.equal((await host.demo.call('POST', `/mgmt/instances/${id}/action`, { rebuild: { image_id: version.image } })).status, 403, 'admins only');
      const agentBefore = Number(readFileSync(join(folder(), 'agent.pid'), 'utf8').trim());
      const written = await profile.write(ip, 'before-rebuild');
      assert.equal(written.code, 0, written.stderr);
      assert.equal((await host.admin.call('POST', `/mgmt/instances/${id}/action`, { rebuild: { image_id: version.image } })).status, 202);
      assert.equal((await host.demo.call('GET', `/instances/${id}`)).body.instance.status, 'REBUILD');
      const rebuilt = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR'], 120_000);
      assert.equal(rebuilt.status, 'ACTIVE', JSON.stringify(rebuilt));
      assert.notEqual(Number(readFileSync(join(folder(), 'agent.pid'), 'utf8').trim()), agentBefore, 'a new agent runs');
      assert.equal((await profile.read(ip)).stdout.trim(), 'before-rebuild');
      await steadilyActive();
    });

    it('refuses bad input with a 4xx that says what to fix, leaving no instance behind', async () => {
      const cases: Array<[object | string, number, RegExp]> = [
        [createBody('x', { flavorRef: '9999' }), 400, /Flavor '9999' cannot be found/],
        [createBody('x', { datastore: { type: 'oracle', version: '19' } }), 404, /Datastore 'oracle' cannot be found/],
        [createBody('x', { datastore: { type: profile.type, version: '9.9' } }), 400, /Datastore version '9.9' cannot be found/],
        [createBody('x', { volume: { size: 0 } }), 400, /whole number of GB from 1/],
        [createBody('x', { volume: { size: 100000 } }), 413, /cannot exceed maximum/],
        [createBody('x', { volume: { size: 'big' } }), 400, /'instance\.volume\.size' must be a whole number/],
        [createBody('x', { volume: undefined }), 400, /Volume size was not specified/],
        [
          createBody('x', {
            users: [
              { name: 'u', password: 'p1' },
              { name: 'u', password: 'p2' },
            ],
          }),
          400,
          /given twice/,
        ],
        [createBody('x', { users: [{ name: 'bad;name', password: 'p' }] }), 400, /not a valid user name/],
        [{ instance: { flavorRef: '2', volume: { size: 1 } } }, 400, /'instance\.name' is required/],
        ['{"instance": {"name": "x",', 400, /Malformed request body/],
        profile.hasDatabases ? [createBody('x', { databases: [{ name: 'a b;c' }] }), 400, /not a valid schema name/] : [createBody('x', { databases: [{ name: 'appdb' }] }), 422, /has no databases to create/],
      ];
      for (const [body, status, message] of cases) {
        const response = typeof body === 'string' ? await host.demo.call('POST', '/instances', undefined, body) : await host.demo.call('POST', '/instances', body);
        assert.equal(response.status, status, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
        const fault = Object.values(response.body as object)[0] as { message: string };
        assert.match(fault.message, message);
      }
      assert.equal((await host.demo.call('GET', '/instances')).body.instances.length, 1, 'no instance row was written');
      assert.equal(leftovers(host.dataDir).folders.length, 1, 'no instance folder was made');
    });

    it('enforces the instance quota at create with 413 and writes nothing', async () => {
      assert.equal((await host.admin.call('PUT', `/mgmt/quotas/${host.demo.projectId}`, { quotas: { instances: 1 } })).status, 200);
      const refused = await host.demo.call('POST', '/instances', createBody('second'));
      assert.equal(refused.status, 413);
      assert.match(refused.body.overLimit.message, /Quota exceeded for resources: \['instances'\]/);
      assert.equal((await host.demo.call('GET', '/instances')).body.instances.length, 1);
      await host.admin.call('PUT', `/mgmt/quotas/${host.demo.projectId}`, { quotas: { instances: 10 } });
    });

    it('resumes a create after trove serve is killed mid-way', async () => {
      for (const delayMs of [0, 150, 400]) {
        const created = await host.demo.call('POST', '/instances', createBody(`crash-${delayMs}`));
        assert.equal(created.status, 200);
        await sleep(delayMs);
        host.crash();
        await host.restart();
        const outcome = await host.demo.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR'], 120_000);
        assert.equal(outcome.status, 'ACTIVE', `after a crash at ${delayMs} ms: ${JSON.stringify(outcome)}`);
        const setUp = await profile.setUp(outcome.ip[0]);
        assert.equal(setUp.code, 0, `the application account works after a crash at ${delayMs} ms: ${setUp.stderr}${setUp.stdout}`);
      }
    });

    it('deletes instances from any state and leaves nothing behind', async () => {
      const building = await host.demo.call('POST', '/instances', createBody('short-lived'));
      assert.equal(building.status, 200);
      const instances = (await host.demo.call('GET', '/instances')).body.instances as Array<{ id: string }>;
      for (const instance of instances) assert.equal((await host.demo.call('DELETE', `/instances/${instance.id}`)).status, 202);
      assert.equal((await host.demo.call('DELETE', `/instances/${id}`)).status, 202, 'deleting again is accepted');
      for (const instance of instances) await host.demo.waitForStatus(instance.id, ['GONE'], 120_000);
      assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] });
      const state = new Database(join(host.dataDir, 'trove.db'), { readonly: true });
      try {
        assert.deepEqual(state.prepare('SELECT COUNT(*) AS n FROM address_leases').get(), { n: 0 }, 'every address went back to the pool');
      } finally {
        state.close();
      }
      const quotas = (await host.demo.call('GET', `/mgmt/quotas/${host.demo.projectId}`)).body.quotas;
      assert.deepEqual(
        quotas.map((q: { in_use: number }) => q.in_use),
        [0, 0, 0, 0],
      );
    });
  });
}
