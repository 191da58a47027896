import type { Command } from 'commander';
import type { TroveApi } from '../api.js';
import { addWaitOptions, jsonObject, withClient, type WaitFlags } from '../context.js';
import type { Output } from '../output.js';
import { CONFIGURATIONS, INSTANCES, find, idOf } from '../resolve.js';
import type { ConfigurationView, InstanceView } from '../views.js';
import { settle } from './instances.js';

interface ParameterView {
  name: string;
  type: string;
  min?: number;
  max?: number;
  restart_required: boolean;
  allowed_values?: unknown[];
}

function printGroup(out: Output, group: ConfigurationView): void {
  out.record(group, [
    ['id', group.id],
    ['name', group.name],
    ['description', group.description],
    ['values', group.values],
    ['datastore_name', group.datastore_name],
    ['datastore_version_name', group.datastore_version_name],
    ['instance_count', group.instance_count],
    ['created', group.created],
    ['updated', group.updated],
  ]);
}

/** The parameters path of a datastore version: by datastore and version name, or by the version's id alone. */
const parametersPath = (version: string, datastore?: string) => (datastore ? `/datastores/${encodeURIComponent(datastore)}/versions/${encodeURIComponent(version)}/parameters` : `/datastores/versions/${encodeURIComponent(version)}/parameters`);

async function attach(api: TroveApi, out: Output, ref: string, group: string | null, flags: WaitFlags): Promise<void> {
  const instance = await find<InstanceView>(api, INSTANCES, ref);
  const configuration = group === null ? null : await idOf(api, CONFIGURATIONS, group);
  // troveclient's detach is an empty instance body; this sends what Trove documents instead.
  await api.request('PUT', `/instances/${instance.id}`, { instance: { configuration } });
  await settle(api, out, instance, flags, configuration ? `Configuration group ${group} is being applied to ${instance.name}.` : `The configuration group of ${instance.name} is being removed; restart it to drop the values.`);
}

