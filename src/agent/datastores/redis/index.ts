import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { DatastoreModule } from '../../datastore.js';
import type { AgentConfig, PrepareRequest } from '../../protocol.js';
import { systemUser } from '../../system-user.js';
import { initialAclFile } from './acl.js';
import { redisAdmin } from './admin.js';
import { ensureOverrides, redisConfiguration } from './configuration.js';
import { redisBackup } from './backup.js';
import { redisCommand } from './cli.js';
import { pathsOf, renderConfig } from './config-file.js';
import { redisLogs } from './logs.js';
import { tuneFor } from './tuning.js';

const ENGINE_USER = 'redis';

/** Redis from Debian's redis-server package. */
export const redisModule: DatastoreModule = {
  engine: 'redis',
  admin: redisAdmin,
  logs: redisLogs,
  backup: redisBackup,
  configuration: redisConfiguration,

  async initialise(config: AgentConfig, request: PrepareRequest, restore) {
    const paths = pathsOf(config);
    const owner = process.getuid?.() === 0 ? systemUser(ENGINE_USER) : undefined;
    for (const dir of [config.run_dir, config.log_dir, paths.dataDir]) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (owner) chownSync(dir, owner.uid, owner.gid);
    }
    if (!existsSync(paths.agentSecretFile)) writeFileAtomic(paths.agentSecretFile, randomBytes(32).toString('base64url'), 0o600);
    if (!existsSync(paths.aclFile)) {
      writeFileAtomic(paths.aclFile, initialAclFile(readFileSync(paths.agentSecretFile, 'utf8').trim()), 0o600);
      if (owner) chownSync(paths.aclFile, owner.uid, owner.gid);
    }
    await redisModule.configure(config, request.flavor);
    if (restore) await redisBackup.restore(config, restore);
  },

  async configure(config: AgentConfig, flavor) {
    const paths = pathsOf(config);
    ensureOverrides(config);
    writeFileAtomic(paths.configFile, renderConfig(config, paths, tuneFor(flavor.ram_mb)), 0o644);
  },

  command(config: AgentConfig) {
    const paths = pathsOf(config);
    return { executable: '/usr/bin/redis-server', args: [paths.configFile], user: ENGINE_USER, pidFile: paths.pidFile };
  },

  async ping(config: AgentConfig) {
    try {
      return (await redisCommand(config, ['PING'])) === 'PONG';
    } catch {
      return false;
    }
  },

  async secure(config: AgentConfig, request: PrepareRequest) {
    // The ACL file written at initialise already has root off and no passwordless user.
    if (request.users.length > 0) await redisAdmin.createUsers(config, request.users);
  },

  async version(config: AgentConfig) {
    try {
      const info = String(await redisCommand(config, ['INFO', 'server']));
      return /^redis_version:(\S+)/m.exec(info)?.[1];
    } catch {
      return undefined;
    }
  },
};
