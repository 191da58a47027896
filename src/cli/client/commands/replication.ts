import type { Command } from 'commander';
import { addWaitOptions, withClient, type WaitFlags } from '../context.js';
import { INSTANCES, find } from '../resolve.js';
import type { InstanceView } from '../views.js';
import { settle } from './instances.js';

/** Replica management, sent as troveclient sends it; what the API allows follows each datastore's capabilities. */
export function registerReplicationCommands(program: Command): void {
  const replicaAction = (verb: string, description: string, action: string, accepted: string) =>
    addWaitOptions(program.command(`${verb} <instance>`).description(description)).action(async (ref: string, flags: WaitFlags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const instance = await find<InstanceView>(api, INSTANCES, ref);
        await api.post(`/instances/${instance.id}/action`, { [action]: {} });
        await settle(api, out, instance, flags, accepted.replace('%s', instance.name));
      }),
    );
  replicaAction('promote-to-replica-source', 'switch over: make a replica the source of its set, without losing writes', 'promote_to_replica_source', 'Replica %s is being promoted.');
  replicaAction('eject-replica-source', 'fail over: give up on the source of this replica set and promote its most advanced replica', 'eject_replica_source', 'The source of %s is being ejected.');

  addWaitOptions(program.command('detach-replica <instance>').description('make a replica a standalone read-write instance')).action(async (ref: string, flags: WaitFlags, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const instance = await find<InstanceView>(api, INSTANCES, ref);
      await api.request('PUT', `/instances/${instance.id}`, { instance: { replica_of: null } });
      await settle(api, out, instance, flags, `Replica ${instance.name} is being detached.`);
    }),
  );
}
