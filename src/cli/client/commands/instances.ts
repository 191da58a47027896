import { Option, type Command } from 'commander';
import type { TroveApi } from '../api.js';
import { addFlagWithAlias, addPageOptions, addWaitOptions, flagGiven, positiveInteger, timeoutOf, withClient, type PageFlags, type WaitFlags } from '../context.js';
import { usageError } from '../errors.js';
import type { Column, Output } from '../output.js';
import { BACKUPS, CONFIGURATIONS, FLAVORS, INSTANCES, find, idOf } from '../resolve.js';
import type { InstanceView } from '../views.js';
import { getOrGone, waitFor, type Observation } from '../wait.js';

const COLUMNS: Column<InstanceView>[] = [
  { header: 'ID', value: (i) => i.id },
  { header: 'Name', value: (i) => i.name },
  { header: 'Datastore', value: (i) => i.datastore.type },
  { header: 'Version', value: (i) => i.datastore.version },
  { header: 'Status', value: (i) => i.status, status: true },
  { header: 'Flavor', value: (i) => i.flavor.id },
  { header: 'Size', value: (i) => i.volume?.size },
  { header: 'IP', value: (i) => i.ip },
];

function onOff(value: string): boolean {
  if (value !== 'on' && value !== 'off') throw usageError(`--auto_failover takes on or off, not '${value}'`);
  return value === 'on';
}

/** "replica, streaming, 0.2 s behind" or "fenced", with the engine's error if any. */
function replicationLine(instance: InstanceView): string | undefined {
  const r = instance.replication;
  if (!r) return undefined;
  const parts = [r.role];
  if (r.role === 'replica') parts.push(r.streaming ? 'streaming' : 'not streaming');
  if (r.lag_seconds !== undefined) parts.push(`${r.lag_seconds} s behind`);
  if (r.error) parts.push(r.error);
  return parts.join(', ');
}

function printInstance(out: Output, instance: InstanceView): void {
  out.record(instance, [
    ['id', instance.id],
    ['name', instance.name],
    ['status', instance.status],
    ['operating_status', instance.operating_status],
    ['datastore', instance.datastore.type],
    ['datastore_version', instance.datastore.version],
    ['flavor', instance.flavor.id],
    ['volume', instance.volume?.size],
    ['volume_used', instance.volume?.used],
    ['ip', instance.ip],
    ['public', instance.access ? String(instance.access.is_public) : undefined],
    ['allowed_cidrs', instance.access?.allowed_cidrs.length ? instance.access.allowed_cidrs : undefined],
    ['port', instance.port],
    ['configuration', instance.configuration ? `${instance.configuration.name} (${instance.configuration.id})` : undefined],
    ['replica_of', instance.replica_of?.id],
    ['replicas', instance.replicas?.map((r) => r.id)],
    ['replication', replicationLine(instance)],
    ['auto_failover', instance.auto_failover ? 'on' : undefined],
    ['pending_tasks', instance.pending_tasks],
    ['fault', instance.fault?.message],
    ['fault_date', instance.fault?.created],
    ['created', instance.created],
    ['updated', instance.updated],
    ['region', instance.region],
  ]);
}

const getInstance = async (api: TroveApi, id: string) => (await api.get<{ instance: InstanceView }>(`/instances/${id}`)).instance;

/**
 * Where an operation on a running instance ends: ACTIVE, or RESTART_REQUIRED when values wait for
 * a restart (the operation itself is over). Only a restart must end in ACTIVE.
 */
const SETTLED = ['ACTIVE', 'RESTART_REQUIRED'];

/** Watches an instance until its status is one of `settled` with no task left (ERROR ends the wait as a failure). */
function instanceSettles(api: TroveApi, id: string, settled: string[] = SETTLED) {
  return async (): Promise<Observation<InstanceView>> => {
    const instance = await getInstance(api, id);
    const busy = (instance.pending_tasks ?? []).length > 0;
    const looksSettled = settled.includes(instance.status);
    const outcome = instance.status === 'ERROR' ? 'failed' : looksSettled && !busy ? 'done' : 'pending';
    // Named only when the status alone would look settled (a configuration being applied to an ACTIVE instance).
    const detail = busy && looksSettled ? `working: ${instance.pending_tasks!.join(', ')}` : undefined;
    return { resource: instance, status: instance.status, detail, outcome, reason: instance.fault?.message };
  };
}

