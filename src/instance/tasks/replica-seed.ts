import type { BackupRequest, RestoreStep } from '../../agent/backup-protocol.js';
import type { PrepareRequest } from '../../agent/protocol.js';
import { REPLICATION_USER } from '../../agent/replication-protocol.js';
import { keyForAgent } from '../../object-storage/backup-keyring.js';
import type { InstanceTable } from '../../state/schema.js';
import { AgentRefused, AgentUnreachable } from '../../agent/rpc/client.js';
import { routes } from '../../agent/rpc/routes.js';
import { bestEffort } from '../../common/best-effort.js';
import type { Logger } from '../../common/log.js';
import { replicationSourceFor, retainerOf, secretOf } from '../../control/replication-set.js';
import { agentOf, type Runtime } from '../../control/runtime.js';
import { PermanentTaskError, type StepOutcome } from '../../control/task-manager.js';

/** A replica's seed is a backup of its source under the replica's own id, outside the backup list. */
function seedObject(runtime: Runtime, replicaId: string) {
  return { container: runtime.backupObjects.defaultContainer, key: `replica-seeds/${replicaId}/data` };
}

async function sourceOf(runtime: Runtime, sourceId: string): Promise<InstanceTable> {
  const source = await runtime.instances.find(sourceId);
  if (!source || source.task_status === 'DELETING') throw new PermanentTaskError('the replica source was deleted');
  return source;
}

/**
 * The source lets the replica in (its account, and its retainer, which from now on keeps the log the
 * replica will need), then streams a full backup through the backup pipeline: the replica's data.
 */
export async function startSeed(runtime: Runtime, replica: InstanceTable, sourceId: string): Promise<StepOutcome> {
  const agent = agentOf(runtime, (await sourceOf(runtime, sourceId)).id);
  const storage = runtime.backupObjects;
  return seedCall(async () => {
    await agent.call(routes.replicationAllow, { user: REPLICATION_USER, password: runtime.secrets.open(secretOf(replica)), retainers: [retainerOf(replica.id)] });
    const request: BackupRequest = { backup_id: replica.id, kind: 'full', store: storage.spec, object: seedObject(runtime, replica.id), encryption: keyForAgent(storage.keyring.current) };
    await agent.call(routes.backupStart, request);
    return 'done';
  });
}

/** Until the seed backup has ended on the source (the agent holds each question up to 2 s). */
export async function waitForSeed(runtime: Runtime, replica: InstanceTable, sourceId: string): Promise<StepOutcome> {
  const agent = agentOf(runtime, (await sourceOf(runtime, sourceId)).id);
  return seedCall(async () => {
    const state = await agent.call(routes.backupState, { id: replica.id, wait_ms: '2000' });
    if (state.state === 'running') return { waitMs: 0 };
    if (state.state !== 'completed') throw new PermanentTaskError(`the source could not be backed up for the replica: ${state.error ?? state.state}`);
    return 'done';
  });
}

/** 409: the source is busy with a backup of its own, or its engine is restarting: wait. */
async function seedCall(call: () => Promise<StepOutcome>): Promise<StepOutcome> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AgentUnreachable || (err instanceof AgentRefused && err.status === 409)) return { waitMs: 1000 };
    if (err instanceof AgentRefused) throw new PermanentTaskError(err.message);
    throw err;
  }
}

/** The replica's prepare: restore the seed, then follow the source from the seed's positions. */
export async function replicaPrepareRequest(runtime: Runtime, replica: InstanceTable, sourceId: string, params: Omit<PrepareRequest, 'restore' | 'replica'>): Promise<PrepareRequest> {
  const source = await sourceOf(runtime, sourceId);
  const state = await agentOf(runtime, source.id).call(routes.backupState, { id: replica.id });
  if (state.state !== 'completed' || !state.result) throw new PermanentTaskError(`the replica's seed backup is ${state.state} on the source`);
  const step: RestoreStep = { backup_id: replica.id, kind: 'full', object: seedObject(runtime, replica.id), size: state.result.size, sha256: state.result.sha256, positions: state.result.positions };
  return {
    ...params,
    databases: [],
    users: [],
    restore: { store: runtime.backupObjects.spec, encryption: keyForAgent(runtime.backupObjects.keyring.current), chain: [step] },
    replica: { source: replicationSourceFor(runtime, source, replica.id, secretOf(replica)), seed: state.result.positions },
  };
}

/** Accounts that do not replicate with the data are copied; the seed is deleted. */
export async function joinReplica(runtime: Runtime, replicaId: string, sourceId: string, log: Logger): Promise<void> {
  const { accounts } = await agentOf(runtime, sourceId).call(routes.accountsExport);
  if (accounts.length > 0) await agentOf(runtime, replicaId).call(routes.accountsImport, { accounts });
  await forgetSeed(runtime, replicaId, sourceId, false, log);
}

/** The seed object goes; a replica that failed also gives up its retainer on the source. */
export async function forgetSeed(runtime: Runtime, replicaId: string, sourceId: string, failed: boolean, log: Logger): Promise<void> {
  const seed = seedObject(runtime, replicaId);
  await bestEffort(log, "deleting the replica's seed", runtime.backupObjects.store.deletePrefix(seed.container, `replica-seeds/${replicaId}/`));
  if (failed) {
    const agent = agentOf(runtime, sourceId);
    await bestEffort(log, "stopping the replica's seed backup on its source", agent.call(routes.backupAbort, { id: replicaId }));
    await bestEffort(log, "releasing the failed replica's retainer on its source", agent.call(routes.replicationRelease, { retainer: retainerOf(replicaId) }));
  }
}
