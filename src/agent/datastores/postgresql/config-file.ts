import { ARCHIVE_SOCKET } from '../../archive-socket.js';
import { REPLICATION_USER } from '../../replication-protocol.js';
import type { AgentConfig } from '../../protocol.js';
import { PEER_MAP } from './sql.js';

export interface PostgresPaths {
  dataDir: string;
  socketDir: string;
  configFile: string;
  hbaFile: string;
  /** The peer map that lets the agent's OS user log in as the superuser on the socket. */
  identFile: string;
  logFile: string;
  /** Where archive_command hands each finished WAL segment to the agent, which stores it. */
  archiveSocket: string;
  /** WAL of incremental backups being replayed by a restore. */
  restoreWalDir: string;
  /** The configuration group's values; included last, so they win over the tuning above. */
  overridesFile: string;
  /** The replication role's settings (a standby's source); included after the overrides, so a group cannot undo them. */
  replicationFile: string;
  /** The networks allowed to log in (the instance's `allowed_cidrs`), kept for every rewrite of pg_hba.conf. */
  accessFile: string;
}

export function pathsOf(config: AgentConfig): PostgresPaths {
  return {
    dataDir: `${config.volume_dir}/pgdata`,
    socketDir: config.run_dir,
    configFile: `${config.run_dir}/postgresql.conf`,
    hbaFile: `${config.run_dir}/pg_hba.conf`,
    identFile: `${config.run_dir}/pg_ident.conf`,
    logFile: `${config.log_dir}/postgresql.log`,
    archiveSocket: `${config.run_dir}/${ARCHIVE_SOCKET}`,
    restoreWalDir: `${config.volume_dir}/restore-wal`,
    overridesFile: `${config.run_dir}/overrides.conf`,
    replicationFile: `${config.run_dir}/replication.conf`,
    accessFile: `${config.run_dir}/allowed-cidrs.json`,
  };
}

/** The server configuration: the instance's address, scram-sha-256 only, logging to a file, tuning. */
export function renderConfig(config: AgentConfig, paths: PostgresPaths, tuning: Record<string, number>): string {
  return `# Written by the Trove guest agent; regenerated on prepare and resize.
data_directory = '${paths.dataDir}'
hba_file = '${paths.hbaFile}'
ident_file = '${paths.identFile}'
listen_addresses = '${config.address}'
port = ${config.port}
unix_socket_directories = '${paths.socketDir}'
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
ssl = off
logging_collector = on
log_directory = '${config.log_dir}'
log_filename = 'postgresql.log'
log_file_mode = 0600
log_rotation_age = 0
log_rotation_size = 0
# Tuned from the flavor (the formulas are the datastore's catalog descriptor's; sizes in pg_settings' units).
${Object.entries(tuning)
  .map(([name, value]) => `${name} = ${value}`)
  .join('\n')}
# Each finished WAL segment goes to the agent, which answers once it is in the object store
# (through the backup pipeline) or, before a first full backup, that nothing needs it. Until
# then PostgreSQL keeps the segment and tries again.
archive_mode = on
archive_command = 'curl --silent --show-error --fail --max-time 600 --output /dev/null --unix-socket ${paths.archiveSocket} -X POST http://agent/archive/%f'
include_if_exists = '${paths.overridesFile}'
include_if_exists = '${paths.replicationFile}'
`;
}

/**
 * Passwords (scram-sha-256) over TCP; the superuser only by peer on the socket. With allowed
 * networks, only they (and the instance's own address, which the agent's health check comes
 * from) may log in: the engine's own wall behind the host's packet filter.
 */
export function renderHba(config: AgentConfig, allowedCidrs: readonly string[] = []): string {
  const sources = allowedCidrs.length === 0 ? ['0.0.0.0/0', '::/0'] : [`${config.address}/32`, ...allowedCidrs];
  return `# Written by the Trove guest agent.
local   all          postgres                 peer map=${PEER_MAP}
local   replication  postgres                 peer map=${PEER_MAP}
host    replication  ${REPLICATION_USER}  0.0.0.0/0  scram-sha-256
${sources.map((source) => `host    all          all        ${source.padEnd(13)} scram-sha-256`).join('\n')}
`;
}
