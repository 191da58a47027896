import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { DatastoreModule } from '../../datastore.js';
import type { AgentConfig, PrepareRequest } from '../../protocol.js';
import { probeSocket } from '../../socket-probe.js';
import { copyTemplate } from '../../engine-kit/template-cache.js';
import { ownedFolder } from '../../system-user.js';
import { mariadbAdmin } from './admin.js';
import { mariadbBackup } from './backup.js';
import { ensureLogsConfig, mariadbLogs } from './logs.js';
import { pathsOf, renderConfig } from './config-file.js';
import { mariadbConfiguration } from './configuration.js';
import { ensureClusterConfig, mariadbCluster } from './cluster.js';
import { ensureReplicationConfig, mariadbReplication } from './replication.js';
import { ident, identifiedBy, literal, nativeHash, runSql } from './sql.js';
import { installedVersion, pristineDataDir } from './template.js';

const ENGINE_USER = 'mysql';

/** Accounts that must not exist on a tenant's server: anonymous, remote root, the OS-user superuser. */
async function removeUnsafeAccounts(socket: string): Promise<void> {
  const accounts = await runSql(socket, "SELECT User, Host FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost') OR User = 'mysql'");
  const drops = accounts.map(([user, host]) => `DROP USER IF EXISTS ${literal(user ?? '')}@${literal(host ?? '')}`);
  const mangled = randomBytes(32).toString('base64');
  // root keeps socket access for the agent; its password is random and thrown away.
  await runSql(socket, [
    ...drops,
    `ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING '${nativeHash(mangled)}'`,
    'DROP DATABASE IF EXISTS test',
    "DELETE FROM mysql.db WHERE Db = 'test' OR Db = 'test\\\\_%'",
    'FLUSH PRIVILEGES',
  ]);
}

async function createDatabasesAndUsers(socket: string, request: PrepareRequest): Promise<void> {
  const statements: string[] = [];
  for (const db of request.databases) {
    statements.push(`CREATE DATABASE IF NOT EXISTS ${ident(db.name)} CHARACTER SET ${db.character_set ?? 'utf8mb4'}${db.collate ? ` COLLATE ${db.collate}` : ''}`);
  }
  for (const user of request.users) {
    const account = `${literal(user.name)}@${literal(user.host ?? '%')}`;
    statements.push(`CREATE USER IF NOT EXISTS ${account} ${identifiedBy(user.password)}`);
    for (const db of user.databases) statements.push(`GRANT ALL PRIVILEGES ON ${ident(db)}.* TO ${account}`);
  }
  if (statements.length > 0) await runSql(socket, statements);
}

/** MariaDB 10.11 from Debian's packages, serving both the `mysql` and `mariadb` datastores. */
export const mariadbModule: DatastoreModule = {
  engine: 'mariadb',
  admin: mariadbAdmin,
  logs: mariadbLogs,
  backup: mariadbBackup,
  configuration: mariadbConfiguration,
  replication: mariadbReplication,
  cluster: mariadbCluster,

  async initialise(config: AgentConfig, request: PrepareRequest, restore) {
    const paths = pathsOf(config);
    ownedFolder(config.run_dir, ENGINE_USER, 0o755);
    ownedFolder(config.log_dir, ENGINE_USER, 0o750);
    ownedFolder(paths.tmpDir, ENGINE_USER, 0o750);
    mkdirSync(paths.securePrivDir, { recursive: true, mode: 0o755 });
    await mariadbModule.configure(config, request.flavor);
    if (existsSync(`${paths.dataDir}/mysql`)) return;
    if (restore) return mariadbBackup.restore(config, restore);
    const template = await pristineDataDir(config.template_dir, await installedVersion());
    await copyTemplate(template, paths.dataDir, { sparse: true });
  },

  async configure(config: AgentConfig, flavor) {
    const paths = pathsOf(config);
    ensureLogsConfig(config);
    mariadbConfiguration.ensureOverrides(config);
    ensureReplicationConfig(config);
    ensureClusterConfig(config);
    writeFileAtomic(paths.configFile, renderConfig(config, paths, flavor.tuning), 0o644);
  },

  command(config: AgentConfig) {
    const paths = pathsOf(config);
    return { executable: '/usr/sbin/mariadbd', args: [`--defaults-file=${paths.configFile}`], user: ENGINE_USER, pidFile: paths.pidFile };
  },

  async ping(config: AgentConfig) {
    // The server greets every connection first: a handshake (protocol 10) or an error packet
    // (too many connections…); either way it answers, as `mariadb-admin ping` counts it.
    return probeSocket(pathsOf(config).socket, undefined, (received) => (received.length < 5 ? undefined : received[4] === 0x0a || received[4] === 0xff));
  },

  async secure(config: AgentConfig, request: PrepareRequest) {
    const { socket } = pathsOf(config);
    await removeUnsafeAccounts(socket);
    await createDatabasesAndUsers(socket, request);
  },

  async version(config: AgentConfig) {
    try {
      const rows = await runSql(pathsOf(config).socket, 'SELECT VERSION()');
      return rows[0]?.[0];
    } catch {
      return undefined;
    }
  },
};
