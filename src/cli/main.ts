#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError, TroveFault } from '../common/errors.js';
import { registerAgent } from './agent.js';
import { ClientError } from './client/errors.js';
import { registerClientCommands } from './client/index.js';
import { registerManage } from './manage.js';
import { registerServe } from './serve.js';

const program = new Command('trove')
  .description('Trove: a self-hosted Database-as-a-Service speaking the OpenStack Trove v1.0 API')
  .version('0.1.0')
  .showHelpAfterError('(trove --help lists the commands; trove COMMAND --help tells how to use one)')
  .exitOverride();

registerServe(program);
registerManage(program);
registerAgent(program);
registerClientCommands(program);

/**
 * Exit codes scripts can rely on: 1 a refused operation, 2 usage or configuration, 3 not
 * authenticated, 4 server unreachable, 5 a waited-for operation failed, 6 a wait timed out, 70 a bug.
 */
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  if (err instanceof ClientError) {
    console.error(`trove: ${err.message}`);
    process.exit(err.exitCode);
  }
  if (err instanceof ConfigError) {
    console.error(`trove: configuration error: ${err.message}`);
    process.exit(2);
  }
  if (err instanceof TroveFault) {
    console.error(`trove: ${err.message}`);
    process.exit(1);
  }
  console.error(`trove: unexpected error: ${(err as Error).stack ?? String(err)}`);
  process.exit(70);
}
