import type { Command } from 'commander';
import type { TroveApi } from '../api.js';
import { addPageOptions, addWaitOptions, timeoutOf, withClient, type PageFlags, type WaitFlags } from '../context.js';
import { usageError } from '../errors.js';
import type { Column, Output } from '../output.js';
import { CLUSTERS, CONFIGURATIONS, FLAVORS, find, idOf } from '../resolve.js';
import type { ClusterMemberView, ClusterView } from '../views.js';
import { getOrGone, waitFor, type Observation } from '../wait.js';

const COLUMNS: Column<ClusterView>[] = [
  { header: 'ID', value: (c) => c.id },
  { header: 'Name', value: (c) => c.name },
  { header: 'Datastore', value: (c) => c.datastore.type },
  { header: 'Datastore Version', value: (c) => c.datastore.version },
  { header: 'Task Name', value: (c) => c.task.name, status: true },
];

const MEMBER_COLUMNS: Column<ClusterMemberView>[] = [
  { header: 'ID', value: (m) => m.id },
  { header: 'Name', value: (m) => m.name },
  { header: 'Type', value: (m) => m.type },
  { header: 'Flavor ID', value: (m) => m.flavor?.id },
  { header: 'Size', value: (m) => m.volume?.size },
  { header: 'Status', value: (m) => m.status, status: true },
  { header: 'IP', value: (m) => m.ip },
];

function printCluster(out: Output, cluster: ClusterView): void {
  out.record(
    cluster,
    [
      ['id', cluster.id],
      ['name', cluster.name],
      ['datastore', cluster.datastore.type],
      ['datastore_version', cluster.datastore.version],
      ['task_name', cluster.task.name],
      ['task_description', cluster.task.description],
      ['instance_count', cluster.instances.length],
      ['ip', cluster.ip],
      ['configuration', cluster.configuration],
      ['fault', cluster.fault?.message],
      ['created', cluster.created],
      ['updated', cluster.updated],
    ],
    ['task_name'],
  );
}

const getCluster = async (api: TroveApi, id: string) => (await api.get<{ cluster: ClusterView }>(`/clusters/${id}`)).cluster;

/** Watches a cluster until its task is over: done with every member ACTIVE, failed with a fault. */
function clusterSettles(api: TroveApi, id: string) {
  return async (): Promise<Observation<ClusterView>> => {
    const cluster = await getCluster(api, id);
    const active = cluster.instances.filter((m) => m.status === 'ACTIVE').length;
    const over = cluster.task.name === 'NONE';
    const outcome = over ? (cluster.fault ? 'failed' : 'done') : 'pending';
    return { resource: cluster, status: cluster.task.name, detail: `${active} of ${cluster.instances.length} members ACTIVE`, outcome, reason: cluster.fault?.message };
  };
}

interface MemberSpec {
  flavorRef: string;
  volume: { size: number; type?: string };
  type?: string[];
  availability_zone?: string;
  region_name?: string;
}

