import type { Command } from 'commander';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the guest agent of one instance (started by the compute driver)')
    .requiredOption('--config <file>', "the instance's agent.json, written by the compute driver")
    .option('--log-level <level>', 'log level', 'info')
    .action(async (options: { config: string; logLevel: string }) => {
      // Loaded on use: the agent's start-up time is part of every instance's build time.
      const [{ runAgent }, { createLogger }] = await Promise.all([import('../agent/server.js'), import('../common/log.js')]);
      await runAgent(options.config, createLogger(options.logLevel));
    });
}
