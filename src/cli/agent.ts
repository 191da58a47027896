import type { Command } from 'commander';
import { runAgent } from '../agent/server.js';
import { createLogger } from '../common/log.js';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the guest agent of one instance (started by the compute driver)')
    .requiredOption('--config <file>', "the instance's agent.json, written by the compute driver")
    .option('--log-level <level>', 'log level', 'info')
    .action(async (options: { config: string; logLevel: string }) => {
      await runAgent(options.config, createLogger(options.logLevel));
    });
}
