import { existsSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { Value } from 'typebox/value';
import type { Logger } from '../common/log.js';
import { Agent } from './agent.js';
import { datastoreModule } from './datastores/index.js';
import { AccessApply, AccessChange, AgentConfig, AgentStatus, ConfigurationApply, DatabaseList, FlavorSpec, PARAMETER_NAME, PrepareRequest, UserList, UserRef, UserUpdate } from './protocol.js';
import { closeEngineConnections } from './engine-connections.js';
import { AgentRequestError } from './errors.js';
import { ARCHIVE_SOCKET, listenForArchive } from './archive-socket.js';
import { BackupRequest, BackupState } from './backup-protocol.js';
import { AllowRequest, CatchUpRequest, ReplicationSource, ReplicationStatus, SLOT } from './replication-protocol.js';
import { Type } from 'typebox';

export const AGENT_SOCKET = 'agent.sock';

function readConfig(path: string): AgentConfig {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Value.Check(AgentConfig, raw)) {
    const first = Value.Errors(AgentConfig, raw)[0];
    throw new Error(`agent config ${path} is invalid at ${first?.instancePath || '(root)'}: ${first?.message}`);
  }
  return raw;
}

/** Whether something accepts connections on a unix socket (within a second). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    const done = (answer: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), 1000);
    probe.on('connect', () => done(true));
    probe.on('error', () => done(false));
  });
}

/** Runs the agent of one instance: RPC on a unix socket beside its config file. */
export async function runAgent(configPath: string, log: Logger): Promise<void> {
  // Engines run as other users and must read what the agent writes for them: do not inherit a
  // stricter umask from whoever started the server. Secret files are written with explicit modes.
  process.umask(0o022);
  const config = readConfig(configPath);
  const module = datastoreModule(config.engine);
  const agent = new Agent(config, configPath, module, log);
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: 4 * 1024 * 1024,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    if (error instanceof AgentRequestError) return reply.code(error.status).send({ error: error.message });
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error.message, url: request.url }, 'agent request failed');
    return reply.code(status).send({ error: error.message });
  });

  // Polled every second or so: logged only when something goes wrong.
  app.get('/status', { logLevel: 'warn', schema: { response: { 200: AgentStatus } } }, async () => agent.status());
  app.post('/prepare', { schema: { body: PrepareRequest } }, async (request, reply) => {
    const outcome = agent.prepare(request.body);
    return reply.code(outcome === 'done' ? 200 : 202).send({ prepare: outcome });
  });
  app.post('/configure', { schema: { body: Type.Object({ flavor: FlavorSpec }, { additionalProperties: false }) } }, async (request) => {
    await agent.configure(request.body.flavor);
    return { configured: true };
  });
  app.post('/engine/stop', async () => {
    await agent.stopEngine();
    return { stopped: true };
  });
  app.post('/engine/start', async () => {
    await agent.startEngine();
    return { started: true };
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

  /** The engine's admin operations, once it is prepared and answering. */
  const admin = () => agent.admin();
  app.get('/databases', async () => ({ databases: await admin().listDatabases(config) }));
  app.post('/databases', { schema: { body: DatabaseList } }, async (request) => {
    await admin().createDatabases(config, request.body.databases);
    return { ok: true };
  });
  app.post('/databases/delete', { schema: { body: Type.Object({ name: DatabaseList.properties.databases.items.properties.name }, { additionalProperties: false }) } }, async (request) => {
    await admin().deleteDatabase(config, request.body.name);
    return { ok: true };
  });
  app.get('/users', async () => ({ users: await admin().listUsers(config) }));
  app.post('/users', { schema: { body: UserList } }, async (request) => {
    await admin().createUsers(config, request.body.users);
    return { ok: true };
  });
  app.post('/users/update', { schema: { body: UserUpdate } }, async (request) => {
    await admin().updateUser(config, request.body);
    return { ok: true };
  });
  app.post('/users/delete', { schema: { body: UserRef } }, async (request) => {
    await admin().deleteUser(config, request.body);
    return { ok: true };
  });
  app.post('/users/grant', { schema: { body: AccessChange } }, async (request) => {
    await admin().grant(config, request.body.user, request.body.databases);
    return { ok: true };
  });
  app.post('/users/revoke', { schema: { body: Type.Object({ user: UserRef, database: DatabaseList.properties.databases.items.properties.name }, { additionalProperties: false }) } }, async (request) => {
    await admin().revoke(config, request.body.user, request.body.database);
    return { ok: true };
  });
  app.get('/logs', async () => agent.logs());
  app.post('/logs/set', { schema: { body: Type.Object({ name: Type.String({ pattern: '^[a-z_]{1,32}$' }), enabled: Type.Boolean() }, { additionalProperties: false }) } }, async (request) => {
    await agent.setLog(request.body.name, request.body.enabled);
    return { ok: true };
  });
  app.get('/logs/read', { schema: { querystring: Type.Object({ name: Type.String({ pattern: '^[a-z_]{1,32}$' }), offset: Type.String({ pattern: '^[0-9]{1,15}$' }) }) } }, async (request) =>
    agent.readLog(request.query.name, Number(request.query.offset)),
  );
  app.put('/configuration', { schema: { body: ConfigurationApply } }, async (request) => {
    return { ok: true, restart_pending: await agent.applyConfiguration(request.body.values, request.body.live, request.body.revert) };
  });
  app.put('/access', { schema: { body: AccessApply } }, async (request) => ({ engine_rule: await agent.applyAccess(request.body.allowed_cidrs) }));
  app.post('/configuration/read', { schema: { body: Type.Object({ names: Type.Array(Type.String({ pattern: PARAMETER_NAME }), { maxItems: 500 }) }, { additionalProperties: false }) } }, async (request) => ({
    values: await agent.readConfiguration(request.body.names),
  }));
  // The key and store credentials arrive in the body: request bodies are never logged.
  app.post('/backups', { schema: { body: BackupRequest } }, async (request, reply) => {
    const outcome = agent.backups.start(request.body, () => agent.requireRunning());
    return reply.code(outcome === 'done' ? 200 : 202).send({ backup: outcome });
  });
  app.post('/backups/:id/abort', { schema: { params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) }) } }, async (request) => {
    await agent.backups.abort(request.params.id);
    return agent.backups.state(request.params.id);
  });
  app.get(
    '/backups/:id',
    { schema: { params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) }), querystring: Type.Object({ wait_ms: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })) }), response: { 200: BackupState } } },
    async (request) => agent.backups.stateWhenSettled(request.params.id, Math.min(Number(request.query.wait_ms ?? 0), 30_000)),
  );
  app.post('/root/enable', { schema: { body: Type.Object({ password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })) }) } }, async (request) => ({ user: await admin().enableRoot(config, request.body.password) }));
  app.post('/root/disable', async () => {
    await admin().disableRoot(config);
    return { ok: true };
  });

  // Replication: passwords arrive in bodies, which are never logged.
  app.get('/replication', { schema: { response: { 200: ReplicationStatus } } }, async () => agent.replicationStatus());
  app.post('/replication/allow', { schema: { body: AllowRequest } }, async (request) => {
    await agent.allowReplicas(request.body);
    return { ok: true };
  });
  app.post('/replication/drop-slot', { schema: { body: Type.Object({ slot: Type.String({ pattern: SLOT }) }, { additionalProperties: false }) } }, async (request) => {
    await agent.dropSlot(request.body.slot);
    return { ok: true };
  });
  app.post('/replication/follow', { schema: { body: Type.Object({ source: ReplicationSource }, { additionalProperties: false }) } }, async (request) => {
    await agent.follow(request.body.source);
    return { ok: true };
  });
  app.post('/replication/fence', async () => ({ position: await agent.fence() }));
  app.post('/replication/catch-up', { schema: { body: CatchUpRequest } }, async (request) => {
    await agent.catchUp(request.body.position, request.body.timeout_ms);
    return { ok: true };
  });
  app.get('/replication/accounts', async () => ({ accounts: await agent.exportAccounts() }));
  app.post('/replication/accounts', { schema: { body: Type.Object({ accounts: Type.Array(Type.String({ maxLength: 65536 }), { maxItems: 10_000 }) }, { additionalProperties: false }) } }, async (request) => {
    await agent.importAccounts(request.body.accounts);
    return { ok: true };
  });
  app.post('/replication/promote', async () => {
    await agent.promote();
    return { ok: true };
  });

  const socket = join(dirname(configPath), AGENT_SOCKET);
  if (existsSync(socket)) {
    // One agent per instance: a second one would take the socket while the first goes on.
    if (await socketAnswers(socket)) {
      log.warn({ instance: config.instance_id }, 'another agent already serves this instance; this one exits');
      process.exit(0);
    }
    rmSync(socket);
  }
  // Before the engine starts: it may hand over a log file at once.
  const archiving = module.backup?.archive;
  if (archiving) await listenForArchive(agent.backups, join(config.run_dir, ARCHIVE_SOCKET), archiving.engineUser, log);
  await agent.start();
  await app.listen({ path: socket });
  log.info({ instance: config.instance_id, socket }, 'agent listening');
  const stop = async () => {
    await app.close();
    await closeEngineConnections();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}
