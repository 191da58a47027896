import { randomBytes } from 'node:crypto';
import { TaskStatus } from '../state/task-status.js';
import { REPLICATION_USER, type ReplicationSource } from '../agent/replication-protocol.js';
import type { InstanceTable } from '../state/schema.js';
import type { Runtime } from './runtime.js';
import type { SecretBox } from '../common/secrets.js';
import { PermanentTaskError } from './task-manager.js';

/** A replica's retainer at its source (what an engine keeps there per replica, named after it), from the replica's id. */
export function retainerOf(replicaId: string): string {
  return `replica_${replicaId.replace(/-/g, '_')}`;
}

/** A new set's replication password, sealed for the state store. */
export function newReplicationSecret(secrets: SecretBox): string {
  return secrets.seal(randomBytes(24).toString('base64url'));
}

/** What a replica is told to connect to, as whom, under which retainer. */
export function replicationSourceFor(runtime: Runtime, source: InstanceTable, replicaId: string, sealedSecret: string): ReplicationSource {
  if (!source.address || !source.port) throw new Error(`the source ${source.id} has no address`);
  return { host: source.address, port: source.port, user: REPLICATION_USER, password: runtime.secrets.open(sealedSecret), retainer: retainerOf(replicaId) };
}

/** The set's replication password, sealed, as a member's row keeps it. */
export function secretOf(instance: InstanceTable): string {
  if (!instance.replication_secret) throw new PermanentTaskError(`instance ${instance.id} has no replication password recorded`);
  return instance.replication_secret;
}

/**
 * Marks every id busy with `taskStatus` and enqueues the task, atomically: all were idle (or,
 * where `allowed` says so, in another state), or nothing changes and false is returned.
 */
export async function startSetTask(runtime: Pick<Runtime, 'instances' | 'tasks'>, ids: string[], taskStatus: TaskStatus, kind: string, targetId: string, params: object, allowed: TaskStatus[] = [TaskStatus.NONE]): Promise<boolean> {
  const started = await runtime.instances.db
    .transaction()
    .execute(async (trx) => {
      const updated = await trx.updateTable('instances').set({ task_status: taskStatus, updated_at: new Date().toISOString() }).where('id', 'in', ids).where('task_status', 'in', allowed).executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== ids.length) {
        // Someone was busy: roll back the ones marked.
        throw new SetBusy();
      }
      await runtime.tasks.enqueue(trx, kind, targetId, params);
      return true;
    })
    .catch((err: unknown) => {
      if (err instanceof SetBusy) return false;
      throw err;
    });
  if (started) runtime.tasks.nudge();
  return started;
}

class SetBusy extends Error {}

/** Starts the failover of a source: it and its replicas are EJECTING; false when one of them is busy. */
export async function startEject(runtime: Pick<Runtime, 'instances' | 'tasks'>, source: InstanceTable, replicaIds: string[]): Promise<boolean> {
  const members = [source.id, ...replicaIds];
  return startSetTask(runtime, members, 'EJECTING', 'instance.eject', source.id, { source_id: source.id, members }, [TaskStatus.NONE, TaskStatus.ERROR]);
}

/**
 * Since when a member has been out of service: unreachable since this server first failed to
 * reach it (kept by the reconciler, so silence from before the server started is not counted),
 * or, while its agent answers, its engine unhealthy since its status last changed. Undefined
 * while it is in service.
 */
export function downSince(instance: Pick<InstanceTable, 'service_status' | 'service_status_updated'>, unreachableSince: Date | undefined): Date | undefined {
  if (unreachableSince) return unreachableSince;
  if (instance.service_status !== 'HEALTHY') return new Date(instance.service_status_updated);
  return undefined;
}
