import { TaskStatus } from '../../state/task-status.js';
import { accessOf, canonicalCidr } from '../../instance/access.js';
import type { InstanceTable } from '../../state/schema.js';
import { agentOf, type Runtime } from '../../control/runtime.js';
import { PermanentTaskError, type NoParams, type TaskKind } from '../../control/task-manager.js';
import { routes } from '../../agent/rpc/routes.js';

/** The networks the packet filter and the engine are given: canonical, so both read them alike. */
export function allowedCidrsOf(instance: Pick<InstanceTable, 'access_public' | 'access_cidrs'>): string[] {
  return accessOf(instance).allowedCidrs.map(canonicalCidr);
}

/**
 * Publishes an instance as its row says: a public endpoint leased when public (released when
 * not, after the rules that used it are gone), and the packet filter told who may connect.
 */
export async function publish(runtime: Runtime, instance: InstanceTable): Promise<void> {
  const access = accessOf(instance);
  const { descriptor } = runtime.catalog.get(instance.datastore);
  const endpoint = access.isPublic ? await runtime.publicEndpoints.lease(instance.id, descriptor.defaultPort) : undefined;
  await runtime.driver.expose(instance.id, {
    address: instance.address!,
    port: descriptor.defaultPort,
    ...(endpoint ? { public: endpoint } : {}),
    allowedCidrs: allowedCidrsOf(instance),
    engineUser: descriptor.engineUser,
  });
  if (!endpoint) await runtime.publicEndpoints.release(instance.id);
}

/** A change of `access` on a running instance: the host's rules, then the engine's own; no restart. */
export function updateAccessTask(runtime: Runtime, deadlineSeconds: number): TaskKind<NoParams> {
  const instanceOf = async (id: string) => {
    const instance = await runtime.instances.find(id);
    if (!instance) throw new PermanentTaskError('the instance no longer exists');
    return instance;
  };
  return {
    kind: 'instance.update_access',
    deadlineSeconds,
    steps: [
      {
        name: 'publish',
        async run(run) {
          await publish(runtime, await instanceOf(run.task.target_id));
          return 'done';
        },
      },
      {
        name: 'engine-rule',
        async run(run) {
          const instance = await instanceOf(run.task.target_id);
          await agentOf(runtime, instance.id).call(routes.accessApply, { allowed_cidrs: allowedCidrsOf(instance) });
          await runtime.instances.update(instance.id, { task_status: TaskStatus.NONE });
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      await runtime.instances.setFault(run.task.target_id, `Access could not be changed: ${reason}`, reason);
    },
  };
}
