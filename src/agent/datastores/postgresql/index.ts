import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { DatastoreModule } from '../../datastore.js';
import { probeSocket } from '../../socket-probe.js';
import type { AgentConfig, PrepareRequest } from '../../protocol.js';
import { copyTemplate } from '../../engine-kit/template-cache.js';
import { ownedFolder } from '../../system-user.js';
import { allowedCidrsOf, postgresqlAccess } from './access.js';
import { postgresAdmin } from './admin.js';
import { finishRestore, postgresqlBackup } from './backup.js';
import { pathsOf, renderConfig, renderHba } from './config-file.js';
import { postgresLogs } from './logs.js';
import { postgresqlConfiguration } from './configuration.js';
import { ensureReplicationConfig, postgresqlReplication } from './replication.js';
import { acceptsConnections, startupPacket } from './ping.js';
import { renderIdent, runSql } from './sql.js';
import { binDir, pristineCluster, versionOf } from './template.js';

const ENGINE_USER = 'postgres';

/** PostgreSQL from Debian's packages (/usr/lib/postgresql/<version>). */
export const postgresqlModule: DatastoreModule = {
  engine: 'postgresql',
  admin: postgresAdmin,
  logs: postgresLogs,
  backup: postgresqlBackup,
  configuration: postgresqlConfiguration,
  replication: postgresqlReplication,
  access: postgresqlAccess,

  async initialise(config: AgentConfig, request: PrepareRequest, restore) {
    const paths = pathsOf(config);
    for (const dir of [config.run_dir, config.log_dir]) ownedFolder(dir, ENGINE_USER, 0o700);
    await postgresqlModule.configure(config, request.flavor);
    if (existsSync(`${paths.dataDir}/PG_VERSION`)) return;
    if (restore) return postgresqlBackup.restore(config, restore);
    await copyTemplate(await pristineCluster(config.template_dir, versionOf(config)), paths.dataDir);
  },

  async configure(config: AgentConfig, flavor) {
    const paths = pathsOf(config);
    postgresqlConfiguration.ensureOverrides(config);
    ensureReplicationConfig(config);
    writeFileAtomic(paths.configFile, renderConfig(config, paths, flavor.tuning), 0o644);
    writeFileAtomic(paths.identFile, renderIdent(), 0o644);
    writeFileAtomic(paths.hbaFile, renderHba(config, allowedCidrsOf(config)), 0o644);
  },

  command(config: AgentConfig) {
    const paths = pathsOf(config);
    return { executable: `${binDir(versionOf(config))}/postgres`, args: ['-D', paths.dataDir, '-c', `config_file=${paths.configFile}`], user: ENGINE_USER, pidFile: `${paths.dataDir}/postmaster.pid`, stopSignal: 'SIGINT' };
  },

  async ping(config: AgentConfig) {
    // Over TCP, where pg_hba asks any user for a password: the server answers 'R' and, when the
    // client leaves without one, logs nothing (a ping every second must not fill the log).
    // From the instance's own address, which every allowed_cidrs lets through.
    return probeSocket({ host: config.address, port: config.port, localAddress: config.address }, startupPacket(), acceptsConnections);
  },

  async secure(config: AgentConfig, request: PrepareRequest) {
    // initdb's cluster is already locked down by pg_hba (peer for postgres, scram for the rest);
    // what the create request asked for comes next.
    await finishRestore(config);
    if (request.databases.length > 0) await postgresAdmin.createDatabases(config, request.databases);
    if (request.users.length > 0) await postgresAdmin.createUsers(config, request.users);
  },

  async version(config: AgentConfig) {
    try {
      return (await runSql(pathsOf(config).socketDir, config.port, 'SHOW server_version'))[0]?.[0];
    } catch {
      return undefined;
    }
  },
};
