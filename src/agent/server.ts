import { existsSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { Value } from 'typebox/value';
import type { Logger } from '../common/log.js';
import { Agent } from './agent.js';
import { datastoreModule } from './datastores/index.js';
import { AgentConfig } from './protocol.js';
import { closeEngineConnections } from './engine-connections.js';
import { AgentRequestError } from './errors.js';
import { ARCHIVE_SOCKET, listenForArchive } from './archive-socket.js';
import { routes, type Routes } from './rpc/routes.js';
import { serve, type Handler, type Handlers } from './rpc/serve.js';
import type { Route } from './rpc/route.js';

const AGENT_SOCKET = 'agent.sock';

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

  /** The engine's admin operations, once it is prepared and answering. */
  const admin = () => agent.admin();
  const ok = { ok: true } as const;
  const handlers: Handlers = {
    status: async () => agent.status(),
    prepare: async (input, reply) => {
      const outcome = agent.prepare(input);
      reply.code(outcome === 'done' ? 200 : 202);
      return { prepare: outcome };
    },
    configure: async (input) => {
      await agent.configure(input.flavor);
      return { configured: true };
    },
    engineStop: async () => {
      await agent.stopEngine();
      return { stopped: true };
    },
    engineStart: async () => {
      await agent.startEngine();
      return { started: true };
    },
    restart: async () => {
      await agent.restart();
      return { restarted: true };
    },
    shutdown: async (_input, reply) => {
      await agent.shutdown();
      // Once the answer is out (or its caller gone), the agent goes.
      reply.raw.once('close', () => void app.close().then(() => process.exit(0)));
      return { stopped: true };
    },
    databasesList: async () => ({ databases: await admin().listDatabases(config) }),
    databasesCreate: async (input) => {
      await admin().createDatabases(config, input.databases);
      return ok;
    },
    databaseDelete: async (input) => {
      await admin().deleteDatabase(config, input.name);
      return ok;
    },
    usersList: async () => ({ users: await admin().listUsers(config) }),
    usersCreate: async (input) => {
      await admin().createUsers(config, input.users);
      return ok;
    },
    userUpdate: async (input) => {
      await admin().updateUser(config, input);
      return ok;
    },
    userDelete: async (input) => {
      await admin().deleteUser(config, input);
      return ok;
    },
    userGrant: async (input) => {
      await admin().grant(config, input.user, input.databases);
      return ok;
    },
    userRevoke: async (input) => {
      await admin().revoke(config, input.user, input.database);
      return ok;
    },
    rootEnable: async (input) => ({ user: await admin().enableRoot(config, input.password) }),
    rootDisable: async () => {
      await admin().disableRoot(config);
      return ok;
    },
    logsList: async () => agent.logs(),
    logSet: async (input) => {
      await agent.setLog(input.name, input.enabled);
      return ok;
    },
    logRead: async (input) => agent.readLog(input.name, Number(input.offset)),
    configurationApply: async (input) => ({ ok: true, restart_pending: await agent.applyConfiguration(input.values, input.live, input.revert) }),
    configurationRead: async (input) => ({ values: await agent.readConfiguration(input.names) }),
    accessApply: async (input) => ({ engine_rule: await agent.applyAccess(input.allowed_cidrs) }),
    backupStart: async (input, reply) => {
      const outcome = agent.backups.start(input, () => agent.requireRunning());
      reply.code(outcome === 'done' ? 200 : 202);
      return { backup: outcome };
    },
    backupAbort: async (input) => {
      await agent.backups.abort(input.id);
      return agent.backups.state(input.id);
    },
    backupState: async (input) => agent.backups.stateWhenSettled(input.id, Math.min(Number(input.wait_ms ?? 0), 30_000)),
    replicationStatus: async () => agent.replicationStatus(),
    replicationAllow: async (input) => {
      await agent.allowReplicas(input);
      return ok;
    },
    replicationRelease: async (input) => {
      await agent.releaseRetainer(input.retainer);
      return ok;
    },
    replicationFollow: async (input) => {
      await agent.follow(input.source);
      return ok;
    },
    replicationFence: async () => ({ position: await agent.fence() }),
    replicationCatchUp: async (input) => {
      await agent.catchUp(input.position, input.timeout_ms);
      return ok;
    },
    replicationPromote: async () => {
      await agent.promote();
      return ok;
    },
    clusterStatus: async () => {
      agent.requireRunning();
      return agent.cluster.status();
    },
    clusterMembers: async (input) => {
      await agent.cluster.changeMembers(input.members);
      return ok;
    },
    clusterHold: async () => agent.holdForClusterRestart(),
    clusterBootstrap: async () => {
      await agent.bootstrapCluster();
      return ok;
    },
    clusterRejoin: async () => {
      agent.rejoinCluster();
      return ok;
    },
    clusterForm: async (input) => {
      agent.requireRunning();
      await agent.cluster.form(input.members);
      return ok;
    },
    clusterAdd: async (input) => {
      agent.requireRunning();
      await agent.cluster.add(input.members);
      return ok;
    },
    clusterRemove: async (input) => {
      agent.requireRunning();
      await agent.cluster.remove(input.members);
      return ok;
    },
    accountsExport: async () => ({ accounts: await agent.exportAccounts() }),
    accountsImport: async (input) => {
      await agent.importAccounts(input.accounts);
      return ok;
    },
  };
  for (const name of Object.keys(routes) as Array<keyof Routes>) serve(app, routes[name], handlers[name] as Handler<Route>);

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
