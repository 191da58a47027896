import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { Value } from 'typebox/value';
import type { Logger } from '../common/log.js';
import { Agent } from './agent.js';
import { datastoreModule } from './datastores/index.js';
import { AgentConfig, AgentStatus, PrepareRequest } from './protocol.js';

export const AGENT_SOCKET = 'agent.sock';

function readConfig(path: string): AgentConfig {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Value.Check(AgentConfig, raw)) {
    const first = Value.Errors(AgentConfig, raw)[0];
    throw new Error(`agent config ${path} is invalid at ${first?.instancePath || '(root)'}: ${first?.message}`);
  }
  return raw;
}

/** Runs the agent of one instance: RPC on a unix socket beside its config file. */
export async function runAgent(configPath: string, log: Logger): Promise<void> {
  // Engines run as other users and must read what the agent writes for them: do not inherit a
  // stricter umask from whoever started the server. Secret files are written with explicit modes.
  process.umask(0o022);
  const config = readConfig(configPath);
  const agent = new Agent(config, configPath, datastoreModule(config.engine), log);
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: 4 * 1024 * 1024,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    reply.code(status).send({ error: error.message });
  });

  // Polled every second or so: logged only when something goes wrong.
  app.get('/status', { logLevel: 'warn', schema: { response: { 200: AgentStatus } } }, async () => agent.status());
  app.post('/prepare', { schema: { body: PrepareRequest } }, async (request, reply) => {
    const outcome = agent.prepare(request.body);
    return reply.code(outcome === 'done' ? 200 : 202).send({ prepare: outcome });
  });
  app.post('/restart', async () => {
    await agent.restart();
    return { restarted: true };
  });
  app.post('/shutdown', async (_request, reply) => {
    await agent.shutdown();
    await reply.send({ stopped: true });
    setImmediate(() => void app.close().then(() => process.exit(0)));
  });

  const socket = join(dirname(configPath), AGENT_SOCKET);
  if (existsSync(socket)) rmSync(socket);
  agent.start();
  await app.listen({ path: socket });
  log.info({ instance: config.instance_id, socket }, 'agent listening');
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
