import { TaskStatus } from '../../state/task-status.js';
import { groupOf, resolveForFlavor, tunedFlavor } from '../../configuration-groups/instance-values.js';
import type { PrepareRequest } from '../../agent/protocol.js';
import { keyForAgent } from '../../object-storage/backup-keyring.js';
import type { RestorePlan } from '../../backup/restore-planner.js';
import type { InstanceTable } from '../../state/schema.js';
import { AgentUnreachable } from '../../agent/rpc/client.js';
import { collectArchiveQuietly } from '../../backup/archive-parts.js';
import { forgetSeed, joinReplica, replicaPrepareRequest, startSeed, waitForSeed } from './replica-seed.js';
import { retainerOf } from '../../control/replication-set.js';
import { routes } from '../../agent/rpc/routes.js';
import { bestEffort } from '../../common/best-effort.js';
import { agentOf, placementOf, reviveAgent, type Runtime } from '../../control/runtime.js';
import { allowedCidrsOf, publish } from './access-tasks.js';
import { membershipOf, waitForCluster, type MemberParams } from './cluster-member.js';
import { PermanentTaskError, type NoParams, type StepOutcome, type TaskKind, type TaskRun } from '../../control/task-manager.js';
import { parseOwn } from '../../common/json.js';

/**
 * What the create task keeps (secrets sealed): the restore source gets its store and key only
 * when it is sent, and the flavor its tuning (from the catalog, for the instance's datastore).
 */
export type CreateParams = Omit<PrepareRequest, 'restore' | 'replica' | 'flavor' | 'cluster'> & {
  flavor: { ram_mb: number; vcpus: number };
  restore?: RestorePlan;
  /** A replica: seeded from a fresh backup of this source, then following it. */
  replica_of?: string;
  /** A cluster member (its row names the cluster). */
  cluster?: MemberParams;
};

async function instanceOf(runtime: Runtime, run: TaskRun<unknown>): Promise<InstanceTable> {
  const instance = await runtime.instances.find(run.task.target_id);
  if (!instance) throw new PermanentTaskError('the instance no longer exists');
  return instance;
}

function prepareRequest(runtime: Runtime, params: Omit<CreateParams, 'flavor' | 'replica_of' | 'cluster'> & Pick<PrepareRequest, 'flavor'>): PrepareRequest {
  const { restore, ...request } = params;
  if (!restore) return request;
  const key = runtime.backupObjects.keyring.find(restore.key_id);
  if (!key) throw new PermanentTaskError(`the backup was encrypted with key ${restore.key_id}, which this server does not have`);
  return { ...request, restore: { store: runtime.backupObjects.spec, encryption: keyForAgent(key), chain: restore.chain } };
}

/** Asks the agent to prepare; an agent still starting up is asked again shortly, a dead one started again. */
async function askToPrepare(runtime: Runtime, instanceId: string, request: PrepareRequest): Promise<StepOutcome> {
  try {
    await agentOf(runtime, instanceId).call(routes.prepare, request);
    return 'done';
  } catch (err) {
    if (!(err instanceof AgentUnreachable)) throw err;
    await reviveAgent(runtime, instanceId);
    return { waitMs: 200 };
  }
}

/**
 * Waits for the prepared engine to answer, then records the instance ACTIVE with what its agent
 * says. An agent that is new (started again after the prepare was sent: it never heard of it)
 * is asked again with `prepare`; one that is gone is started again.
 */
async function recordWhenHealthy(runtime: Runtime, instanceId: string, failure: string, prepare: () => Promise<PrepareRequest>): Promise<StepOutcome> {
  let status;
  try {
    status = await agentOf(runtime, instanceId).call(routes.status);
  } catch (err) {
    if (!(err instanceof AgentUnreachable)) throw err;
    await reviveAgent(runtime, instanceId);
    return { waitMs: 200 };
  }
  if (status.service === 'FAILED') throw new PermanentTaskError(`${failure}: ${status.message ?? 'no reason given'}`);
  if (status.service === 'NEW') {
    const outcome = await askToPrepare(runtime, instanceId, await prepare());
    return outcome === 'done' ? { waitMs: 20 } : outcome;
  }
  if (status.service !== 'HEALTHY') return { waitMs: 20 };
  const now = new Date().toISOString();
  await runtime.instances.update(instanceId, {
    task_status: TaskStatus.NONE,
    service_status: 'HEALTHY',
    server_status: 'ACTIVE',
    service_status_updated: now,
    last_contact_at: now,
    restart_required: 0,
    volume_used_bytes: status.volume.used_bytes,
    ...(status.replication ? { replication_status: JSON.stringify(status.replication) } : {}),
  });
  return 'done';
}

