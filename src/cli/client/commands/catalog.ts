import type { Command } from 'commander';
import { withClient } from '../context.js';
import { usageError } from '../errors.js';
import { FLAVORS, find } from '../resolve.js';
import type { FlavorView } from '../views.js';

interface VersionView {
  id: string;
  name: string;
  version?: string;
  datastore?: string;
}
interface DatastoreView {
  id: string;
  name: string;
  default_version?: string;
  versions: VersionView[];
  capabilities?: Record<string, unknown>;
  default_port?: number;
  log_types?: string[];
}
interface RateLimit {
  verb: string;
  value: number;
  remaining: number;
  unit: string;
  uri?: string;
}

const FLAVOR_COLUMNS = [
  { header: 'ID', value: (f: FlavorView) => f.str_id },
  { header: 'Name', value: (f: FlavorView) => f.name },
  { header: 'RAM (MB)', value: (f: FlavorView) => f.ram },
  { header: 'vCPUs', value: (f: FlavorView) => f.vcpus },
  { header: 'Disk (GB)', value: (f: FlavorView) => f.disk },
];

/** What a project may ask for: flavors, datastores and their versions, limits and quotas. */
export function registerCatalogCommands(program: Command): void {
  program
    .command('flavor-list')
    .description('list flavors')
    .option('--datastore_type <name>', 'only flavors for this datastore (with --datastore_version_id)')
    .option('--datastore_version_id <id>', 'only flavors for this datastore version')
    .action(async (flags: { datastore_type?: string; datastore_version_id?: string }, command: Command) =>
      withClient(command, async ({ api, out }) => {
        if (Boolean(flags.datastore_type) !== Boolean(flags.datastore_version_id)) throw usageError('give --datastore_type and --datastore_version_id together');
        const flavors = flags.datastore_type
          ? (await api.get<{ flavors: FlavorView[] }>(`/datastores/${encodeURIComponent(flags.datastore_type)}/versions/${encodeURIComponent(flags.datastore_version_id!)}/flavors`)).flavors
          : await api.listAll<FlavorView>('/flavors', 'flavors');
        out.list(flavors, FLAVOR_COLUMNS, 'No flavors.');
      }),
    );

  program
    .command('flavor-show <flavor>')
    .description('show a flavor (by name or id)')
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const flavor = await find<FlavorView & { id: string }>(api, FLAVORS, ref);
        out.record(flavor, [
          ['id', flavor.str_id],
          ['name', flavor.name],
          ['ram', flavor.ram],
          ['vcpus', flavor.vcpus],
          ['disk', flavor.disk],
        ]);
      }),
    );

  program
    .command('datastore-list')
    .description('list datastores and their versions')
    .action(async (_flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const { datastores } = await api.get<{ datastores: DatastoreView[] }>('/datastores');
        out.list(
          datastores,
          [
            { header: 'ID', value: (d) => d.id },
            { header: 'Name', value: (d) => d.name },
            { header: 'Versions', value: (d) => d.versions.map((v) => v.name) },
          ],
          'No datastores.',
        );
      }),
    );

  program
    .command('datastore-show <datastore>')
    .description('show a datastore, its versions and capabilities')
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const { datastore } = await api.get<{ datastore: DatastoreView }>(`/datastores/${encodeURIComponent(ref)}`);
        out.record(datastore, [
          ['id', datastore.id],
          ['name', datastore.name],
          ['default_version', datastore.default_version],
          ['versions', datastore.versions.map((v) => v.name)],
          ['default_port', datastore.default_port],
          ['log_types', datastore.log_types],
          ['capabilities', datastore.capabilities],
        ]);
      }),
    );

  program
    .command('datastore-version-list <datastore>')
    .description('list the versions of a datastore')
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const { versions } = await api.get<{ versions: VersionView[] }>(`/datastores/${encodeURIComponent(ref)}/versions`);
        out.list(
          versions,
          [
            { header: 'ID', value: (v) => v.id },
            { header: 'Name', value: (v) => v.name },
            { header: 'Version', value: (v) => v.version },
          ],
          'No versions.',
        );
      }),
    );

  program
    .command('datastore-version-show <datastore_version>')
    .description('show a datastore version (by id, or by name with --datastore)')
    .option('--datastore <name>', 'the datastore of the version')
    .action(async (ref: string, flags: { datastore?: string }, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const path = flags.datastore ? `/datastores/${encodeURIComponent(flags.datastore)}/versions/${encodeURIComponent(ref)}` : `/datastores/versions/${encodeURIComponent(ref)}`;
        const { version } = await api.get<{ version: VersionView }>(path);
        out.record(version, [
          ['id', version.id],
          ['name', version.name],
          ['version', version.version],
          ['datastore', version.datastore],
        ]);
      }),
    );

  program
    .command('limit-list')
    .alias('limit-show')
    .description("the project's absolute limits and the caller's rate limits")
    .action(async (_flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const { limits } = await api.get<{ limits: Array<Record<string, unknown>> }>('/limits');
        if (out.json) return out.record(limits, []);
        const absolute = limits.find((l) => l.verb === 'ABSOLUTE') ?? {};
        out.record(
          absolute,
          Object.entries(absolute).filter(([k]) => k !== 'verb'),
          [],
        );
        const rates = limits.filter((l) => l.verb !== 'ABSOLUTE') as unknown as RateLimit[];
        if (rates.length > 0) {
          out.done('');
          out.list(
            rates,
            [
              { header: 'Verb', value: (r) => r.verb },
              { header: 'Limit', value: (r) => r.value },
              { header: 'Remaining', value: (r) => r.remaining },
              { header: 'Unit', value: (r) => r.unit },
            ],
            '',
          );
        }
      }),
    );

  program
    .command('quota-show [project]')
    .description("a project's quotas and usage (default: your own project)")
    .action(async (project: string | undefined, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const { quotas } = await api.get<{ quotas: Array<{ resource: string; in_use: number; reserved: number; limit: number }> }>(`/mgmt/quotas/${encodeURIComponent(project ?? api.projectId)}`);
        out.list(
          quotas,
          [
            { header: 'Resource', value: (q) => q.resource },
            { header: 'In Use', value: (q) => q.in_use },
            { header: 'Reserved', value: (q) => q.reserved },
            { header: 'Limit', value: (q) => (q.limit < 0 ? 'unlimited' : q.limit) },
          ],
          'No quotas.',
        );
      }),
    );

  program
    .command('quota-update <project> <resource> <limit>')
    .description('admin: set a quota (-1 for unlimited)')
    .action(async (project: string, resource: string, limit: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        if (!/^-?\d+$/.test(limit)) throw usageError(`<limit> must be a whole number (-1 for unlimited), got '${limit}'`);
        const { quotas } = await api.request<{ quotas: Record<string, number> }>('PUT', `/mgmt/quotas/${encodeURIComponent(project)}`, { quotas: { [resource]: Number(limit) } });
        out.record(quotas, Object.entries(quotas), []);
      }),
    );
}
