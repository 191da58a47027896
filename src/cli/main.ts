#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError, TroveFault } from '../common/errors.js';
import { registerAgent } from './agent.js';
import { registerManage } from './manage.js';
import { registerServe } from './serve.js';

const program = new Command('trove')
  .description('Trove: a self-hosted Database-as-a-Service speaking the OpenStack Trove v1.0 API')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerServe(program);
registerManage(program);
registerAgent(program);

/** Exit codes scripts can rely on: 2 usage or configuration, 1 a refused operation, 70 a bug. */
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
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
