import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sleep } from '../common/time.js';
import { processesUsing } from '../compute/local/processes.js';
import { crashAtStepEnv } from '../test-support/crash-at-step.js';
import { MYSQL, POSTGRESQL, REDIS, type DatastoreProfile } from '../test-support/datastore-profiles.js';
import { loseHost } from '../test-support/host-loss.js';
import { leftovers } from '../test-support/leaks.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/**
 * The crash matrix: for each engine and task kind, `trove serve` is killed with SIGKILL once the
 * named step has done its work and before the task manager records it (the hardest moment: the
 * resumed task runs the step again), then started again. Each case must converge, keep the
 * data written before it, and leave nothing behind once its instances are deleted.
 *
 * One host and one instance per engine serve every case of that engine in sequence; the
 * engines run side by side.
 */

/** How long one case may take, crash and restart included; the tasks' own deadlines are longer. */
const CASE_LIMIT_MS = 180_000;

interface Row {
  engine: string;
  /** The task kind, with what the task is for where one kind serves several (a restore, a replica). */
  kind: string;
  step: string;
  converged: boolean;
  seconds: number;
  detail: string;
}

const rows: Row[] = [];

const CONFIGURATION_VALUE: Record<string, Record<string, string | number>> = {
  mysql: { max_connections: 150 },
  postgresql: { work_mem: '5MB' },
  redis: { timeout: 600 },
};

const ENGINES: Array<{ profile: DatastoreProfile; pool: string }> = [
  { profile: MYSQL, pool: '127.0.92.0/24' },
  { profile: POSTGRESQL, pool: '127.0.93.0/24' },
  { profile: REDIS, pool: '127.0.94.0/24' },
];

