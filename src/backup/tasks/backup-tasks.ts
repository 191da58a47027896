import { TaskStatus } from '../../state/task-status.js';
import type { BackupRequest, BackupState } from '../../agent/backup-protocol.js';
import { collectArchiveQuietly, partsOf } from '../../backup/archive-parts.js';
import { BackupObjects } from '../../object-storage/backup-objects.js';
import { keyForAgent } from '../../object-storage/backup-keyring.js';
import { manifestOf } from '../../backup/manifest.js';
import { verifyStored } from '../../object-storage/backup-pipeline.js';
import type { BackupTable } from '../../state/schema.js';
import { AgentRefused, AgentUnreachable } from '../../agent/rpc/client.js';
import { routes } from '../../agent/rpc/routes.js';
import { bestEffort } from '../../common/best-effort.js';
import { parseOwn } from '../../common/json.js';
import { agentOf, reviveAgent, type Runtime } from '../../control/runtime.js';
import { PermanentTaskError, type TaskKind, type TaskRun } from '../../control/task-manager.js';

export interface BackupParams {
  instance_id: string;
}

export interface DeleteBackupsParams {
  /** Deepest first: incrementals before what they build on. */
  ids: string[];
}

/**
 * How long the agent holds a question about a running backup before it answers "running": it
 * answers at once when the backup ends, so the wait costs no time at the end of a backup. Each
 * "running" answer carries the bytes stored so far, so this is also how stale the progress a
 * backup shows can be: a backup shorter than it shows none.
 */
const HOLD_MS = 500;
/** The least time between two questions, should an agent answer at once (one older than HOLD_MS). */
const MIN_POLL_MS = 250;

async function backupOf(runtime: Runtime, run: TaskRun<unknown>): Promise<BackupTable> {
  const backup = await runtime.backups.find(run.task.target_id);
  if (!backup) throw new PermanentTaskError('the backup no longer exists');
  return backup;
}

/** The instance goes back to what it was doing before the backup (nothing), whatever the outcome. */
async function releaseInstance(runtime: Runtime, instanceId: string): Promise<void> {
  await runtime.instances.db.updateTable('instances').set({ task_status: TaskStatus.NONE, updated_at: new Date().toISOString() }).where('id', '=', instanceId).where('task_status', '=', 'BACKUP').execute();
}

/**
 * Takes a backup: the agent streams the engine's tool through the pipeline into the object
 * store; the control plane then reads the object back, checks its size and SHA-256, writes the
 * manifest, and only then calls the backup COMPLETED.
 */
