import type { AgentConfig } from '../../protocol.js';

export interface RedisPaths {
  /** On the volume: the RDB snapshot, the append-only files and the ACL file. */
  dataDir: string;
  aclFile: string;
  configFile: string;
  /** The configuration group's values; included last, so they win over the tuning above. */
  overridesFile: string;
  /** The replication role (a replica's source, or the fence); included last, so a group cannot undo it. */
  replicationFile: string;
  /** Redis Cluster's settings for a member of a cluster; empty for an instance of its own. */
  clusterFile: string;
  /** Redis Cluster's own record of the cluster's nodes and slots, on the volume with the data it describes. */
  nodesFile: string;
  socket: string;
  pidFile: string;
  logFile: string;
  /** The agent's own ACL password, readable by root only. */
  agentSecretFile: string;
}

export function pathsOf(config: AgentConfig): RedisPaths {
  return {
    dataDir: `${config.volume_dir}/redis`,
    aclFile: `${config.volume_dir}/redis/users.acl`,
    configFile: `${config.run_dir}/redis.conf`,
    overridesFile: `${config.run_dir}/overrides.conf`,
    replicationFile: `${config.run_dir}/replication.conf`,
    clusterFile: `${config.run_dir}/cluster.conf`,
    nodesFile: `${config.volume_dir}/redis/nodes.conf`,
    socket: `${config.run_dir}/redis.sock`,
    pidFile: `${config.run_dir}/redis.pid`,
    logFile: `${config.log_dir}/redis-server.log`,
    agentSecretFile: `${config.run_dir}/agent.secret`,
  };
}

/** Bytes in the largest unit of Redis's that holds them exactly, so an operator reads "768mb". */
function memorySize(bytes: number): string {
  for (const [unit, size] of [
    ['gb', 1024 ** 3],
    ['mb', 1024 ** 2],
    ['kb', 1024],
  ] as const)
    if (bytes > 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  return String(bytes);
}

/**
 * The server configuration: the instance's address only, ACL users from a file on the volume
 * (no user without a password), both persistence kinds on the volume, the admin commands that
 * could reach outside the instance switched off for every connection, and the flavor's tuning.
 */
export function renderConfig(config: AgentConfig, paths: RedisPaths, tuning: Record<string, number>): string {
  return `# Written by the Trove guest agent; regenerated on prepare and resize.
bind ${config.address}
port ${config.port}
protected-mode yes
unixsocket ${paths.socket}
unixsocketperm 700
daemonize no
pidfile ${paths.pidFile}
logfile ${paths.logFile}
loglevel notice
dir ${paths.dataDir}
aclfile ${paths.aclFile}
dbfilename dump.rdb
save 3600 1 300 100 60 10000
appendonly yes
appendfsync everysec
enable-protected-configs no
enable-debug-command no
enable-module-command no
tcp-keepalive 300
# Tuned from the flavor (the formulas are the datastore's catalog descriptor's). noeviction: a
# database must not drop data silently when full; writes fail with an OOM error instead.
${Object.entries(tuning)
  .map(([name, value]) => `${name} ${name === 'maxmemory' ? memorySize(value) : value}`)
  .join('\n')}
maxmemory-policy noeviction
include ${paths.overridesFile}
include ${paths.clusterFile}
include ${paths.replicationFile}
`;
}
