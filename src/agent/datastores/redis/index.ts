import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { DatastoreModule } from '../../datastore.js';
import type { AgentConfig, PrepareRequest } from '../../protocol.js';
import { probeSocket } from '../../socket-probe.js';
import { giveFile, ownedFolder } from '../../system-user.js';
import { AGENT_USER, initialAclFile, withAgentPassword } from './acl.js';
import { redisAdmin } from './admin.js';
import { redisConfiguration } from './configuration.js';
import { redisBackup } from './backup.js';
import { ensureClusterConfig, redisCluster } from './cluster.js';
import { ensureReplicationConfig, redisReplication } from './replication.js';
import { redisInfo } from './cli.js';
import { pathsOf, renderConfig } from './config-file.js';
import { redisLogs } from './logs.js';

const ENGINE_USER = 'redis';

/** Redis from Debian's redis-server package. */
export const redisModule: DatastoreModule = {
  engine: 'redis',
  admin: redisAdmin,
  logs: redisLogs,
  backup: redisBackup,
  configuration: redisConfiguration,
  replication: redisReplication,
  cluster: redisCluster,

  async initialise(config: AgentConfig, request: PrepareRequest, restore) {
    const paths = pathsOf(config);
    for (const dir of [config.run_dir, config.log_dir, paths.dataDir]) ownedFolder(dir, ENGINE_USER, 0o700);
    const newSecret = !existsSync(paths.agentSecretFile);
    if (newSecret) writeFileAtomic(paths.agentSecretFile, randomBytes(32).toString('base64url'), 0o600);
    const secret = readFileSync(paths.agentSecretFile, 'utf8').trim();
    // A new guest on a volume that has users (a rebuild) keeps them; only its own password is new.
    const acl = existsSync(paths.aclFile) ? (newSecret ? withAgentPassword(readFileSync(paths.aclFile, 'utf8'), secret) : undefined) : initialAclFile(secret);
    if (acl !== undefined) {
      writeFileAtomic(paths.aclFile, acl, 0o600);
      giveFile(paths.aclFile, ENGINE_USER);
    }
    await redisModule.configure(config, request.flavor);
    if (restore) await redisBackup.restore(config, restore);
  },

  async configure(config: AgentConfig, flavor) {
    const paths = pathsOf(config);
    redisConfiguration.ensureOverrides(config);
    ensureReplicationConfig(config);
    ensureClusterConfig(config);
    writeFileAtomic(paths.configFile, renderConfig(config, paths, flavor.tuning), 0o644);
  },

  command(config: AgentConfig) {
    const paths = pathsOf(config);
    return { executable: '/usr/bin/redis-server', args: [paths.configFile], user: ENGINE_USER, pidFile: paths.pidFile };
  },

  async ping(config: AgentConfig) {
    const paths = pathsOf(config);
    let secret: string;
    try {
      secret = readFileSync(paths.agentSecretFile, 'utf8').trim();
    } catch {
      return false;
    }
    // AUTH then PING in one write (RESP arrays, so the secret needs no quoting): "+OK" then "+PONG"
    // once the data is loaded; an error (LOADING, BUSY…) means not ready.
    const resp = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    return probeSocket(paths.socket, Buffer.from(resp('AUTH', AGENT_USER, secret) + resp('PING')), (received) => {
      const text = received.toString('latin1');
      if (text.startsWith('-')) return false;
      if (!text.includes('\r\n', text.indexOf('\r\n') + 2)) return undefined;
      return text.endsWith('+PONG\r\n');
    });
  },

  async secure(config: AgentConfig, request: PrepareRequest) {
    // The ACL file written at initialise already has root off and no passwordless user.
    if (request.users.length > 0) await redisAdmin.createUsers(config, request.users);
  },

  async version(config: AgentConfig) {
    try {
      return (await redisInfo(config, 'server')).redis_version;
    } catch {
      return undefined;
    }
  },
};