export function registerConfigurationCommands(program: Command): void {
  program
    .command('configuration-create <name> <values>')
    .description('create a configuration group: trove configuration-create tuned \'{"max_connections": 300}\' --datastore mysql')
    .option('--datastore <name>', 'datastore the group is for')
    .option('--datastore_version <version>', 'datastore version the group is for')
    .option('--description <text>', 'what the group is for')
    .action(async (name: string, values: string, flags: { datastore?: string; datastore_version?: string; description?: string }, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const datastore = { ...(flags.datastore ? { type: flags.datastore } : {}), ...(flags.datastore_version ? { version: flags.datastore_version } : {}) };
        const body = { configuration: { name, values: jsonObject('<values>', values), ...(flags.description ? { description: flags.description } : {}), ...(Object.keys(datastore).length > 0 ? { datastore } : {}) } };
        printGroup(out, (await api.post<{ configuration: ConfigurationView }>('/configurations', body)).configuration);
      }),
    );

  program
    .command('configuration-list')
    .description('list configuration groups')
    .action(async (_flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const groups = await api.listAll<ConfigurationView>('/configurations', 'configurations');
        out.list(
          groups,
          [
            { header: 'ID', value: (g) => g.id },
            { header: 'Name', value: (g) => g.name },
            { header: 'Description', value: (g) => g.description },
            { header: 'Datastore', value: (g) => g.datastore_name },
            { header: 'Version', value: (g) => g.datastore_version_name },
          ],
          'No configuration groups.',
        );
      }),
    );

  program
    .command('configuration-show <group>')
    .description('show a configuration group (by name or id)')
    .action(async (ref: string, _flags, command: Command) => withClient(command, async ({ api, out }) => printGroup(out, await find<ConfigurationView>(api, CONFIGURATIONS, ref))));

  program
    .command('configuration-instances <group>')
    .description('list the instances a configuration group is attached to')
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const id = await idOf(api, CONFIGURATIONS, ref);
        const instances = await api.listAll<{ id: string; name: string }>(`/configurations/${id}/instances`, 'instances');
        out.list(
          instances,
          [
            { header: 'ID', value: (i) => i.id },
            { header: 'Name', value: (i) => i.name },
          ],
          'No instances.',
        );
      }),
    );

  addWaitOptions(program.command('configuration-attach <instance> <group>').description('attach a configuration group to an instance')).action(async (ref: string, group: string, flags: WaitFlags, command: Command) =>
    withClient(command, ({ api, out }) => attach(api, out, ref, group, flags)),
  );
  addWaitOptions(program.command('configuration-detach <instance>').description("detach an instance's configuration group")).action(async (ref: string, flags: WaitFlags, command: Command) =>
    withClient(command, ({ api, out }) => attach(api, out, ref, null, flags)),
  );

  program
    .command('configuration-default <instance>')
    .description("the configuration values in effect on an instance's engine")
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const id = await idOf(api, INSTANCES, ref);
        const shown = await api.get<{ instance: { configuration: Record<string, string> } }>(`/instances/${id}/configuration`);
        out.record(
          shown.instance.configuration,
          Object.entries(shown.instance.configuration).sort(([a], [b]) => a.localeCompare(b)),
          [],
        );
      }),
    );

  const change = (verb: string, description: string, method: 'PATCH' | 'PUT') =>
    program
      .command(`${verb} <group> <values>`)
      .description(description)
      .option('--name <name>', 'new name (configuration-update)')
      .option('--description <text>', 'new description (configuration-update)')
      .action(async (ref: string, values: string, flags: { name?: string; description?: string }, command: Command) =>
        withClient(command, async ({ api, out }) => {
          const group = await find<ConfigurationView>(api, CONFIGURATIONS, ref);
          const body = { configuration: { values: jsonObject('<values>', values), ...(method === 'PUT' ? { name: flags.name ?? group.name, ...((flags.description ?? group.description) ? { description: flags.description ?? group.description } : {}) } : {}) } };
          await api.request(method, `/configurations/${group.id}`, body);
          out.done(`Configuration group ${flags.name ?? group.name} was ${method === 'PATCH' ? 'patched' : 'updated'}; attached instances are being changed.`);
        }),
      );
  change('configuration-patch', 'add or change values of a configuration group', 'PATCH');
  change('configuration-update', 'replace the values (and optionally the name or description) of a configuration group', 'PUT');

  program
    .command('configuration-delete <group>')
    .description('delete a configuration group (detach it from its instances first)')
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const group = await find<ConfigurationView>(api, CONFIGURATIONS, ref);
        await api.request('DELETE', `/configurations/${group.id}`);
        out.done(`Configuration group ${group.name} deleted.`);
      }),
    );

  program
    .command('configuration-parameter-list <datastore_version>')
    .description('list the parameters a configuration group may set')
    .option('--datastore <name>', 'the datastore of the version (else the version is an id)')
    .action(async (version: string, flags: { datastore?: string }, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const { 'configuration-parameters': parameters } = await api.get<{ 'configuration-parameters': ParameterView[] }>(parametersPath(version, flags.datastore));
        out.list(
          parameters,
          [
            { header: 'Name', value: (p) => p.name },
            { header: 'Type', value: (p) => p.type },
            { header: 'Min', value: (p) => p.min },
            { header: 'Max', value: (p) => p.max },
            { header: 'Restart Required', value: (p) => p.restart_required },
          ],
          'No parameters.',
        );
      }),
    );

  program
    .command('configuration-parameter-show <datastore_version> <parameter>')
    .description('show one parameter a configuration group may set')
    .option('--datastore <name>', 'the datastore of the version (else the version is an id)')
    .action(async (version: string, name: string, flags: { datastore?: string }, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const parameter = await api.get<ParameterView & Record<string, unknown>>(`${parametersPath(version, flags.datastore)}/${encodeURIComponent(name)}`);
        out.record(parameter, Object.entries(parameter), []);
      }),
    );
}
