import type { Command } from 'commander';
import type { Services } from '../app/services.js';
import { BadRequest } from '../common/errors.js';
import { ROLE_NAMES, type RoleName } from '../identity/roles.js';
import { addStoreOptions, settingsFrom, type StoreOptions } from './settings-options.js';
import { renderTable } from './client/text-table.js';

/** Opens the store named by the parent `manage` command's flags, runs `work`, closes it. */
async function withServices(command: Command, work: (services: Services) => Promise<void>): Promise<void> {
  const options = command.optsWithGlobals() as StoreOptions;
  const { createServices } = await import('../app/services.js');
  const services = await createServices(await settingsFrom(options), { withoutCatalog: true });
  try {
    await work(services);
  } finally {
    await services.close();
  }
}

function role(value: string): RoleName {
  if (!(ROLE_NAMES as readonly string[]).includes(value)) throw new BadRequest(`--role must be one of ${ROLE_NAMES.join(', ')}, got "${value}"`);
  return value as RoleName;
}

function wholeNumber(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new BadRequest(`${flag} must be a whole number, got "${value}"`);
    return Number(value);
  };
}

/** A password from its flag or, so it stays out of the process list, from an environment variable. */
function password(given: string | undefined, envName: string): string {
  const value = given ?? process.env[envName];
  if (!value) throw new BadRequest(`give a password with --password or the ${envName} environment variable`);
  return value;
}

/** Offline administration on the same data folder or database URL as `serve`, like keystone-manage. */
export function registerManage(program: Command): void {
  const manage = addStoreOptions(program.command('manage').description('administer projects, users and flavors in the state store'));

  manage
    .command('db-sync')
    .description('apply pending schema migrations')
    .action(async (_options, command: Command) => withServices(command, async () => console.log('schema is up to date')));

  manage
    .command('bootstrap')
    .description('create (or reset) the admin project, user and role; safe to repeat')
    .option('--admin-password <password>', 'the admin password (or env TROVE_ADMIN_PASSWORD)')
    .action(async (options: { adminPassword?: string }, command: Command) =>
      withServices(command, async ({ identity }) => {
        const result = await identity.bootstrap(password(options.adminPassword, 'TROVE_ADMIN_PASSWORD'));
        console.log(`${result.created ? 'created' : 'updated'} admin user in project admin (${result.project.id})`);
      }),
    );

  manage
    .command('project-create <name>')
    .description('create a project')
    .option('--description <text>', 'what the project is for', '')
    .action(async (name: string, options: { description: string }, command: Command) =>
      withServices(command, async ({ identity }) => {
        const project = await identity.createProject(name, options.description);
        console.log(`created project ${project.name} (${project.id})`);
      }),
    );

  manage
    .command('project-list')
    .description('list projects')
    .action(async (_options, command: Command) =>
      withServices(command, async ({ identity }) => {
        console.log(
          renderTable(
            ['ID', 'Name', 'Description'],
            (await identity.listProjects()).map((p) => [p.id, p.name, p.description]),
          ),
        );
      }),
    );

  manage
    .command('user-create <name>')
    .description('create a user with a role on a project')
    .requiredOption('--project <project>', 'project name or id')
    .option('--password <password>', 'the password (or env TROVE_USER_PASSWORD)')
    .option('--role <role>', `one of ${ROLE_NAMES.join(', ')}`, 'member')
    .action(async (name: string, options: { project: string; password?: string; role: string }, command: Command) =>
      withServices(command, async ({ identity }) => {
        const user = await identity.createUser(name, options.project, password(options.password, 'TROVE_USER_PASSWORD'), role(options.role));
        console.log(`created user ${user.name} (${user.id})`);
      }),
    );

  manage
    .command('user-list')
    .description('list users and their roles')
    .action(async (_options, command: Command) =>
      withServices(command, async ({ identity }) => {
        console.log(
          renderTable(
            ['ID', 'Name', 'Project', 'Roles'],
            (await identity.listUsers()).map((u) => [u.id, u.name, u.project ?? '', u.roles]),
          ),
        );
      }),
    );

  manage
    .command('user-password <name>')
    .description("set a user's password")
    .option('--password <password>', 'the new password (or env TROVE_USER_PASSWORD)')
    .action(async (name: string, options: { password?: string }, command: Command) =>
      withServices(command, async ({ identity }) => {
        await identity.setPassword(name, password(options.password, 'TROVE_USER_PASSWORD'));
        console.log(`password of ${name} changed`);
      }),
    );

  manage
    .command('role-grant <user>')
    .description('give a user a role on a project')
    .requiredOption('--project <project>', 'project name or id')
    .option('--role <role>', `one of ${ROLE_NAMES.join(', ')}`, 'member')
    .action(async (user: string, options: { project: string; role: string }, command: Command) =>
      withServices(command, async ({ identity }) => {
        await identity.grantRole(user, options.project, role(options.role));
        console.log(`${user} has role ${options.role} on ${options.project}`);
      }),
    );

  manage
    .command('flavor-create <name>')
    .description('add a flavor')
    .requiredOption('--ram <mb>', 'memory in MB', wholeNumber('--ram'))
    .requiredOption('--vcpus <n>', 'virtual CPUs', wholeNumber('--vcpus'))
    .option('--disk <gb>', 'root disk in GB (0: volume only)', wholeNumber('--disk'), 0)
    .option('--id <id>', 'flavor id (default: next number)')
    .action(async (name: string, options: { ram: number; vcpus: number; disk: number; id?: string }, command: Command) =>
      withServices(command, async ({ flavors }) => {
        const flavor = await flavors.create({ name, id: options.id, ram: options.ram, vcpus: options.vcpus, disk: options.disk });
        console.log(`created flavor ${flavor.name} (id ${flavor.id})`);
      }),
    );

  manage
    .command('flavor-list')
    .description('list flavors')
    .action(async (_options, command: Command) =>
      withServices(command, async ({ flavors }) => {
        console.log(
          renderTable(
            ['ID', 'Name', 'RAM', 'vCPUs', 'Disk'],
            (await flavors.list()).map((f) => [f.id, f.name, String(f.ram), String(f.vcpus), String(f.disk)]),
          ),
        );
      }),
    );

  manage
    .command('flavor-delete <id>')
    .description('remove a flavor')
    .action(async (id: string, _options, command: Command) =>
      withServices(command, async ({ flavors }) => {
        await flavors.delete(id);
        console.log(`deleted flavor ${id}`);
      }),
    );
}