/** The newest task of a kind on the host: the one the case started (cases run one at a time). */
function latestTask(host: TroveHost, kind: string): { state: string; error: string | null; target_id: string } | undefined {
  const db = new Database(join(host.dataDir, 'trove.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT state, error, target_id FROM tasks WHERE kind = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(kind) as never;
  } finally {
    db.close();
  }
}

function leasesOf(host: TroveHost, instanceId: string): number {
  const db = new Database(join(host.dataDir, 'trove.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM address_leases WHERE instance_id = ?').get(instanceId) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** The instance's cgroups, where the host has them. */
function cgroupsOf(instanceId: string): string[] {
  return ['memory', 'cpu', ''].map((c) => join('/sys/fs/cgroup', c, 'trove', instanceId)).filter(existsSync);
}

async function eventuallyTrue(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await sleep(500);
  }
  return false;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** One line per task kind and step, one column per engine: what the suite prints and README shows. */
function matrixTable(all: Row[]): string {
  const engines = ENGINES.map((e) => e.profile.type).filter((e) => all.some((r) => r.engine === e));
  const cases = [...new Map(all.map((r) => [`${r.kind} ${r.step}`, r])).values()];
  const cell = (r: Row | undefined) => (!r ? '–' : r.converged ? `yes, ${r.seconds.toFixed(1)} s` : `NO, ${r.seconds.toFixed(1)} s: ${r.detail.replace(/\|/g, '/').slice(0, 100)}`);
  return [
    `| task kind | step | ${engines.join(' | ')} |`,
    `| --- | --- |${engines.map(() => ' --- |').join('')}`,
    // A kind and step can come twice (deletes go round the steps): each case has its line.
    ...cases.flatMap((c) => {
      const lines = Math.max(...engines.map((e) => all.filter((r) => r.engine === e && r.kind === c.kind && r.step === c.step).length));
      return Array.from({ length: lines }, (_, i) => `| ${c.kind} | ${c.step} | ${engines.map((e) => cell(all.filter((r) => r.engine === e && r.kind === c.kind && r.step === c.step)[i])).join(' | ')} |`);
    }),
  ].join('\n');
}

function describeEngine(profile: DatastoreProfile, pool: string): void {
  const engine = profile.type;
  it(`${engine}: every task kind converges after a crash at each step`, { timeout: 40 * 60_000 }, async (t) => {
    const host = await startTroveHost(pool);
    const failures: string[] = [];
    let value = 0;
    const nextValue = () => `v${++value}`;
    const body = (name: string, extra: object = {}) => ({ instance: { name, flavorRef: '1', volume: { size: 1 }, datastore: { type: profile.type, version: profile.version }, ...profile.account, ...extra } });
    const ipOf = async (id: string) => (await host.demo.call('GET', `/instances/${id}`)).body.instance.ip[0] as string;
    const readEventually = async (id: string, expected: string): Promise<string> => {
      const ip = await ipOf(id);
      let seen = '';
      for (let i = 0; i < 150 && seen !== expected; i++) {
        seen = (await profile.read(ip)).stdout.trim();
        if (seen !== expected) await sleep(200);
      }
      return seen;
    };
    const write = async (id: string): Promise<string> => {
      const v = nextValue();
      const result = await profile.write(await ipOf(id), v);
      assert.equal(result.code, 0, result.stderr + result.stdout);
      return v;
    };

    /**
     * One case: start the server with the hook, `act` (the request that starts the task; the
     * server may die under it), wait for the server to die, start it without the hook, wait for
     * the task to end, then `check` what it left. Returns the task's target. `ready` waits, on the
     * server with the hook, for what the request needs (an instance its reconciler saw ACTIVE).
     */
    interface CaseOptions {
      label?: string;
      ready?: () => Promise<unknown>;
    }
    const crashCase = async (kind: string, step: string, act: () => Promise<{ status: number; body: unknown }>, check: (task: { state: string; error: string | null; target_id: string }) => Promise<void>, options: CaseOptions = {}): Promise<string> => {
      const note = join(host.dataDir, 'crash-notes');
      await host.restart(crashAtStepEnv({ kind, step, when: 'after' }, note));
      if (options.ready) await options.ready();
      const started = Date.now();
      let converged = false;
      let detail = '';
      let target = '';
      try {
        const answer = await act().catch((err: Error) => {
          // The server may die before it answers: the task is on record all the same.
          if (!/fetch failed|ECONNRESET|socket/i.test(`${err.message} ${String(err.cause)}`)) throw err;
          return undefined;
        });
        if (answer && answer.status >= 400) throw new Error(`the request was refused: ${answer.status} ${JSON.stringify(answer.body)}`);
        const died = await host.exitsWithin(CASE_LIMIT_MS);
        assert.ok(died, `the server was not killed at ${kind}:${step}`);
        assert.ok(readFileSync(note, 'utf8').includes(`${kind}:${step}:after`), 'the crash came from the hook');
        await host.restart();
        let task = latestTask(host, kind);
        while (task && ['pending', 'running'].includes(task.state) && Date.now() - started < CASE_LIMIT_MS) {
          await sleep(200);
          task = latestTask(host, kind);
        }
        assert.ok(task, `no ${kind} task on record`);
        target = task.target_id;
        converged = !['pending', 'running'].includes(task.state);
        detail = task.state === 'done' ? 'done' : `${task.state}${task.error ? `: ${task.error}` : ''}`;
        assert.ok(converged, `the task is still ${task.state} after ${CASE_LIMIT_MS / 1000} s`);
        assert.ok(task.state === 'done' || (task.state === 'failed' && task.error), `the task ended ${task.state} without a reason`);
        await check(task);
      } catch (err) {
        detail = detail && detail !== 'done' ? detail : (err as Error).message.split('\n')[0]!.slice(0, 160);
        failures.push(`${kind}:${step}: ${(err as Error).message}\n${host.server.output().slice(-1500)}\n${host.agentLogs(1200)}`);
        // Whatever went wrong, the cases after this one run on a server without the hook.
        await host.restart();
      }
      const seconds = (Date.now() - started) / 1000;
      const label = options.label ? `${kind} (${options.label})` : kind;
      rows.push({ engine, kind: label, step, converged, seconds, detail });
      t.diagnostic(`${engine} ${label} ${step}: ${converged ? 'converged' : 'STUCK'} in ${seconds.toFixed(1)} s (${detail})`);
      return target;
    };

    /** Deletes an instance (at a crash step, or plainly) and checks it left nothing behind. */
    const assertGone = async (id: string) => {
      await host.demo.waitForStatus(id, ['GONE'], CASE_LIMIT_MS);
      const folder = join(host.dataDir, 'instances', id);
      assert.equal(existsSync(folder), false, 'the instance folder is gone');
      assert.deepEqual(processesUsing(folder), [], 'no process of the instance runs');
      assert.equal(readFileSync('/proc/mounts', 'utf8').includes(folder), false, 'its volume is unmounted');
      assert.deepEqual(cgroupsOf(id), [], 'its cgroups are removed');
      assert.equal(leasesOf(host, id), 0, 'its address went back to the pool');
    };

    try {
      // Create, at each step that does something for a plain instance; each one is then deleted
      // at a step of its own (the first is kept: the instance every later case works on).
      const createSteps = ['prepare', 'lease-address', 'place', 'publish', 'wait-healthy'];
      const deleteSteps = ['cancel-other-tasks', 'stop-agent', 'remove', 'release-slot', 'forget', 'collect-archive'];
      const created: string[] = [];
      for (const [i, step] of createSteps.entries()) {
        const id = await crashCase(
          'instance.create',
          step,
          () => host.demo.call('POST', '/instances', body(`c-${i}`)),
          async (task) => {
            assert.equal(task.state, 'done', task.error ?? '');
            const view = await host.demo.waitForStatus(task.target_id, ['ACTIVE', 'ERROR'], 60_000);
            assert.equal(view.status, 'ACTIVE');
            const setUp = await profile.setUp(view.ip[0]);
            assert.equal(setUp.code, 0, setUp.stderr + setUp.stdout);
            const v = await write(task.target_id);
            assert.equal(await readEventually(task.target_id, v), v);
          },
        );
        if (id) created.push(id);
      }
      const first = created.shift();
      assert.ok(first, 'the first create made an instance');
      /** The instance the cases work on: the first created, or the source it handed over to. */
      let main: string = first;
      // Deleted now, each at a step of the delete task in turn: fewer engines run through the cases below.
      let deletes = 0;
      const deleteAll = async () => {
        for (const id of created.splice(0)) {
          const step = deleteSteps[deletes++ % deleteSteps.length]!;
          await crashCase(
            'instance.delete',
            step,
            () => host.demo.call('DELETE', `/instances/${id}`),
            async (task) => {
              assert.equal(task.state, 'done', task.error ?? '');
              await assertGone(id);
            },
          );
        }
      };
      await deleteAll();
      let last = await write(main);
      const keptOn = async (id: string) => {
        assert.equal(await readEventually(id, last), last, 'committed data is kept');
        last = await write(id);
      };
      const active = (id: string) => () => host.demo.waitForStatus(id, ['ACTIVE'], 60_000);
      const instanceCase = (kind: string, step: string, act: () => Promise<{ status: number; body: unknown }>, on: () => string = () => main, options: CaseOptions = { ready: active(on()) }) =>
        crashCase(
          kind,
          step,
          act,
          async (task) => {
            assert.equal(task.state, 'done', task.error ?? '');
            const view = await host.demo.waitForStatus(on(), ['ACTIVE', 'ERROR', 'RESTART_REQUIRED'], 60_000);
            assert.notEqual(view.status, 'ERROR', JSON.stringify(view.fault));
            await keptOn(on());
          },
          options,
        );

      await instanceCase('instance.restart', 'restart', () => host.demo.call('POST', `/instances/${main}/action`, { restart: {} }));
      await instanceCase('instance.resize_flavor', 'reconfigure-and-restart', () => host.demo.call('POST', `/instances/${main}/action`, { resize: { flavorRef: '2' } }));
      await instanceCase('instance.resize_flavor', 'record', () => host.demo.call('POST', `/instances/${main}/action`, { resize: { flavorRef: '1' } }));
      await instanceCase('instance.resize_volume', 'grow', () => host.demo.call('POST', `/instances/${main}/action`, { resize: { volume: { size: 2 } } }));
      await instanceCase('instance.resize_volume', 'record', () => host.demo.call('POST', `/instances/${main}/action`, { resize: { volume: { size: 3 } } }));
      assert.equal((await host.demo.call('GET', `/instances/${main}`)).body.instance.volume.size, 3, 'both volume resizes are recorded');
      const group = await host.demo.call('POST', '/configurations', { configuration: { name: 'crash', values: CONFIGURATION_VALUE[engine], datastore: { type: profile.type, version: profile.version } } });
      assert.equal(group.status, 200, JSON.stringify(group.body));
      await instanceCase('instance.configure', 'apply', () => host.demo.call('PUT', `/instances/${main}`, { instance: { configuration: group.body.configuration.id } }));

      // Rebuild from the guest image on the same volume (an admin's action), at each step.
      const image = (await host.admin.call('GET', `/datastores/${profile.type}/versions/${profile.version}`)).body.version.image as string;
      for (const step of ['stop-guest', 'reimage', 'prepare', 'wait-healthy']) {
        await instanceCase('instance.rebuild', step, () => host.admin.call('POST', `/mgmt/instances/${main}/action`, { rebuild: { image_id: image } }));
      }

      // Backups at each step; the last one completed is restored below.
      const backups: Array<{ id: string; value: string }> = [];
      for (const step of ['start', 'wait', 'verify-and-record']) {
        const value = last;
        await crashCase(
          'backup.create',
          step,
          () => host.demo.call('POST', '/backups', { backup: { name: `b-${step}`, instance: main } }),
          async (task) => {
            const backup = await host.demo.waitForBackup(task.target_id, ['COMPLETED', 'FAILED'], 60_000);
            assert.equal(backup.status, task.state === 'done' ? 'COMPLETED' : 'FAILED');
            if (backup.status === 'COMPLETED') backups.push({ id: backup.id, value });
            await host.demo.waitForStatus(main, ['ACTIVE', 'RESTART_REQUIRED'], 60_000);
            await keptOn(main);
          },
          { ready: active(main) },
        );
      }
      assert.ok(backups.length > 0, 'a backup completed');
      const restored = await crashCase(
        'instance.create',
        'prepare',
        () => host.demo.call('POST', '/instances', { instance: { name: 'restored', flavorRef: '1', volume: { size: 1 }, restorePoint: { backupRef: backups.at(-1)!.id }, ...(profile.restoreKeepsUsers ? {} : { users: profile.account.users }) } }),
        async (task) => {
          assert.equal(task.state, 'done', task.error ?? '');
          assert.equal((await host.demo.waitForStatus(task.target_id, ['ACTIVE', 'ERROR'], 60_000)).status, 'ACTIVE');
          assert.equal(await readEventually(task.target_id, backups.at(-1)!.value), backups.at(-1)!.value, 'the restore holds what was committed before its backup');
        },
        { label: 'restore' },
      );
      if (restored) created.push(restored);

      // A replica, created through a crash at its seeding, then promoted through crashes (and back).
      let replica = '';
      for (const step of ['seed', 'wait-for-seed', 'join']) {
        const id = await crashCase(
          'instance.create',
          step,
          () => host.demo.call('POST', '/instances', { instance: { name: `r-${step}`, replica_of: main } }),
          async (task) => {
            assert.equal(task.state, 'done', task.error ?? '');
            assert.equal((await host.demo.waitForStatus(task.target_id, ['ACTIVE', 'ERROR'], 60_000)).status, 'ACTIVE');
            assert.equal(await readEventually(task.target_id, last), last, 'the replica follows its source');
          },
          { label: 'replica', ready: active(main) },
        );
        if (id && !replica) replica = id;
        else if (id) created.push(id);
      }
      // One pair goes on: the source and its first replica.
      await deleteAll();
      if (replica) {
        let source = main;
        for (const step of ['fence-source-and-catch-up', 'promote', 'repoint', 'finish']) {
          const next: string = source === main ? replica : main;
          await instanceCase(
            'instance.promote',
            step,
            () => host.demo.call('POST', `/instances/${next}/action`, { promote_to_replica_source: {} }),
            () => next,
          );
          const view: { replica_of?: unknown } = (await host.demo.call('GET', `/instances/${next}`)).body.instance;
          assert.equal(view.replica_of, undefined, `${next} is the source after promote at ${step}`);
          source = next;
        }
        // Failover: the source's host is lost (agent and engine killed, nothing there to start
        // them), it is ejected through a crash, and then comes back fenced to follow the new source.
        for (const step of ['fence-source', 'choose-most-advanced', 'promote', 'repoint', 'finish']) {
          const lost = source;
          const next: string = lost === main ? replica : main;
          assert.equal(await readEventually(next, last), last, 'the replica has the last write before its source is lost');
          const comeBack = loseHost(join(host.dataDir, 'instances', lost), profile.enginePidFile);
          try {
            await instanceCase(
              'instance.eject',
              step,
              () => host.demo.call('POST', `/instances/${lost}/action`, { eject_replica_source: {} }),
              () => next,
              {},
            );
          } finally {
            comeBack();
          }
          const rejoined = await eventuallyTrue(async () => {
            const view = (await host.demo.call('GET', `/instances/${lost}`)).body.instance;
            return view.replica_of?.id === next && view.replication?.role === 'replica' && view.status === 'ACTIVE';
          }, 120_000);
          assert.ok(rejoined, `the ejected source ${lost} follows ${next} once its host is back`);
          assert.equal(await readEventually(lost, last), last, "the old source has the new source's writes");
          source = next;
        }
        // The member that ended as a replica goes at a delete step; the source goes last, below.
        created.push(source === main ? replica : main);
        main = source;
      }

      // Every other instance is deleted at a step of the delete task; the main one last, plainly.
      await deleteAll();
      assert.equal((await host.demo.call('DELETE', `/instances/${main}`)).status, 202);
      await assertGone(main);
      for (const backup of (await host.demo.call('GET', '/backups')).body.backups as Array<{ id: string }>) {
        assert.equal((await host.demo.call('DELETE', `/backups/${backup.id}`)).status, 202);
        await host.demo.waitForBackup(backup.id, ['GONE'], 60_000);
      }
      assert.deepEqual(leftovers(host.dataDir), { folders: [], mounts: [], processes: [], rules: [] }, 'nothing is left on the host');
      assert.deepEqual(filesUnder(join(host.dataDir, 'objects')), [], 'no object is left in the store');
    } finally {
      await host.close();
    }
    assert.deepEqual(failures, [], failures.join('\n\n'));
  });
}

describe('crash matrix: kill -9 of trove serve at each step of each task', { concurrency: ENGINES.length }, () => {
  after(() => console.log(`\ncrash matrix: trove serve killed with SIGKILL after the step ran, before it was recorded; converged? and seconds from the request to the task's end\n${matrixTable(rows)}\n`));
  for (const { profile, pool } of ENGINES) describeEngine(profile, pool);
});

describe('a create whose agent died with trove serve', () => {
  it('starts the agent again and prepares it anew instead of waiting for it until the deadline', { timeout: 5 * 60_000 }, async () => {
    const host = await startTroveHost('127.0.93.0/24');
    try {
      await host.restart(crashAtStepEnv({ kind: 'instance.create', step: 'prepare', when: 'after' }, join(host.dataDir, 'crash-notes')));
      const body = { instance: { name: 'lost-agent', flavorRef: '1', volume: { size: 1 }, datastore: { type: POSTGRESQL.type, version: POSTGRESQL.version }, ...POSTGRESQL.account } };
      const created = await host.demo.call('POST', '/instances', body);
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const id = created.body.instance.id as string;
      assert.ok(await host.exitsWithin(120_000), 'the server was killed once the prepare was sent');
      // The host loses the instance's processes too (agent, the copy it ran, the engine).
      const folder = join(host.dataDir, 'instances', id);
      for (const pid of processesUsing(folder)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // ended meanwhile
        }
      }
      await host.restart();
      const outcome = await host.demo.waitForStatus(id, ['ACTIVE', 'ERROR'], 120_000);
      assert.equal(outcome.status, 'ACTIVE', JSON.stringify(outcome));
      const setUp = await POSTGRESQL.setUp(outcome.ip[0]);
      assert.equal(setUp.code, 0, `the application account was made by the second prepare: ${setUp.stderr}${setUp.stdout}`);
    } finally {
      await host.close();
    }
  });
});