/** Builds an instance: address, placement (folder, volume, limits, agent), prepare, wait for health. */
export function createInstanceTask(runtime: Runtime, deadlineSeconds: number): TaskKind<CreateParams> {
  const createRequest = async (run: TaskRun<CreateParams>): Promise<PrepareRequest> => {
    const { replica_of: sourceId, cluster: member, ...stored } = run.params;
    const instance = await instanceOf(runtime, run);
    const params = { ...stored, flavor: tunedFlavor(runtime.catalog, instance.datastore, stored.flavor) };
    if (member) return { ...prepareRequest(runtime, params), cluster: await membershipOf(runtime, instance, member) };
    return sourceId ? replicaPrepareRequest(runtime, instance, sourceId, params) : prepareRequest(runtime, params);
  };
  return {
    kind: 'instance.create',
    deadlineSeconds,
    encode: (params) => JSON.stringify({ ...params, users: params.users.map((u) => ({ ...u, password: runtime.secrets.seal(u.password) })) }),
    decode: (stored) => {
      const params = parseOwn<CreateParams>(stored);
      return { ...params, users: (params.users ?? []).map((u) => ({ ...u, password: runtime.secrets.open(u.password) })) };
    },
    steps: [
      {
        name: 'lease-address',
        async run(run) {
          const instance = await instanceOf(runtime, run);
          const address = await runtime.addresses.lease(instance.id);
          await runtime.instances.update(instance.id, { address, port: placementOf(runtime, instance, address).port });
          return 'done';
        },
      },
      {
        name: 'place',
        async run(run) {
          const instance = await instanceOf(runtime, run);
          await runtime.driver.place(placementOf(runtime, instance, instance.address!));
          return 'done';
        },
      },
      {
        // Before the engine first listens: who may reach it holds from its first connection.
        name: 'publish',
        async run(run) {
          await publish(runtime, await instanceOf(runtime, run));
          return 'done';
        },
      },
      {
        name: 'seed',
        async run(run) {
          return run.params.replica_of ? startSeed(runtime, await instanceOf(runtime, run), run.params.replica_of) : 'done';
        },
      },
      {
        name: 'wait-for-seed',
        async run(run) {
          return run.params.replica_of ? waitForSeed(runtime, await instanceOf(runtime, run), run.params.replica_of) : 'done';
        },
      },
      {
        // A cluster member: the others' addresses, and a member to join (unless it starts the cluster).
        name: 'wait-for-cluster',
        async run(run) {
          return run.params.cluster ? waitForCluster(runtime, await instanceOf(runtime, run), run.params.cluster) : 'done';
        },
      },
      {
        name: 'prepare',
        run: async (run) => askToPrepare(runtime, run.task.target_id, await createRequest(run)),
      },
      {
        name: 'wait-healthy',
        run: (run) => recordWhenHealthy(runtime, run.task.target_id, 'the datastore could not be prepared', () => createRequest(run)),
      },
      {
        name: 'join',
        async run(run) {
          if (run.params.replica_of) await joinReplica(runtime, run.task.target_id, run.params.replica_of, run.log);
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      const id = run.task.target_id;
      if (run.params.replica_of) await forgetSeed(runtime, id, run.params.replica_of, true, run.log);
      // Leave nothing behind but the row, which shows the fault until the user deletes it.
      await runtime.driver.remove(id);
      await runtime.addresses.release(id);
      await runtime.publicEndpoints.release(id);
      await runtime.instances.update(id, { address: null, port: null, service_status: 'FAILED', volume_used_bytes: null });
      await runtime.instances.setFault(id, `Instance could not be built: ${reason}`, reason);
    },
  };
}

/** Removes an instance: cancels other tasks, stops the agent, removes everything, frees quota. */
export function deleteInstanceTask(runtime: Runtime, deadlineSeconds: number): TaskKind<NoParams> {
  return {
    kind: 'instance.delete',
    deadlineSeconds,
    steps: [
      {
        name: 'cancel-other-tasks',
        async run(run) {
          const busy = await runtime.tasks.cancelOthers(run.task.target_id, run.task.id);
          return busy ? { waitMs: 100 } : 'done';
        },
      },
      {
        name: 'stop-agent',
        async run(run) {
          try {
            await agentOf(runtime, run.task.target_id).call(routes.shutdown);
          } catch {
            // No agent answering: remove() ends whatever processes are left.
          }
          return 'done';
        },
      },
      {
        name: 'remove',
        async run(run) {
          await runtime.driver.remove(run.task.target_id);
          await runtime.addresses.release(run.task.target_id);
          await runtime.publicEndpoints.release(run.task.target_id);
          return 'done';
        },
      },
      {
        // A replica's retainer on its source would keep the source's log for ever: a failure to release it is logged.
        // Running tasks keep their step's name in the state store: it stays as it was.
        name: 'release-slot',
        async run(run) {
          const instance = await runtime.instances.find(run.task.target_id);
          if (instance?.replica_of_id) {
            await bestEffort(run.log, "releasing the deleted replica's retainer on its source", agentOf(runtime, instance.replica_of_id).call(routes.replicationRelease, { retainer: retainerOf(instance.id) }));
          }
          return 'done';
        },
      },
      {
        name: 'forget',
        async run(run) {
          const instance = await runtime.instances.find(run.task.target_id);
          if (!instance) return 'done';
          await runtime.instances.db.transaction().execute(async (trx) => {
            await trx.updateTable('instances').set({ deleted: 1, deleted_at: new Date().toISOString(), updated_at: new Date().toISOString() }).where('id', '=', instance.id).execute();
            await runtime.quotas.charge(trx, instance.project_id, { instances: -1, volumes: -instance.volume_size, ram: -instance.ram_mb });
          });
          return 'done';
        },
      },
      {
        // Its archived log files that no backup lists are now of use to nobody.
        name: 'collect-archive',
        async run(run) {
          await collectArchiveQuietly(runtime.backups.db, runtime.backupObjects, run.task.target_id, run.log);
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      await runtime.instances.setFault(run.task.target_id, `Instance could not be deleted: ${reason}`, reason);
    },
  };
}

/** Restarts the engine through the agent. */
export function restartInstanceTask(runtime: Runtime, deadlineSeconds: number): TaskKind<NoParams> {
  return {
    kind: 'instance.restart',
    deadlineSeconds,
    steps: [
      {
        name: 'restart',
        async run(run) {
          await agentOf(runtime, run.task.target_id).call(routes.restart);
          const now = new Date().toISOString();
          // The engine has read its configuration afresh: nothing waits for a restart any more.
          await runtime.instances.update(run.task.target_id, { task_status: TaskStatus.NONE, service_status: 'HEALTHY', service_status_updated: now, last_contact_at: now, restart_required: 0 });
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      await runtime.instances.setFault(run.task.target_id, `Instance could not be restarted: ${reason}`, reason);
    },
  };
}

export interface VolumeResizeParams {
  from: number;
  to: number;
}

/** Grows the volume online; the instance keeps serving throughout. */
export function resizeVolumeTask(runtime: Runtime, deadlineSeconds: number): TaskKind<VolumeResizeParams> {
  return {
    kind: 'instance.resize_volume',
    deadlineSeconds,
    steps: [
      {
        name: 'grow',
        async run(run) {
          const instance = await instanceOf(runtime, run);
          const spec = { ...placementOf(runtime, instance, instance.address!), volumeGb: run.params.to };
          if ((await runtime.driver.growVolume(spec)) === 'grown') return 'done';
          // This host cannot grow a mounted file system: a short stop of the engine instead.
          const agent = agentOf(runtime, instance.id);
          await agent.call(routes.engineStop);
          await runtime.driver.growVolumeOffline(spec);
          await agent.call(routes.engineStart);
          return 'done';
        },
      },
      {
        name: 'record',
        async run(run) {
          const status = await agentOf(runtime, run.task.target_id).call(routes.status);
          await runtime.instances.update(run.task.target_id, { volume_size: run.params.to, volume_used_bytes: status.volume.used_bytes, task_status: TaskStatus.NONE });
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      // The size stays what it was; give back the quota charged for the growth.
      const instance = await runtime.instances.find(run.task.target_id);
      if (instance) {
        try {
          await runtime.driver.ensureVolume(placementOf(runtime, instance, instance.address!));
          await agentOf(runtime, instance.id).call(routes.engineStart);
        } catch (err) {
          reason = `${reason}; the engine could not be started again: ${(err as Error).message}`;
        }
        await runtime.instances.db.transaction().execute((trx) => runtime.quotas.charge(trx, instance.project_id, { volumes: run.params.from - run.params.to }));
      }
      await runtime.instances.setFault(run.task.target_id, `Volume could not be resized: ${reason}`, reason);
    },
  };
}

export interface FlavorResizeParams {
  from: { id: string; ram_mb: number; vcpus: number };
  to: { id: string; ram_mb: number; vcpus: number };
}

/** New flavor: re-tuned configuration, new limits, engine restarted, data kept. */
export function resizeFlavorTask(runtime: Runtime, deadlineSeconds: number): TaskKind<FlavorResizeParams> {
  const apply = async (run: TaskRun<FlavorResizeParams>, flavor: FlavorResizeParams['to']) => {
    const instance = await instanceOf(runtime, run);
    const agent = agentOf(runtime, instance.id);
    await agent.call(routes.configure, { flavor: tunedFlavor(runtime.catalog, instance.datastore, flavor) });
    // The group's formulas follow the flavor; the restart below puts everything in force.
    const group = await groupOf(runtime.instances.db, instance);
    const values = resolveForFlavor(runtime.catalog, group, instance.datastore, flavor);
    if (group || instance.applied_configuration) {
      await agent.call(routes.configurationApply, { values, live: [] });
      await runtime.instances.update(instance.id, { applied_configuration: JSON.stringify(values) });
    }
    await runtime.driver.updateLimits({ ...placementOf(runtime, instance, instance.address!), ramMb: flavor.ram_mb, vcpus: flavor.vcpus });
    await agent.call(routes.restart);
  };
  return {
    kind: 'instance.resize_flavor',
    deadlineSeconds,
    steps: [
      {
        name: 'reconfigure-and-restart',
        async run(run) {
          await apply(run, run.params.to);
          return 'done';
        },
      },
      {
        name: 'record',
        async run(run) {
          const { to } = run.params;
          const now = new Date().toISOString();
          await runtime.instances.update(run.task.target_id, { flavor_id: to.id, ram_mb: to.ram_mb, vcpus: to.vcpus, task_status: TaskStatus.NONE, service_status: 'HEALTHY', service_status_updated: now, last_contact_at: now, restart_required: 0 });
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      // Back to the old flavor's configuration and limits, so the engine runs as it did.
      try {
        await apply(run, run.params.from);
      } catch (err) {
        reason = `${reason}; returning to the old flavor also failed: ${(err as Error).message}`;
      }
      const instance = await runtime.instances.find(run.task.target_id);
      if (instance) {
        await runtime.instances.db.transaction().execute((trx) => runtime.quotas.charge(trx, instance.project_id, { ram: run.params.from.ram_mb - run.params.to.ram_mb }));
      }
      await runtime.instances.setFault(run.task.target_id, `Flavor could not be changed: ${reason}`, reason);
    },
  };
}

/**
 * Rebuilds the guest from the current image on the same volume: the data, the configuration
 * group's values, the access rules and the instance's place in a replication set are kept.
 */
export function rebuildInstanceTask(runtime: Runtime, deadlineSeconds: number): TaskKind<NoParams> {
  const rebuildRequest = async (run: TaskRun<NoParams>): Promise<PrepareRequest> => {
    const instance = await instanceOf(runtime, run);
    const configuration = instance.applied_configuration ? parseOwn<PrepareRequest['configuration']>(instance.applied_configuration) : undefined;
    const cidrs = allowedCidrsOf(instance);
    return {
      flavor: tunedFlavor(runtime.catalog, instance.datastore, { ram_mb: instance.ram_mb, vcpus: instance.vcpus }),
      databases: [],
      users: [],
      rebuild: true,
      ...(configuration && Object.keys(configuration).length > 0 ? { configuration } : {}),
      ...(cidrs.length > 0 ? { allowed_cidrs: cidrs } : {}),
    };
  };
  return {
    kind: 'instance.rebuild',
    deadlineSeconds,
    steps: [
      {
        name: 'stop-guest',
        async run(run) {
          // A clean stop of the engine when its agent answers; the driver ends whatever is left.
          await agentOf(runtime, run.task.target_id)
            .call(routes.shutdown)
            .catch((err: Error) => run.log.warn({ err: err.message }, 'the old guest did not stop cleanly; its processes are ended'));
          return 'done';
        },
      },
      {
        name: 'reimage',
        async run(run) {
          const instance = await instanceOf(runtime, run);
          await runtime.driver.rebuild(placementOf(runtime, instance, instance.address!));
          return 'done';
        },
      },
      {
        name: 'prepare',
        run: async (run) => askToPrepare(runtime, run.task.target_id, await rebuildRequest(run)),
      },
      {
        name: 'wait-healthy',
        run: (run) => recordWhenHealthy(runtime, run.task.target_id, 'the rebuilt guest could not start its engine', () => rebuildRequest(run)),
      },
    ],
    async onFailure(run, reason) {
      await runtime.instances.setFault(run.task.target_id, `Instance could not be rebuilt: ${reason}`, reason);
    },
  };
}
