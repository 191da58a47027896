import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../common/log.js';
import type { Runtime } from '../../control/runtime.js';
import { TaskManager, type TaskRun } from '../../control/task-manager.js';
import { ClusterRecords } from '../../state/cluster-records.js';
import { migrateToLatest, openStore, type OpenedStore } from '../../state/database.js';
import type { TaskTable } from '../../state/schema.js';
import { recordDone } from './cluster-tasks.js';

const log = createLogger('silent');
const SETTINGS = { poll_ms: 20, lease_seconds: 5, max_concurrent: 4, build_timeout_seconds: 60, delete_timeout_seconds: 60, reconcile_seconds: 1 };
const idle = (name: string) => ({ kind: name, deadlineSeconds: 60, steps: [], onFailure: async () => undefined });

describe("the end of a cluster's task", () => {
  let dir: string;
  let store: OpenedStore;
  let tasks: TaskManager;
  let clusters: ClusterRecords;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trove-cluster-record-'));
    store = openStore('', dir);
    await migrateToLatest(store.db);
    tasks = new TaskManager(store.db, SETTINGS, log);
    for (const kind of ['cluster.grow', 'cluster.shrink']) tasks.register(idle(kind));
    clusters = new ClusterRecords(store.db);
  });
  after(async () => {
    await store.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const now = new Date().toISOString();
  const cluster = async (id: string) => {
    await store.db
      .insertInto('clusters')
      .values({ id, project_id: 'p', name: id, datastore: 'mysql', datastore_version: '10.11', task: 'SHRINKING_CLUSTER', secret: 'sealed', fault_message: null, fault_created: null, deleted: 0, deleted_at: null, created_at: now, updated_at: now })
      .execute();
  };
  const record = async (taskId: string, clusterId: string) => {
    const task = { id: taskId, target_id: clusterId } as TaskTable;
    const outcome = await recordDone({ tasks } as unknown as Runtime, clusters).run({ task, params: {}, log } as TaskRun<unknown>);
    assert.equal(outcome, 'done');
    return (await clusters.find(clusterId))!.task;
  };

  it("leaves a later task's state alone when a task resumed late records its end", async () => {
    await cluster('c1');
    // A grow resumed after a restart of the server, and the shrink that began after it.
    const grow = await tasks.enqueue(store.db, 'cluster.grow', 'c1', {});
    await tasks.enqueue(store.db, 'cluster.shrink', 'c1', {});
    assert.equal(await record(grow, 'c1'), 'SHRINKING_CLUSTER');
  });

  it('ends the cluster task when it is the only one left', async () => {
    await cluster('c2');
    const shrink = await tasks.enqueue(store.db, 'cluster.shrink', 'c2', {});
    assert.equal(await record(shrink, 'c2'), 'NONE');
  });
});
