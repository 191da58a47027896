import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { ClusterMembership, ClusterMemberStatus } from '../../cluster-protocol.js';
import type { GuestCluster } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { giveFile } from '../../system-user.js';
import { pathsOf, serverIdOf } from './config-file.js';
import { allowGaleraBootstrap, galeraPosition } from './galera-state.js';
import { identifiedBy, literal, runSql, runSqlRecords } from './sql.js';

/** The account a donor's mariabackup logs in as during a state transfer (reserved: tenants cannot see or change it). */
export const TRANSFER_USER = 'trove_sst';

const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
/** Galera's own ports, on each member's private address (members do not share one). */
const GROUP_PORT = 4567;
const IST_PORT = 4568;
const SST_PORT = 4444;

/** Galera's names travel in its handshake, which refuses long ones: the id's first 16 hex digits (64 random bits) stay unique. */
function galeraName(id: string): string {
  return id.replace(/-/g, '').slice(0, 16);
}

/** The Galera settings of one member: written before every start that follows a change of membership. */
export function renderClusterConfig(config: AgentConfig, membership: ClusterMembership): string {
  const address = config.address;
  // A bootstrap starts a new cluster alone (an empty address list); afterwards the member always rejoins the others.
  const peers = membership.bootstrap ? '' : membership.members.map((m) => `${m}:${GROUP_PORT}`).join(',');
  return `# Written by the Trove guest agent: this instance is a member of Galera cluster ${membership.name}.
[mysqld]
wsrep_on = ON
wsrep_provider = ${GALERA_PROVIDER}
wsrep_cluster_name = ${galeraName(membership.name)}
wsrep_cluster_address = gcomm://${peers}
wsrep_node_name = ${galeraName(config.instance_id)}
wsrep_node_address = ${address}
wsrep_provider_options = "gmcast.listen_addr=tcp://${address}:${GROUP_PORT}; ist.recv_addr=${address}:${IST_PORT}; gcache.size=64M"
wsrep_sst_receive_address = ${address}:${SST_PORT}
wsrep_sst_method = mariabackup
wsrep_sst_auth = ${TRANSFER_USER}:${membership.secret}
# What Galera's certification needs: row events, and auto-increments that interleave between members.
binlog_format = ROW
innodb_autoinc_lock_mode = 2
# One GTID sequence for the whole cluster: every member has the same server id and Galera's domain.
server_id = ${serverIdOf(membership.name)}
# A commit is durable once every member has its write set: each member writes its log at commit
# and flushes it once a second (what survives an engine's crash; a host's crash is what the other
# members are for).
innodb_flush_log_at_trx_commit = 2
wsrep_gtid_mode = ON
wsrep_gtid_domain_id = 1
gtid_strict_mode = 0

[sst]
# A transfer's listener and sender bind this member's own address: members on one host share port ${SST_PORT}.
sockopt = bind=${address}
`;
}

/** An instance outside any cluster has an empty cluster file: my.cnf includes it either way. */
export function ensureClusterConfig(config: AgentConfig): void {
  const file = pathsOf(config).clusterConfig;
  if (!existsSync(file)) writeFileAtomic(file, '[mysqld]\n', 0o644);
}

/** Galera for MariaDB: every member writable, new members receive their data from a donor by mariabackup. */
export const mariadbCluster: GuestCluster = {
  async writeMembership(config, membership) {
    const file = pathsOf(config).clusterConfig;
    // It holds the transfer account's password: readable by the engine's user alone.
    writeFileAtomic(file, renderClusterConfig(config, membership), 0o600);
    giveFile(file, 'mysql');
  },

  async secureBootstrap(config, membership) {
    const account = `${literal(TRANSFER_USER)}@'localhost'`;
    // Made once on the first member, it reaches every later member with the data they receive.
    await runSql(pathsOf(config).socket, [`CREATE USER IF NOT EXISTS ${account} ${identifiedBy(membership.secret)}`, `ALTER USER ${account} ${identifiedBy(membership.secret)}`, `GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO ${account}`]);
  },

  async status(config): Promise<ClusterMemberStatus> {
    const rows = await runSqlRecords(pathsOf(config).socket, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_cluster_status', 'wsrep_ready')");
    const value = new Map(rows.map((r) => [r.Variable_name ?? '', r.Value ?? '']));
    const state = value.get('wsrep_local_state_comment') || 'Unknown';
    return {
      size: Number(value.get('wsrep_cluster_size') ?? 0) || 0,
      state,
      synced: state === 'Synced' && value.get('wsrep_ready') === 'ON',
      primary: value.get('wsrep_cluster_status') === 'Primary',
    };
  },

  position: galeraPosition,

  async allowBootstrap(config) {
    allowGaleraBootstrap(config);
  },
};
