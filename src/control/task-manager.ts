import { sleep } from '../common/time.js';
import { newHexId, newId } from '../common/ids.js';
import type { Logger } from '../common/log.js';
import { bestEffort } from '../common/best-effort.js';
import type { ServerMetrics, TaskOutcome } from '../metrics/server-metrics.js';
import type { TaskSettings } from '../settings/schema.js';
import type { Store } from '../state/database.js';
import type { TaskTable } from '../state/schema.js';
import type { Transaction } from 'kysely';
import type { Database } from '../state/schema.js';

/** A step either finished, or asks to be run again after a pause (polling something). */
/** The parameters of a task that needs none. */
export type NoParams = Record<string, never>;

export type StepOutcome = 'done' | { waitMs: number };

/** An error no retry can fix: the task fails at once. */
export class PermanentTaskError extends Error {}

/** The task was cancelled (e.g. a delete overtook a build): stop quietly. */
class Cancelled extends Error {}

export interface TaskRun<P> {
  task: TaskTable;
  params: P;
  log: Logger;
}

export interface TaskKind<P> {
  kind: string;
  deadlineSeconds: number;
  steps: Array<{ name: string; run(run: TaskRun<P>): Promise<StepOutcome> }>;
  /** Undo or record the failure; idempotent, run once when the task fails for good. */
  onFailure(run: TaskRun<P>, reason: string): Promise<void>;
  /** Parameters as stored (secrets sealed) and back. */
  encode?(params: P): string;
  decode?(stored: string): P;
}

type AnyKind = TaskKind<unknown>;

const iso = (ms: number) => new Date(ms).toISOString();

/** Waits up to this long are slept by the runner that holds the task. */
const IN_PLACE_WAIT_MS = 2000;

/**
 * Durable tasks: each row knows its step, attempts, lease and deadline. Any `serve` process
 * sharing the store picks up pending tasks and those whose lease expired (its owner died),
 * and resumes them at their step; steps check the world before acting, so a repeat is safe.
 */
