import type { Logger } from '../../common/log.js';
import { changeBetween, groupOf, instanceFlavor, parseValues, resolveForFlavor, rulesOf } from '../instance-values.js';
import { ParameterError } from '../../catalog/parameter-rules.js';
import { AgentRefused } from '../../agent/rpc/client.js';
import { agentOf, type Runtime } from '../../control/runtime.js';
import { PermanentTaskError, type TaskKind } from '../../control/task-manager.js';
import { routes } from '../../agent/rpc/routes.js';

/**
 * Brings an instance's engine to its configuration group as it is now (attached, changed or
 * detached): the values are written for its flavor, the dynamic ones set live, and the instance
 * marked RESTART_REQUIRED when a change waits for a restart. Reads the group when it runs, so a
 * repeated or late run converges on the latest values.
 */
export async function applyGroup(runtime: Runtime, instanceId: string, log: Logger): Promise<void> {
  const instance = await runtime.instances.find(instanceId);
  if (!instance || instance.task_status === 'DELETING') return;
  const group = await groupOf(runtime.instances.db, instance);
  let next;
  try {
    next = resolveForFlavor(runtime.catalog, group, instance.datastore, instanceFlavor(instance));
  } catch (err) {
    if (err instanceof ParameterError) throw new PermanentTaskError(err.message);
    throw err;
  }
  const change = changeBetween(rulesOf(runtime.catalog, instance.datastore), parseValues(instance.applied_configuration), next);
  const agent = agentOf(runtime, instance.id);
  let restartRequired = change.restartRequired;
  try {
    const { restart_pending: pending } = await agent.call(routes.configurationApply, { values: next, live: change.live, revert: change.revert });
    if ((pending ?? []).length > 0) restartRequired = true;
  } catch (err) {
    // The engine is down (stopped, crashed): the files take it all, for its next start.
    if (!(err instanceof AgentRefused && err.status === 409) || change.live.length + change.revert.length === 0) throw err;
    await agent.call(routes.configurationApply, { values: next, live: [] });
    restartRequired = true;
  }
  await runtime.instances.update(instance.id, { applied_configuration: JSON.stringify(next), restart_required: instance.restart_required || restartRequired ? 1 : 0 });
  log.info({ instance: instance.id, changed: change.changed, live: change.live, reverted: change.revert, restart_required: restartRequired }, 'configuration applied');
}

/** One instance's configuration, as its group is now. */
export function configureInstanceTask(runtime: Runtime, deadlineSeconds: number): TaskKind<Record<string, never>> {
  return {
    kind: 'instance.configure',
    deadlineSeconds,
    steps: [
      {
        name: 'apply',
        async run(run) {
          await applyGroup(runtime, run.task.target_id, run.log);
          return 'done';
        },
      },
    ],
    async onFailure(run, reason) {
      run.log.error({ reason }, 'configuration could not be applied');
      await runtime.instances.setFault(run.task.target_id, `Configuration could not be applied: ${reason}`, reason);
    },
  };
}