export function createBackupTask(runtime: Runtime, deadlineSeconds: number): TaskKind<BackupParams> {
  const storage = runtime.backupObjects;
  return {
    kind: 'backup.create',
    deadlineSeconds,
    steps: [
      {
        name: 'start',
        async run(run) {
          const backup = await backupOf(runtime, run);
          const parent = backup.parent_id ? await runtime.backups.find(backup.parent_id) : undefined;
          if (backup.parent_id && !parent?.positions) throw new PermanentTaskError(`the parent backup ${backup.parent_id} is gone or records no positions`);
          const request: BackupRequest = {
            backup_id: backup.id,
            kind: backup.kind === 'incremental' ? 'incremental' : 'full',
            ...(parent?.positions ? { parent: { positions: parseOwn<Record<string, string>>(parent.positions) } } : {}),
            store: storage.spec,
            object: { container: backup.container, key: backup.object_key },
            encryption: keyForAgent(storage.keyring.current),
            archive: { container: storage.defaultContainer, prefix: BackupObjects.archivePrefix(backup.instance_id) },
          };
          try {
            await agentOf(runtime, run.params.instance_id).call(routes.backupStart, request);
          } catch (err) {
            // 409: the engine is not answering right now, or another backup is finishing: try again.
            if (err instanceof AgentRefused && err.status !== 409) throw new PermanentTaskError(err.message);
            if (err instanceof AgentUnreachable) await reviveAgent(runtime, run.params.instance_id);
            throw err;
          }
          await runtime.backups.update(backup.id, { status: 'BUILDING' });
          return 'done';
        },
      },
      {
        name: 'wait',
        async run(run) {
          const instance = await runtime.instances.find(run.params.instance_id);
          if (!instance || instance.task_status === 'DELETING') throw new PermanentTaskError('the instance was deleted while its backup was under way');
          let state: BackupState;
          const asked = Date.now();
          try {
            state = await agentOf(runtime, instance.id).call(routes.backupState, { id: run.task.target_id, wait_ms: String(HOLD_MS) });
          } catch (err) {
            // A dead agent, brought back, answers that the backup it was running is lost.
            if (err instanceof AgentUnreachable) await reviveAgent(runtime, instance.id);
            throw err;
          }
          // The reconciler leaves busy instances alone: this poll is the instance's sign of life.
          await runtime.instances.update(instance.id, { last_contact_at: new Date().toISOString() });
          if (state.state === 'running') {
            if (state.stored_bytes !== undefined) await runtime.backups.update(run.task.target_id, { progress_bytes: state.stored_bytes });
            return { waitMs: Math.max(0, MIN_POLL_MS - (Date.now() - asked)) };
          }
          if (state.state === 'failed') throw new PermanentTaskError(state.error ?? 'the guest agent gives no reason');
          if (state.state !== 'completed' || !state.result) throw new PermanentTaskError('the guest agent has no record of this backup (its run folder was lost)');
          const { result } = state;
          await runtime.backups.update(run.task.target_id, {
            size_bytes: result.size,
            sha256: result.sha256,
            tool: result.tool,
            positions: JSON.stringify(result.positions),
            volume_used_bytes: result.volume_used_bytes,
            parts: result.parts ? JSON.stringify(result.parts) : null,
            archive_floor: result.archive_floor ?? null,
            status: 'SAVING',
          });
          return 'done';
        },
      },
      {
        name: 'verify-and-record',
        async run(run) {
          const backup = await backupOf(runtime, run);
          try {
            await verifyStored({ store: storage.store, container: backup.container, key: backup.object_key }, { size: backup.size_bytes ?? -1, sha256: backup.sha256 ?? '' });
          } catch (err) {
            throw new PermanentTaskError(`the uploaded backup failed verification: ${(err as Error).message}`);
          }
          for (const part of partsOf(backup)) {
            try {
              await verifyStored({ store: storage.store, container: part.container, key: part.key }, part);
            } catch (err) {
              throw new PermanentTaskError(`the archived log file ${part.key} it spans failed verification: ${(err as Error).message}`);
            }
          }
          const now = new Date().toISOString();
          await storage.store.put(backup.container, BackupObjects.manifestKey(backup.id), Buffer.from(JSON.stringify(manifestOf(backup, now), null, 2)));
          await runtime.backups.update(backup.id, { status: 'COMPLETED' });
          await releaseInstance(runtime, run.params.instance_id);
          // A new full backup is what later incrementals build on: older unlisted log files may go.
          if (backup.archive_floor) await collectArchiveQuietly(runtime.backups.db, storage, backup.instance_id, run.log);
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      // A tool still running (stuck past the deadline) must not hold the instance's next backup.
      await bestEffort(run.log, 'stopping the failed backup on the agent', agentOf(runtime, run.params.instance_id).call(routes.backupAbort, { id: run.task.target_id }));
      const backup = await runtime.backups.find(run.task.target_id);
      if (backup) {
        await bestEffort(run.log, "deleting the failed backup's objects", storage.store.deletePrefix(backup.container, BackupObjects.prefix(backup.id)));
        await runtime.backups.update(backup.id, { status: 'FAILED', fail_reason: reason });
      }
      await releaseInstance(runtime, run.params.instance_id);
    },
  };
}

/** Deletes backups' objects, then their rows; incrementals go before what they build on. */
export function deleteBackupsTask(runtime: Runtime, deadlineSeconds: number): TaskKind<DeleteBackupsParams> {
  const { store } = runtime.backupObjects;
  return {
    kind: 'backup.delete',
    deadlineSeconds,
    steps: [
      {
        name: 'delete',
        async run(run) {
          const instances = new Set<string>();
          for (const id of run.params.ids) {
            const backup = await runtime.backups.find(id);
            if (!backup) continue;
            instances.add(backup.instance_id);
            await store.deletePrefix(backup.container, BackupObjects.prefix(backup.id));
            await runtime.backups.db.transaction().execute(async (trx) => {
              await trx.updateTable('backups').set({ deleted: 1, deleted_at: new Date().toISOString(), updated_at: new Date().toISOString() }).where('id', '=', id).execute();
              await runtime.quotas.charge(trx, backup.project_id, { backups: -1 });
            });
          }
          for (const instanceId of instances) await collectArchiveQuietly(runtime.backups.db, runtime.backupObjects, instanceId, run.log);
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      for (const id of run.params.ids) {
        const backup = await runtime.backups.find(id);
        if (backup) await runtime.backups.update(id, { status: 'DELETE_FAILED', fail_reason: reason });
      }
    },
  };
}
