import type { Command } from 'commander';
import { userPath, withClient } from '../context.js';
import { ApiRefusal, usageError } from '../errors.js';
import type { TroveApi } from '../api.js';
import { CLUSTERS, INSTANCES, idOf } from '../resolve.js';

interface UserView {
  name: string;
  host?: string;
  databases?: Array<{ name: string }>;
}

const collectNames = (names: string[]) => names.map((name) => ({ name }));

/** Databases, users, access and root inside an instance's engine. */
export function registerGuestDataCommands(program: Command): void {
  program
    .command('database-create <instance> <name>')
    .description('create a database')
    .option('--character_set <set>', 'character set')
    .option('--collate <collation>', 'collation')
    .action(async (ref: string, name: string, flags: { character_set?: string; collate?: string }, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const id = await idOf(api, INSTANCES, ref);
        await api.post(`/instances/${id}/databases`, { databases: [{ name, ...(flags.character_set ? { character_set: flags.character_set } : {}), ...(flags.collate ? { collate: flags.collate } : {}) }] });
        out.done(`Database ${name} created.`);
      }),
    );

  program
    .command('database-list <instance>')
    .description('list databases')
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const id = await idOf(api, INSTANCES, ref);
        out.list(await api.listAll<{ name: string }>(`/instances/${id}/databases`, 'databases'), [{ header: 'Name', value: (d) => d.name }], 'No databases.');
      }),
    );

  program
    .command('database-delete <instance> <database>')
    .description('delete a database')
    .action(async (ref: string, name: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const id = await idOf(api, INSTANCES, ref);
        await api.request('DELETE', `/instances/${id}/databases/${encodeURIComponent(name)}`);
        out.done(`Database ${name} deleted.`);
      }),
    );

  program
    .command('user-create <instance> <name> <password>')
    .description('create a user')
    .option('--host <host>', 'host the user may connect from (default %)')
    .option('--databases <names...>', 'databases the user may use', [])
    .action(async (ref: string, name: string, password: string, flags: { host?: string; databases: string[] }, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const id = await idOf(api, INSTANCES, ref);
        await api.post(`/instances/${id}/users`, { users: [{ name, password, ...(flags.host ? { host: flags.host } : {}), databases: collectNames(flags.databases) }] });
        out.done(`User ${name} created.`);
      }),
    );

  program
    .command('user-list <instance>')
    .description('list users')
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const id = await idOf(api, INSTANCES, ref);
        const users = await api.listAll<UserView>(`/instances/${id}/users`, 'users');
        out.list(
          users,
          [
            { header: 'Name', value: (u) => u.name },
            { header: 'Host', value: (u) => u.host },
            { header: 'Databases', value: (u) => u.databases?.map((d) => d.name) },
          ],
          'No users.',
        );
      }),
    );

  const userCommand = (signature: string, description: string) => program.command(signature).description(description).option('--host <host>', "the user's host");

  userCommand('user-show <instance> <name>', 'show a user').action(async (ref: string, name: string, flags: { host?: string }, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const id = await idOf(api, INSTANCES, ref);
      const { user } = await api.get<{ user: UserView }>(`/instances/${id}/users/${userPath(name, flags.host)}`);
      out.record(user, [
        ['name', user.name],
        ['host', user.host],
        ['databases', user.databases?.map((d) => d.name)],
      ]);
    }),
  );

  userCommand('user-delete <instance> <name>', 'delete a user').action(async (ref: string, name: string, flags: { host?: string }, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const id = await idOf(api, INSTANCES, ref);
      await api.request('DELETE', `/instances/${id}/users/${userPath(name, flags.host)}`);
      out.done(`User ${name} deleted.`);
    }),
  );

  userCommand('user-grant-access <instance> <name> <databases...>', 'let a user use databases').action(async (ref: string, name: string, databases: string[], flags: { host?: string }, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const id = await idOf(api, INSTANCES, ref);
      await api.request('PUT', `/instances/${id}/users/${userPath(name, flags.host)}/databases`, { databases: collectNames(databases) });
      out.done(`User ${name} may use ${databases.join(', ')}.`);
    }),
  );

  userCommand('user-revoke-access <instance> <name> <database>', "take away a user's access to a database").action(async (ref: string, name: string, database: string, flags: { host?: string }, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const id = await idOf(api, INSTANCES, ref);
      await api.request('DELETE', `/instances/${id}/users/${userPath(name, flags.host)}/databases/${encodeURIComponent(database)}`);
      out.done(`User ${name} may no longer use ${database}.`);
    }),
  );

  userCommand('user-show-access <instance> <name>', 'list the databases a user may use').action(async (ref: string, name: string, flags: { host?: string }, command: Command) =>
    withClient(command, async ({ api, out }) => {
      const id = await idOf(api, INSTANCES, ref);
      out.list(await api.listAll<{ name: string }>(`/instances/${id}/users/${userPath(name, flags.host)}/databases`, 'databases'), [{ header: 'Name', value: (d) => d.name }], 'No databases.');
    }),
  );

  userCommand('user-update-attributes <instance> <name>', "change a user's name, password or host")
    .option('--new_name <name>', 'new name')
    .option('--new_password <password>', 'new password')
    .option('--new_host <host>', 'new host')
    .action(async (ref: string, name: string, flags: { host?: string; new_name?: string; new_password?: string; new_host?: string }, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const id = await idOf(api, INSTANCES, ref);
        const user = { ...(flags.new_name ? { name: flags.new_name } : {}), ...(flags.new_password ? { password: flags.new_password } : {}), ...(flags.new_host ? { host: flags.new_host } : {}) };
        if (Object.keys(user).length === 0) throw usageError('nothing to change: give --new_name, --new_password or --new_host');
        await api.request('PUT', `/instances/${id}/users/${userPath(name, flags.host)}`, { user });
        out.done(`User ${name} was updated.`);
      }),
    );

  program
    .command('root-enable <instance_or_cluster>')
    .description('enable the root user (of an instance, or of every member of a cluster) and print its password')
    .option('--root_password <password>', 'the password to set (default: a random one)')
    .action(async (ref: string, flags: { root_password?: string }, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const { user } = await api.post<{ user: { name: string; password: string } }>(await rootOf(api, ref), flags.root_password ? { password: flags.root_password } : {});
        out.record(user, [
          ['name', user.name],
          ['password', user.password],
        ]);
      }),
    );

  program
    .command('root-show <instance_or_cluster>')
    .description('tell whether root has ever been enabled (on an instance or a cluster)')
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const shown = await api.get<{ rootEnabled: boolean }>(await rootOf(api, ref));
        out.record(shown, [['is_root_enabled', shown.rootEnabled]]);
      }),
    );

  program
    .command('root-disable <instance>')
    .description('disable the root user')
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const id = await idOf(api, INSTANCES, ref);
        await api.request('DELETE', `/instances/${id}/root`);
        out.done('Root is disabled.');
      }),
    );
}

/** The root resource of an instance or, when no instance has that name or id, of a cluster (as troveclient looks them up). */
async function rootOf(api: TroveApi, ref: string): Promise<string> {
  try {
    return `/instances/${await idOf(api, INSTANCES, ref)}/root`;
  } catch (err) {
    if (!(err instanceof ApiRefusal) || err.status !== 404) throw err;
  }
  try {
    return `/clusters/${await idOf(api, CLUSTERS, ref)}/root`;
  } catch (err) {
    if (err instanceof ApiRefusal && err.status === 404) throw new ApiRefusal(404, `No instance or cluster with a name or ID of '${ref}' exists.`);
    throw err;
  }
}
