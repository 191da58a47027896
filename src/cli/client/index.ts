/**
 * The client commands of the `trove` executable: python-troveclient's commands and arguments
 * over the Trove v1.0 API, with tables that fit the terminal, --json for scripts and --wait for
 * long operations. Talks to a server over HTTP only; imports nothing of the server's.
 */
import type { Command } from 'commander';
import { registerBackupCommands } from './commands/backups.js';
import { registerCatalogCommands } from './commands/catalog.js';
import { registerClusterCommands } from './commands/clusters.js';
import { registerCompletionCommands } from './commands/completion.js';
import { registerConfigurationCommands } from './commands/configurations.js';
import { registerGuestDataCommands } from './commands/guest-data.js';
import { registerInstanceCommands } from './commands/instances.js';
import { registerLogCommands } from './commands/logs.js';
import { registerReplicationCommands } from './commands/replication.js';
import { registerSessionCommands } from './commands/session.js';

export function registerClientCommands(program: Command): void {
  program.option('--json', 'print the API’s objects as JSON instead of tables').option('--no-color', 'never colour the output (also NO_COLOR)');
  registerSessionCommands(program);
  registerInstanceCommands(program);
  registerReplicationCommands(program);
  registerClusterCommands(program);
  registerGuestDataCommands(program);
  registerBackupCommands(program);
  registerConfigurationCommands(program);
  registerLogCommands(program);
  registerCatalogCommands(program);
  registerCompletionCommands(program);
}