/** After an accepted action: with --wait, the progress and the instance as it settled; else `accepted`. */
export async function settle(api: TroveApi, out: Output, instance: InstanceView, flags: WaitFlags, accepted: string, settled?: string[]): Promise<void> {
  if (!flags.wait) return out.done(accepted);
  const final = await waitFor(instanceSettles(api, instance.id, settled), { label: instance.name, timeoutSeconds: timeoutOf(flags) });
  printInstance(out, final!);
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `--nic net-id=…,v4-fixed-ip=…` as troveclient parses it. */
function nic(text: string): Record<string, string> {
  const info = Object.fromEntries(text.split(',').map((pair) => pair.split('=', 2) as [string, string]));
  if (Object.values(info).some((v) => v === undefined) || !(Boolean(info['net-id']) !== Boolean(info['port-id']))) {
    throw usageError(`--nic '${text}': give net-id=<id> or port-id=<id> (one of them), optionally with v4-fixed-ip=<address>`);
  }
  return info;
}

interface CreateFlags extends WaitFlags {
  size?: number;
  volume_type?: string;
  databases: string[];
  users: string[];
  backup?: string;
  availability_zone?: string;
  datastore?: string;
  datastore_version?: string;
  nic: string[];
  configuration?: string;
  replica_of?: string;
  replica_count?: number;
  auto_failover?: boolean;
  locality?: string;
  region?: string;
  isPublic?: boolean;
  allowedCidr: string[];
}

async function create(api: TroveApi, out: Output, name: string, flavor: string, flags: CreateFlags): Promise<void> {
  const users = flags.users.map((spec) => {
    const [user, password] = spec.split(':', 2);
    if (!user || !password) throw usageError(`--users '${spec}': write each user as name:password`);
    return { name: user, password, databases: flags.databases.map((d) => ({ name: d })) };
  });
  if (flags.replica_of && flags.locality) throw usageError('--locality cannot be given with --replica_of: replicas follow their source');
  const nics = flags.nic.map(nic);
  const body = {
    instance: {
      name,
      flavorRef: await idOf(api, FLAVORS, flavor),
      ...(flags.size ? { volume: { size: flags.size, type: flags.volume_type ?? null } } : {}),
      databases: flags.databases.map((d) => ({ name: d })),
      users,
      ...(flags.datastore || flags.datastore_version ? { datastore: { ...(flags.datastore ? { type: flags.datastore } : {}), ...(flags.datastore_version ? { version: flags.datastore_version } : {}) } } : {}),
      ...(flags.backup ? { restorePoint: { backupRef: await idOf(api, BACKUPS, flags.backup) } } : {}),
      ...(flags.configuration ? { configuration: await idOf(api, CONFIGURATIONS, flags.configuration) } : {}),
      ...(flags.replica_of ? { replica_of: await idOf(api, INSTANCES, flags.replica_of), replica_count: flags.replica_count ?? 1 } : {}),
      ...(flags.auto_failover ? { auto_failover: true } : {}),
      ...(nics.length > 0 ? { nics } : {}),
      ...(flags.availability_zone ? { availability_zone: flags.availability_zone } : {}),
      ...(flags.locality ? { locality: flags.locality } : {}),
      ...(flags.region ? { region_name: flags.region } : {}),
      ...(flags.isPublic || flags.allowedCidr.length > 0 ? { access: { is_public: Boolean(flags.isPublic), ...(flags.allowedCidr.length > 0 ? { allowed_cidrs: flags.allowedCidr } : {}) } } : {}),
    },
  };
  const { instance } = await api.post<{ instance: InstanceView }>('/instances', body);
  if (!flags.wait) return printInstance(out, instance);
  printInstance(out, (await waitFor(instanceSettles(api, instance.id), { label: instance.name, timeoutSeconds: timeoutOf(flags) }))!);
}

export function registerInstanceCommands(program: Command): void {
  addPageOptions(program.command('list').description('list instances'), 'instance')
    .addOption(new Option('--include_clustered').hideHelp())
    .addOption(new Option('--include-clustered').hideHelp())
    .action(async (flags: PageFlags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        // Cluster members are listed only when asked for, as troveclient asks.
        const filters: Record<string, string> = flagGiven(flags, '--include_clustered') ? { include_clustered: 'True' } : {};
        out.list(await api.listPaged<InstanceView>('/instances', 'instances', flags, filters), COLUMNS, 'No instances.');
      }),
    );

  program
    .command('show <instance>')
    .description('show an instance (by name or id)')
    .action(async (ref: string, _flags, command: Command) => withClient(command, async ({ api, out }) => printInstance(out, await find<InstanceView>(api, INSTANCES, ref))));

  addWaitOptions(
    program
      .command('create <name> <flavor>')
      .description('create an instance: trove create shop db.small --size 1 --datastore mysql --wait')
      .option('--size <GB>', 'volume size in GB', positiveInteger('--size'))
      .option('--volume_type <type>', 'volume type')
      .option('--databases <names...>', 'databases to create', [])
      .option('--users <name:password...>', 'users to create, each with access to --databases', [])
      .option('--backup <backup>', 'restore this backup (name or id) into the new instance')
      .option('--availability_zone <zone>', 'availability zone')
      .option('--datastore <name>', 'datastore, e.g. mysql, postgresql, redis')
      .option('--datastore_version <version>', 'datastore version, e.g. 10.11')
      .option('--nic <net-id=id,v4-fixed-ip=ip>', 'a network to attach (repeatable)', collect, [])
      .option('--configuration <group>', 'configuration group (name or id) to start with')
      .option('--replica_of <instance>', 'make the new instance a replica of this one')
      .option('--replica_count <n>', 'how many replicas to create with --replica_of', positiveInteger('--replica_count'))
      .option('--auto_failover', 'when this instance is a replica source and stays down, promote its most advanced replica')
      .option('--locality <policy>', 'affinity or anti-affinity')
      .option('--region <region>', 'region')
      .option('--is-public', "also publish it on the host's public address")
      .option('--allowed-cidr <cidr>', 'only this IPv4 network may connect (repeatable)', collect, []),
  ).action(async (name: string, flavor: string, flags: CreateFlags, command: Command) => withClient(command, ({ api, out }) => create(api, out, name, flavor, flags)));

  addWaitOptions(program.command('delete <instances...>').description('delete instances (by name or id)')).action(async (refs: string[], flags: WaitFlags, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const targets = [];
      for (const ref of refs) targets.push(await find<InstanceView>(api, INSTANCES, ref));
      for (const instance of targets) {
        await api.request('DELETE', `/instances/${instance.id}`);
        out.done(`Instance ${instance.name} (${instance.id}) is being deleted.`);
      }
      if (!flags.wait) return;
      for (const instance of targets) {
        await waitFor(
          async () => {
            const now = await getOrGone(() => getInstance(api, instance.id));
            return now ? { resource: now, status: now.status, outcome: 'pending' } : { resource: undefined, status: 'deleted', outcome: 'done' };
          },
          { label: instance.name, timeoutSeconds: timeoutOf(flags) },
        );
      }
    }),
  );

  const action = (verb: string, description: string, body: (args: string[]) => unknown, accepted: string, settled?: string[]) =>
    addWaitOptions(program.command(verb).description(description)).action(async (...args: unknown[]) => {
      const command = args.pop() as Command;
      const flags = args.pop() as WaitFlags;
      const [ref, ...rest] = args as string[];
      await withClient(command, async ({ api, out }) => {
        const instance = await find<InstanceView>(api, INSTANCES, ref!);
        await api.post(`/instances/${instance.id}/action`, await body(rest));
        await settle(api, out, instance, flags, accepted.replace('%s', instance.name), settled);
      });
    });

  action('restart <instance>', 'restart the engine of an instance', () => ({ restart: {} }), 'Instance %s is restarting.', ['ACTIVE']);
  action('resize-volume <instance> <size>', 'grow the volume of an instance to <size> GB', ([size]) => ({ resize: { volume: { size: positiveInteger('<size>')(size!) } } }), 'The volume of %s is being resized.');
  addWaitOptions(program.command('resize-instance <instance> <flavor>').description('move an instance to another flavor (RAM and vCPUs)')).action(async (ref: string, flavor: string, flags: WaitFlags, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const instance = await find<InstanceView>(api, INSTANCES, ref);
      await api.post(`/instances/${instance.id}/action`, { resize: { flavorRef: await idOf(api, FLAVORS, flavor) } });
      await settle(api, out, instance, flags, `Instance ${instance.name} is being resized.`);
    }),
  );
  program
    .command('reset-status <instance>')
    .description('admin: clear the task and fault of a stuck instance')
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const instance = await find<InstanceView>(api, INSTANCES, ref);
        await api.post(`/instances/${instance.id}/action`, { reset_status: {} });
        out.done(`The status of ${instance.name} was reset.`);
      }),
    );

  const update = program
    .command('update <instance>')
    .description('rename an instance, attach or remove its configuration group, or detach it from its replica source')
    .option('--name <name>', 'new name')
    .option('--configuration <group>', 'configuration group (name or id) to attach')
    .option('--auto_failover <on|off>', 'fail over automatically when this replica source stays down', onOff)
    .option('--is-public', "publish it on the host's public address too (as Trove, unset access fields reset)")
    .option('--is-private', 'reachable only at its private address')
    .option('--allowed-cidr <cidr>', 'only this IPv4 network may connect (repeatable)', collect, []);
  addFlagWithAlias(update, '--remove_configuration', 'detach its configuration group');
  addFlagWithAlias(update, '--detach_replica_source', 'make a replica a standalone instance');
  addWaitOptions(update).action(async (ref: string, flags: WaitFlags & { name?: string; configuration?: string; auto_failover?: boolean; isPublic?: boolean; isPrivate?: boolean; allowedCidr: string[] }, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const removeConfiguration = flagGiven(flags, '--remove_configuration');
      const detachReplica = flagGiven(flags, '--detach_replica_source');
      if (flags.configuration && removeConfiguration) throw usageError('give --configuration or --remove_configuration, not both');
      if (flags.isPublic && flags.isPrivate) throw usageError('give --is-public or --is-private, not both');
      const accessGiven = Boolean(flags.isPublic || flags.isPrivate) || flags.allowedCidr.length > 0;
      if (!flags.name && !flags.configuration && !removeConfiguration && !detachReplica && flags.auto_failover === undefined && !accessGiven) {
        throw usageError('nothing to update: give --name, --configuration, --remove_configuration, --detach_replica_source, --auto_failover, --is-public, --is-private or --allowed-cidr');
      }
      const instance = await find<InstanceView>(api, INSTANCES, ref);
      const body: Record<string, unknown> = {
        ...(flags.name ? { name: flags.name } : {}),
        ...(flags.configuration ? { configuration: await idOf(api, CONFIGURATIONS, flags.configuration) } : {}),
        ...(removeConfiguration ? { configuration: null } : {}),
        ...(detachReplica ? { replica_of: null } : {}),
        ...(flags.auto_failover !== undefined ? { auto_failover: flags.auto_failover } : {}),
        ...(accessGiven ? { access: { ...(flags.isPublic || flags.isPrivate ? { is_public: Boolean(flags.isPublic) } : {}), ...(flags.allowedCidr.length > 0 ? { allowed_cidrs: flags.allowedCidr } : {}) } } : {}),
      };
      await api.request('PUT', `/instances/${instance.id}`, { instance: body });
      await settle(api, out, { ...instance, name: flags.name ?? instance.name }, flags, `Instance ${flags.name ?? instance.name} was updated.`);
    }),
  );
}
