import { parseArgs } from 'node:util';
import { createLogger } from '../common/log.js';
import { runAgent } from './server.js';

/**
 * The agent process's own entry point. The build bundles it into one file (dist/agent/bundle.mjs)
 * because the compute driver starts one agent per instance, and loading hundreds of small
 * modules costs more start-up time than the rest of a Redis create together.
 */
const { values } = parseArgs({ options: { config: { type: 'string' }, 'log-level': { type: 'string', default: 'info' } }, strict: true });
if (!values.config) {
  console.error('usage: agent --config <instance>/agent.json [--log-level <level>]');
  process.exit(2);
}
await runAgent(values.config, createLogger(values['log-level'] ?? 'info'));