export class TaskManager {
  private readonly kinds = new Map<string, AnyKind>();
  private readonly owner = `serve-${newHexId().slice(0, 12)}`;
  private running = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly db: Store,
    private readonly settings: TaskSettings,
    private readonly log: Logger,
    private readonly metrics?: ServerMetrics,
  ) {}

  /** Seconds from the task's request to now, counted once the task has ended. */
  private finished(task: TaskTable, outcome: TaskOutcome): void {
    this.metrics?.taskFinished(task.kind, outcome, (Date.now() - Date.parse(task.created_at)) / 1000);
  }

  register(kind: AnyKind): void {
    this.kinds.set(kind.kind, kind);
  }

  /** Adds a task in the caller's transaction, so it exists exactly when the change it serves does. */
  async enqueue<P>(trx: Transaction<Database> | Store, kindName: string, targetId: string, params: P): Promise<string> {
    const kind = this.kinds.get(kindName);
    if (!kind) throw new Error(`unknown task kind ${kindName}`);
    const now = Date.now();
    const id = newId();
    await trx
      .insertInto('tasks')
      .values({
        id,
        kind: kindName,
        target_id: targetId,
        params: kind.encode ? kind.encode(params) : JSON.stringify(params),
        step: 0,
        attempts: 0,
        state: 'pending',
        lease_owner: null,
        lease_expires_at: null,
        run_after: iso(now),
        deadline_at: iso(now + kind.deadlineSeconds * 1000),
        error: null,
        created_at: iso(now),
        updated_at: iso(now),
      })
      .execute();
    return id;
  }

  /** The kinds of the unfinished tasks of each target, oldest first, for views that show work under way. */
  async unfinishedKinds(targetIds: string[]): Promise<Map<string, string[]>> {
    const kinds = new Map<string, string[]>();
    if (targetIds.length === 0) return kinds;
    const rows = await this.db.selectFrom('tasks').select(['target_id', 'kind']).where('target_id', 'in', targetIds).where('state', 'in', ['pending', 'running']).orderBy('created_at').execute();
    for (const row of rows) kinds.set(row.target_id, [...(kinds.get(row.target_id) ?? []), row.kind]);
    return kinds;
  }

  /** Cancels the target's other unfinished tasks; answers whether one is still executing. */
  async cancelOthers(targetId: string, exceptTaskId: string): Promise<boolean> {
    await this.db
      .updateTable('tasks')
      .set({ state: 'cancelled', updated_at: iso(Date.now()) })
      .where('target_id', '=', targetId)
      .where('id', '!=', exceptTaskId)
      .where('state', 'in', ['pending', 'running'])
      .execute();
    const busy = await this.db.selectFrom('tasks').select('id').where('target_id', '=', targetId).where('id', '!=', exceptTaskId).where('lease_expires_at', '>', iso(Date.now())).where('lease_owner', 'is not', null).executeTakeFirst();
    return busy !== undefined;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops taking work and waits up to `graceMs` for tasks under way to reach a step boundary. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling;
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) await sleep(50);
  }

  /**
   * Waits (at most `timeoutMs`) until these tasks are done, failed or cancelled; true when they
   * are. For an API that answers once quick work is in force; the work goes on past the wait.
   * A task manager that is not running here settles nothing: it returns at once.
   */
  async settled(taskIds: string[], timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.stopped || taskIds.length === 0) return taskIds.length === 0;
      const open = await this.db.selectFrom('tasks').select('id').where('id', 'in', taskIds).where('state', 'in', ['pending', 'running']).execute();
      if (open.length === 0) return true;
      if (Date.now() >= deadline) return false;
      await sleep(25);
    }
  }

  /** Looks for work now rather than at the next poll (after an enqueue in this process). */
  nudge(): void {
    if (!this.stopped) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), ms);
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = this.claimAndStart();
    try {
      await this.polling;
    } finally {
      this.polling = undefined;
      if (!this.stopped) this.schedule(this.settings.poll_ms);
    }
  }

  private async claimAndStart(): Promise<void> {
    try {
      while (!this.stopped && this.running.size < this.settings.max_concurrent) {
        const task = await this.claim();
        if (!task) break;
        this.running.add(task.id);
        void this.execute(task).finally(() => {
          this.running.delete(task.id);
          this.nudge();
        });
      }
    } catch (err) {
      this.log.error({ err }, 'task poll failed');
    }
  }

  /** Takes one runnable task: pending and due, or running under a lease that expired. */
  private async claim(): Promise<TaskTable | undefined> {
    const now = Date.now();
    const candidates = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where((eb) => eb.or([eb.and([eb('state', '=', 'pending'), eb('run_after', '<=', iso(now))]), eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '<', iso(now))])]))
      .orderBy('created_at')
      .limit(5)
      .execute();
    for (const candidate of candidates) {
      if (this.running.has(candidate.id)) continue;
      const result = await this.db
        .updateTable('tasks')
        .set({ state: 'running', lease_owner: this.owner, lease_expires_at: iso(now + this.settings.lease_seconds * 1000), updated_at: iso(now) })
        .where('id', '=', candidate.id)
        .where('state', '=', candidate.state)
        .where((eb) => (candidate.lease_expires_at === null ? eb('lease_expires_at', 'is', null) : eb('lease_expires_at', '=', candidate.lease_expires_at)))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return { ...candidate, state: 'running', lease_owner: this.owner };
    }
    return undefined;
  }

  private async stillOurs(taskId: string): Promise<void> {
    const row = await this.db.selectFrom('tasks').select(['state', 'lease_owner']).where('id', '=', taskId).executeTakeFirst();
    if (!row || row.state === 'cancelled' || row.lease_owner !== this.owner) throw new Cancelled();
  }

  private async update(taskId: string, values: Partial<TaskTable>): Promise<void> {
    await this.db
      .updateTable('tasks')
      .set({ ...values, updated_at: iso(Date.now()) })
      .where('id', '=', taskId)
      .where('lease_owner', '=', this.owner)
      .execute();
  }

  private async execute(task: TaskTable): Promise<void> {
    const kind = this.kinds.get(task.kind);
    const log = this.log.child({ task: task.id, kind: task.kind, target: task.target_id });
    if (!kind) {
      log.error('no handler for this task kind');
      return;
    }
    const run: TaskRun<unknown> = { task, params: kind.decode ? kind.decode(task.params) : JSON.parse(task.params), log };
    // A stopped manager stops renewing, so a step stuck here passes to another server.
    const renew = setInterval(
      () => {
        if (this.stopped) {
          clearInterval(renew);
          return;
        }
        void bestEffort(log, "renewing the task's lease", this.update(task.id, { lease_expires_at: iso(Date.now() + this.settings.lease_seconds * 1000) }));
      },
      (this.settings.lease_seconds * 1000) / 3,
    );
    renew.unref();
    let step = task.step;
    try {
      while (step < kind.steps.length) {
        await this.stillOurs(task.id);
        if (Date.now() > Date.parse(task.deadline_at)) {
          const last = (await this.db.selectFrom('tasks').select('error').where('id', '=', task.id).executeTakeFirst())?.error;
          throw new PermanentTaskError(`did not finish before its deadline (${kind.deadlineSeconds} s) at step '${kind.steps[step]!.name}'${last ? `; last error: ${last}` : ''}`);
        }
        const outcome = await kind.steps[step]!.run(run);
        if (outcome === 'done') {
          step += 1;
          await this.update(task.id, { step });
          continue;
        }
        // A short wait is slept here under the lease; a long one hands the task back with a due time.
        if (outcome.waitMs <= IN_PLACE_WAIT_MS) {
          await sleep(outcome.waitMs);
          continue;
        }
        await this.update(task.id, { state: 'pending', lease_owner: null, lease_expires_at: null, run_after: iso(Date.now() + outcome.waitMs) });
        return;
      }
      await this.update(task.id, { state: 'done', lease_owner: null, lease_expires_at: null, params: '{}' });
      this.finished(task, 'done');
      log.info('task done');
    } catch (err) {
      if (err instanceof Cancelled) {
        // A lease taken over by another server is not an end: that server counts the task's.
        const now = await this.db
          .selectFrom('tasks')
          .select('state')
          .where('id', '=', task.id)
          .executeTakeFirst()
          .catch(() => undefined);
        if (now?.state === 'cancelled') this.finished(task, 'cancelled');
        log.info('task cancelled');
        return;
      }
      const message = (err as Error).message;
      if (err instanceof PermanentTaskError) {
        await this.fail(task.id, kind, run, message, log);
        this.finished(task, 'failed');
        return;
      }
      const attempts = task.attempts + 1;
      const pause = Math.min(500 * 2 ** Math.min(attempts, 5), 10_000);
      log.warn({ err: message, attempts }, 'task step failed; will retry');
      await this.update(task.id, { state: 'pending', attempts, error: message, lease_owner: null, lease_expires_at: null, run_after: iso(Date.now() + pause) });
    } finally {
      clearInterval(renew);
    }
  }

  private async fail(taskId: string, kind: AnyKind, run: TaskRun<unknown>, reason: string, log: Logger): Promise<void> {
    log.error({ reason }, 'task failed');
    try {
      await kind.onFailure(run, reason);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'cleaning up after a failed task also failed');
      reason = `${reason}; cleanup failed: ${(err as Error).message}`;
    }
    await this.update(taskId, { state: 'failed', error: reason, lease_owner: null, lease_expires_at: null, params: '{}' });
  }
}
