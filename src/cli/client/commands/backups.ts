import type { Command } from 'commander';
import type { TroveApi } from '../api.js';
import { addPageOptions, addWaitOptions, timeoutOf, withClient, type PageFlags, type WaitFlags } from '../context.js';
import type { Column, Output } from '../output.js';
import { BACKUPS, INSTANCES, find, idOf } from '../resolve.js';
import type { BackupView } from '../views.js';
import { getOrGone, waitFor } from '../wait.js';

const COLUMNS: Column<BackupView>[] = [
  { header: 'ID', value: (b) => b.id },
  { header: 'Instance ID', value: (b) => b.instance_id },
  { header: 'Name', value: (b) => b.name },
  { header: 'Status', value: (b) => b.status, status: true },
  { header: 'Parent ID', value: (b) => b.parent_id },
  { header: 'Size (GB)', value: (b) => b.size },
  { header: 'Updated', value: (b) => b.updated },
];

function printBackup(out: Output, backup: BackupView): void {
  out.record(backup, [
    ['id', backup.id],
    ['name', backup.name],
    ['description', backup.description],
    ['status', backup.status],
    ['instance_id', backup.instance_id],
    ['parent_id', backup.parent_id],
    ['datastore', backup.datastore.type],
    ['datastore_version', backup.datastore.version],
    ['size', backup.size],
    ['bytes_stored', backup.progress?.bytes_stored],
    ['locationRef', backup.locationRef],
    ['fail_reason', backup.fail_reason],
    ['created', backup.created],
    ['updated', backup.updated],
  ]);
}

const getBackup = async (api: TroveApi, id: string) => (await api.get<{ backup: BackupView }>(`/backups/${id}`)).backup;
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB stored`;

export function registerBackupCommands(program: Command): void {
  addWaitOptions(
    program
      .command('backup-create <instance> <name>')
      .description('back up an instance to object storage (full, or incremental with --parent/--incremental)')
      .option('--description <text>', 'what the backup is for')
      .option('--parent <backup>', 'make an incremental backup on this one (name or id)')
      .option('--incremental', 'make an incremental backup on the newest backup of the instance'),
    3600,
  ).action(async (ref: string, name: string, flags: WaitFlags & { description?: string; parent?: string; incremental?: boolean }, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const instance = await idOf(api, INSTANCES, ref);
      const body = {
        backup: {
          name,
          instance,
          incremental: flags.incremental ? 1 : 0,
          ...(flags.description ? { description: flags.description } : {}),
          ...(flags.parent ? { parent_id: await idOf(api, BACKUPS, flags.parent) } : {}),
        },
      };
      const { backup } = await api.post<{ backup: BackupView }>('/backups', body);
      if (!flags.wait) return printBackup(out, backup);
      const final = await waitFor(
        async () => {
          const now = await getBackup(api, backup.id);
          const outcome = now.status === 'COMPLETED' ? 'done' : now.status === 'FAILED' ? 'failed' : 'pending';
          return { resource: now, status: now.status, detail: now.progress ? mib(now.progress.bytes_stored) : undefined, outcome, reason: now.fail_reason };
        },
        { label: `backup ${name}`, timeoutSeconds: timeoutOf(flags) },
      );
      printBackup(out, final!);
    }),
  );

  addPageOptions(program.command('backup-list').description('list backups'), 'backup')
    .option('--datastore <name>', 'only backups of this datastore')
    .option('--instance <instance>', 'only backups of this instance (name or id)')
    .action(async (flags: PageFlags & { datastore?: string; instance?: string }, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const filters = { ...(flags.datastore ? { datastore: flags.datastore } : {}), ...(flags.instance ? { instance_id: await idOf(api, INSTANCES, flags.instance) } : {}) };
        out.list(await api.listPaged<BackupView>('/backups', 'backups', flags, filters), COLUMNS, 'No backups.');
      }),
    );

  addPageOptions(program.command('backup-list-instance <instance>').description('list the backups of an instance'), 'backup').action(async (ref: string, flags: PageFlags, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const id = await idOf(api, INSTANCES, ref);
      out.list(await api.listPaged<BackupView>(`/instances/${id}/backups`, 'backups', flags), COLUMNS, 'No backups.');
    }),
  );

  program
    .command('backup-show <backup>')
    .description('show a backup (by name or id)')
    .action(async (ref: string, _flags, command: Command) => withClient(command, async ({ api, out }) => printBackup(out, await find<BackupView>(api, BACKUPS, ref))));

  addWaitOptions(program.command('backup-delete <backup>').description('delete a backup and the incrementals built on it')).action(async (ref: string, flags: WaitFlags, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const backup = await find<BackupView>(api, BACKUPS, ref);
      await api.request('DELETE', `/backups/${backup.id}`);
      out.done(`Backup ${backup.name} (${backup.id}) is being deleted.`);
      if (!flags.wait) return;
      await waitFor(
        async () => {
          const now = await getOrGone(() => getBackup(api, backup.id));
          if (!now) return { resource: undefined, status: 'deleted', outcome: 'done' };
          return { resource: now, status: now.status, outcome: now.status === 'DELETE_FAILED' ? 'failed' : 'pending', reason: now.fail_reason };
        },
        { label: `backup ${backup.name}`, timeoutSeconds: timeoutOf(flags) },
      );
    }),
  );
}
