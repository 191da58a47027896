import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import { createLogger } from '../common/log.js';
import { migrateToLatest, openStore, type OpenedStore } from '../state/database.js';
import { startPostgres } from '../test-support/postgres.js';
import { integrationTests, unitTests } from '../test-support/test-scope.js';
import { PermanentTaskError, TaskManager, type TaskKind } from './task-manager.js';

const FAST = { poll_ms: 20, lease_seconds: 5, max_concurrent: 4, build_timeout_seconds: 60, delete_timeout_seconds: 60, reconcile_seconds: 1 };
const log = createLogger('silent');

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/** The task manager's guarantees, on each state store. */
function taskContract(kind: string, open: () => Promise<{ store: OpenedStore; cleanup: () => Promise<void> }>) {
  describe(`task manager on ${kind}`, () => {
    let store: OpenedStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await open());
      await migrateToLatest(store.db);
    });
    after(async () => {
      await store.db.destroy();
      await cleanup();
    });
    const taskRow = (id: string) => store.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    it('runs steps in order, waits when asked, retries a failing step, and drops its parameters when done', async () => {
      const seen: string[] = [];
      let failures = 1;
      let waits = 2;
      const manager = new TaskManager(store.db, FAST, log);
      const steps: TaskKind<{ secret: string }> = {
        kind: 'test.steps',
        deadlineSeconds: 60,
        steps: [
          {
            name: 'a',
            run: async (r) => {
              seen.push(`a:${r.params.secret}`);
              return 'done';
            },
          },
          {
            name: 'b',
            run: async () => {
              if (waits-- > 0) return { waitMs: 10 };
              seen.push('b');
              return 'done';
            },
          },
          {
            name: 'c',
            run: async () => {
              if (failures-- > 0) throw new Error('flaky');
              seen.push('c');
              return 'done';
            },
          },
        ],
        onFailure: async () => assert.fail('must not fail'),
      };
      manager.register(steps);
      const id = await manager.enqueue(store.db, 'test.steps', 'target-1', { secret: 'x' });
      manager.start();
      await until(async () => (await taskRow(id)).state === 'done');
      await manager.stop();
      assert.deepEqual(seen, ['a:x', 'b', 'c']);
      const row = await taskRow(id);
      assert.equal(row.attempts, 1);
      assert.equal(row.params, '{}');
    });

    it('fails a task at its deadline, runs its clean-up, and records the reason', async () => {
      const manager = new TaskManager(store.db, FAST, log);
      const cleaned: string[] = [];
      manager.register({
        kind: 'test.stuck',
        deadlineSeconds: 1,
        steps: [{ name: 'never-ready', run: async () => ({ waitMs: 50 }) }],
        onFailure: async (r, reason) => void cleaned.push(`${r.task.target_id}: ${reason}`),
      });
      const id = await manager.enqueue(store.db, 'test.stuck', 'target-2', {});
      manager.start();
      await until(async () => (await taskRow(id)).state === 'failed');
      await manager.stop();
      assert.equal(cleaned.length, 1);
      assert.match(cleaned[0]!, /^target-2: did not finish before its deadline \(1 s\) at step 'never-ready'/);
      assert.match((await taskRow(id)).error!, /deadline/);
    });

    it('fails at once on a permanent error', async () => {
      const manager = new TaskManager(store.db, FAST, log);
      manager.register({
        kind: 'test.permanent',
        deadlineSeconds: 60,
        steps: [
          {
            name: 'x',
            run: async () => {
              throw new PermanentTaskError('cannot ever work');
            },
          },
        ],
        onFailure: async () => undefined,
      });
      const id = await manager.enqueue(store.db, 'test.permanent', 'target-3', {});
      manager.start();
      await until(async () => (await taskRow(id)).state === 'failed');
      await manager.stop();
      const row = await taskRow(id);
      assert.equal(row.error, 'cannot ever work');
      assert.equal(row.attempts, 0);
    });

    it('lets another server resume a task whose owner died, at the step it reached', async () => {
      const firstRuns: string[] = [];
      const secondRuns: string[] = [];
      const kindFor = (runs: string[], hang: boolean): TaskKind<object> => ({
        kind: 'test.resume',
        deadlineSeconds: 60,
        steps: [
          {
            name: 'one',
            run: async () => {
              runs.push('one');
              return 'done';
            },
          },
          {
            name: 'two',
            run: async () => {
              runs.push('two');
              if (hang) await new Promise(() => undefined);
              return 'done';
            },
          },
        ],
        onFailure: async () => undefined,
      });
      // The first server claims the task, finishes step one, then hangs in step two and "dies".
      const first = new TaskManager(store.db, { ...FAST, lease_seconds: 1 }, log);
      first.register(kindFor(firstRuns, true));
      const id = await first.enqueue(store.db, 'test.resume', 'target-4', {});
      first.start();
      await until(async () => firstRuns.includes('two'));
      await first.stop(0);
      await store.db
        .updateTable('tasks')
        .set({ lease_expires_at: new Date(Date.now() - 1000).toISOString() })
        .where('id', '=', id)
        .execute();
      const second = new TaskManager(store.db, FAST, log);
      second.register(kindFor(secondRuns, false));
      second.start();
      await until(async () => (await taskRow(id)).state === 'done');
      await second.stop();
      assert.deepEqual(firstRuns, ['one', 'two']);
      assert.deepEqual(secondRuns, ['two'], 'the finished step is not run again');
    });

    it('gives a task to only one of two servers', async () => {
      let runs = 0;
      const make = () => {
        const manager = new TaskManager(store.db, FAST, log);
        manager.register({
          kind: 'test.once',
          deadlineSeconds: 60,
          steps: [
            {
              name: 'x',
              run: async () => {
                runs++;
                await sleep(100);
                return 'done';
              },
            },
          ],
          onFailure: async () => undefined,
        });
        return manager;
      };
      const [a, b] = [make(), make()];
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await a.enqueue(store.db, 'test.once', `target-once-${i}`, {}));
      a.start();
      b.start();
      await until(async () => (await Promise.all(ids.map(taskRow))).every((t) => t.state === 'done'));
      await Promise.all([a.stop(), b.stop()]);
      assert.equal(runs, 6);
    });
  });
}

if (unitTests)
  taskContract('sqlite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trove-test-tasks-'));
    return { store: openStore('', dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  });

if (integrationTests)
  taskContract('postgresql', async () => {
    const server = await startPostgres();
    return { store: openStore(server.url, '/nonexistent'), cleanup: () => server.stop() };
  });
