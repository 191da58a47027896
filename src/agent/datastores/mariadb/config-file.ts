import type { AgentConfig } from '../../protocol.js';

export interface MariadbPaths {
  dataDir: string;
  socket: string;
  pidFile: string;
  configFile: string;
  errorLog: string;
  /** Empty, owned by root: the only place file import/export could touch, and it cannot be written. */
  securePrivDir: string;
  tmpDir: string;
  /** Which USER logs are on; included by my.cnf so the choice survives restarts. */
  logsConfig: string;
  /** The configuration group's values; included last, so they win over the tuning above. */
  overridesConfig: string;
  /** The replication role (read-only unless a source); included after the overrides, so a group cannot undo it. */
  replicationConfig: string;
  /** Galera's settings when the instance is a cluster member (empty otherwise); included last, so neither a group nor the role can undo them. */
  clusterConfig: string;
  logFile(name: string): string;
}

export function pathsOf(config: AgentConfig): MariadbPaths {
  return {
    dataDir: `${config.volume_dir}/mysql`,
    socket: `${config.run_dir}/mysqld.sock`,
    pidFile: `${config.run_dir}/mysqld.pid`,
    configFile: `${config.run_dir}/my.cnf`,
    errorLog: `${config.log_dir}/error.log`,
    securePrivDir: `${config.run_dir}/no-files`,
    tmpDir: `${config.volume_dir}/tmp`,
    logsConfig: `${config.run_dir}/logs.cnf`,
    overridesConfig: `${config.run_dir}/overrides.cnf`,
    replicationConfig: `${config.run_dir}/replication.cnf`,
    clusterConfig: `${config.run_dir}/cluster.cnf`,
    logFile: (name: string) => `${config.log_dir}/${name}.log`,
  };
}

/**
 * A server id of 1 to 2^32-1 that is the same on every start of an instance and, from its random
 * id, different between instances: what a replica and its source must not share.
 */
export function serverIdOf(instanceId: string): number {
  const hex = instanceId
    .replace(/[^0-9a-f]/gi, '')
    .slice(0, 8)
    .padEnd(8, '0');
  return (Number.parseInt(hex, 16) % 0xffff_fffe) + 1;
}

/** The server configuration: the instance's address and port, hardening, and flavor tuning. */
export function renderConfig(config: AgentConfig, paths: MariadbPaths, tuning: Record<string, number>): string {
  return `# Written by the Trove guest agent; regenerated on prepare and resize.
[client]
socket = ${paths.socket}

[mysqld]
datadir = ${paths.dataDir}
socket = ${paths.socket}
pid-file = ${paths.pidFile}
log-error = ${paths.errorLog}
tmpdir = ${paths.tmpDir}
bind-address = ${config.address}
port = ${config.port}
skip-name-resolve = 1
# Hardening: InnoDB only, no file import/export, no symbolic links.
default_storage_engine = InnoDB
enforce_storage_engine = InnoDB
local_infile = 0
secure_file_priv = ${paths.securePrivDir}
symbolic-links = 0
# Tuned from the flavor (the formulas are the datastore's catalog descriptor's).
${Object.entries(tuning)
  .map(([name, value]) => `${name} = ${value}`)
  .join('\n')}
innodb_file_per_table = 1
connect_timeout = 15
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
# The binary log with GTIDs: the position a backup records, and what a replica will follow. Files
# of 64 MiB kept a day, so that a small volume is not filled by it.
log_bin = mysql-bin
server_id = ${serverIdOf(config.instance_id)}
binlog_format = ROW
log_slave_updates = 1
gtid_strict_mode = 1
max_binlog_size = 64M
binlog_expire_logs_seconds = 86400
relay_log = relay-bin
relay_log_recovery = 1
log_output = FILE
general_log_file = ${paths.logFile('general')}
slow_query_log_file = ${paths.logFile('slow_query')}
!include ${paths.logsConfig}
!include ${paths.overridesConfig}
!include ${paths.replicationConfig}
!include ${paths.clusterConfig}
`;
}

/** The USER logs' on/off settings, in their own file so my.cnf can be regenerated freely. */
export function renderLogsConfig(enabled: { general: boolean; slow_query: boolean }): string {
  return `[mysqld]\ngeneral_log = ${enabled.general ? 1 : 0}\nslow_query_log = ${enabled.slow_query ? 1 : 0}\n`;
}