/** `--instance flavor=<flavor>,volume=<GB>[,volume_type=…][,type=…][,availability_zone=…][,region=…]`, as troveclient takes it. */
async function memberOf(api: TroveApi, text: string): Promise<MemberSpec> {
  const options = new Map<string, string>();
  for (const pair of text.split(',')) {
    const [key, value] = pair.split('=', 2);
    if (!key || value === undefined || value === '') throw usageError(`--instance '${text}': write each option as key=value (flavor=…,volume=…)`);
    if (!['flavor', 'volume', 'volume_type', 'type', 'availability_zone', 'region'].includes(key)) throw usageError(`--instance '${text}': unknown option '${key}'`);
    options.set(key, value);
  }
  const flavor = options.get('flavor');
  const volume = Number(options.get('volume'));
  if (!flavor) throw usageError(`--instance '${text}': flavor=<flavor> is required`);
  if (!Number.isInteger(volume) || volume < 1) throw usageError(`--instance '${text}': volume=<GB> is required, a whole number of at least 1`);
  return {
    flavorRef: await idOf(api, FLAVORS, flavor),
    volume: { size: volume, ...(options.has('volume_type') ? { type: options.get('volume_type')! } : {}) },
    ...(options.has('type') ? { type: [options.get('type')!] } : {}),
    ...(options.has('availability_zone') ? { availability_zone: options.get('availability_zone')! } : {}),
    ...(options.has('region') ? { region_name: options.get('region')! } : {}),
  };
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerClusterCommands(program: Command): void {
  addWaitOptions(
    program
      .command('cluster-create <name> <datastore> <datastore_version>')
      .description('create a cluster: trove cluster-create shop mysql 10.11 --instance flavor=2,volume=1 (three times) --wait')
      .requiredOption('--instance <options>', 'one member: flavor=<flavor>,volume=<GB>[,volume_type=…][,type=<member type>] (repeat for each member)', collect, [])
      .option('--locality <policy>', 'affinity or anti-affinity')
      .option('--configuration <group>', 'configuration group id for every member'),
  ).action(async (name: string, datastore: string, version: string, flags: WaitFlags & { instance: string[]; locality?: string; configuration?: string }, command: Command) =>
    withClient(command, async ({ api, out }) => {
      if (flags.instance.length === 0) throw usageError('give one --instance flavor=…,volume=… for each member');
      const instances = [];
      for (const spec of flags.instance) instances.push(await memberOf(api, spec));
      const body = { cluster: { name, datastore: { type: datastore, version }, instances, ...(flags.locality ? { locality: flags.locality } : {}), ...(flags.configuration ? { configuration: flags.configuration } : {}) } };
      const { cluster } = await api.post<{ cluster: ClusterView }>('/clusters', body);
      if (!flags.wait) return printCluster(out, cluster);
      printCluster(out, (await waitFor(clusterSettles(api, cluster.id), { label: cluster.name, timeoutSeconds: timeoutOf(flags) }))!);
    }),
  );

  addPageOptions(program.command('cluster-list').description('list clusters'), 'cluster').action(async (flags: PageFlags, command: Command) =>
    withClient(command, async ({ api, out }) => out.list(await api.listPaged<ClusterView>('/clusters', 'clusters', flags), COLUMNS, 'No clusters.')),
  );

  program
    .command('cluster-show <cluster>')
    .description('show a cluster (by name or id)')
    .action(async (ref: string, _flags, command: Command) => withClient(command, async ({ api, out }) => printCluster(out, await find<ClusterView>(api, CLUSTERS, ref))));

  program
    .command('cluster-instances <cluster>')
    .description("list a cluster's members")
    .action(async (ref: string, _flags, command: Command) => withClient(command, async ({ api, out }) => out.list((await find<ClusterView>(api, CLUSTERS, ref)).instances, MEMBER_COLUMNS, 'The cluster has no members.')));

  addWaitOptions(program.command('cluster-delete <clusters...>').description('delete clusters and all their members (by name or id)')).action(async (refs: string[], flags: WaitFlags, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const targets = [];
      for (const ref of refs) targets.push(await find<ClusterView>(api, CLUSTERS, ref));
      for (const cluster of targets) {
        await api.request('DELETE', `/clusters/${cluster.id}`);
        out.done(`Request to delete cluster ${cluster.name} (${cluster.id}) has been accepted.`);
      }
      if (!flags.wait) return;
      for (const cluster of targets) {
        await waitFor(
          async () => {
            const now = await getOrGone(() => getCluster(api, cluster.id));
            return now ? { resource: now, status: now.task.name, detail: `${now.instances.length} members left`, outcome: 'pending' } : { resource: undefined, status: 'deleted', outcome: 'done' };
          },
          { label: cluster.name, timeoutSeconds: timeoutOf(flags) },
        );
      }
    }),
  );

  program
    .command('cluster-reset-status <cluster>')
    .description("admin: end a stuck cluster's task and clear its fault")
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const cluster = await find<ClusterView>(api, CLUSTERS, ref);
        await api.post(`/clusters/${cluster.id}`, { 'reset-status': {} });
        out.done(`The status of cluster ${cluster.name} was reset.`);
      }),
    );

  addWaitOptions(
    program
      .command('cluster-grow <cluster>')
      .description('add members: trove cluster-grow shop --instance flavor=2,volume=1 --wait')
      .requiredOption('--instance <options>', 'one new member: flavor=<flavor>,volume=<GB>[,type=<member type>] (repeat for each)', collect, []),
  ).action(async (ref: string, flags: WaitFlags & { instance: string[] }, command: Command) =>
    withClient(command, async ({ api, out }) => {
      if (flags.instance.length === 0) throw usageError('give one --instance flavor=…,volume=… for each new member');
      const cluster = await find<ClusterView>(api, CLUSTERS, ref);
      const grow = [];
      for (const spec of flags.instance) grow.push(await memberOf(api, spec));
      await act(api, out, cluster, { grow }, flags);
    }),
  );

  addWaitOptions(program.command('cluster-shrink <cluster> <instances...>').description('remove members (by id or name): trove cluster-shrink shop shop-member-4 --wait')).action(async (ref: string, instances: string[], flags: WaitFlags, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const cluster = await find<ClusterView>(api, CLUSTERS, ref);
      const shrink = instances.map((name) => {
        const member = cluster.instances.find((m) => m.id === name || m.name === name);
        if (!member) throw usageError(`'${name}' is not a member of cluster ${cluster.name}`);
        return { id: member.id };
      });
      await act(api, out, cluster, { shrink }, flags);
    }),
  );

  addWaitOptions(program.command('cluster-configuration-attach <cluster> <configuration>').description('attach a configuration group to every member (restarting them one at a time where a value needs it)')).action(
    async (ref: string, group: string, flags: WaitFlags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const cluster = await find<ClusterView>(api, CLUSTERS, ref);
        await act(api, out, cluster, { configuration_attach: { configuration_id: await idOf(api, CONFIGURATIONS, group) } }, flags);
      }),
  );

  addWaitOptions(program.command('cluster-restart <cluster>').description('restart every member, one at a time, the others serving meanwhile')).action(async (ref: string, flags: WaitFlags, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const cluster = await find<ClusterView>(api, CLUSTERS, ref);
      await act(api, out, cluster, { restart: {} }, flags);
    }),
  );

  addWaitOptions(program.command('cluster-configuration-detach <cluster>').description("detach the cluster's configuration group from every member")).action(async (ref: string, flags: WaitFlags, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const cluster = await find<ClusterView>(api, CLUSTERS, ref);
      await act(api, out, cluster, { configuration_detach: {} }, flags);
    }),
  );
}

/** Posts an action; with --wait, follows the cluster's task until it is over and prints the cluster. */
async function act(api: TroveApi, out: Output, cluster: ClusterView, action: Record<string, unknown>, flags: WaitFlags): Promise<void> {
  const { cluster: accepted } = await api.post<{ cluster: ClusterView }>(`/clusters/${cluster.id}`, action);
  if (!flags.wait) return printCluster(out, accepted);
  printCluster(out, (await waitFor(clusterSettles(api, cluster.id), { label: cluster.name, timeoutSeconds: timeoutOf(flags) }))!);
}
