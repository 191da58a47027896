import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { EngineControl, GuestReplication } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { REPLICATION_USER, type ReplicationRole, type ReplicationSource } from '../../replication-protocol.js';
import { pathsOf } from './config-file.js';
import { identifiedBy, literal, MariadbError, runSql, runSqlRecords } from './sql.js';

const sql = (config: AgentConfig, statements: string | readonly string[]) => runSql(pathsOf(config).socket, statements);

/** read_only holds every account without READ ONLY ADMIN (tenants); a fenced server also starts no replication. */
export function renderReplicationConfig(role: ReplicationRole): string {
  return `# Written by the Trove guest agent: this server's replication role (${role.role}).
[mysqld]
read_only = ${role.role === 'source' ? 0 : 1}
skip_slave_start = ${role.role === 'replica' ? 0 : 1}
`;
}

export function ensureReplicationConfig(config: AgentConfig): void {
  const file = pathsOf(config).replicationConfig;
  if (!existsSync(file)) writeFileAtomic(file, renderReplicationConfig({ role: 'source' }), 0o644);
}

/** The largest sequence number in a GTID list ("0-11-42,1-3-7"): one number that grows with every transaction of the set. */
export function gtidProgress(gtids: string): number {
  return gtids
    .split(',')
    .map((gtid) => Number(gtid.trim().split('-')[2] ?? 0))
    .reduce((a, b) => Math.max(a, Number.isFinite(b) ? b : 0), 0);
}

async function slaveStatus(config: AgentConfig): Promise<Record<string, string> | undefined> {
  return (await runSqlRecords(pathsOf(config).socket, 'SHOW SLAVE STATUS'))[0];
}

/** Ends every tenant session: a transaction open on a fenced source can never commit. */
async function endTenantSessions(config: AgentConfig, log: EngineControl['log']): Promise<void> {
  const sessions = await sql(
    config,
    `SELECT id FROM information_schema.processlist WHERE id <> CONNECTION_ID() AND user NOT IN ('root', 'system user', 'event_scheduler', 'unauthenticated user', ${literal(REPLICATION_USER)}) AND command NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon')`,
  );
  for (const [id] of sessions) {
    // A session that ended between the list and the kill is what was wanted (1094: no such thread).
    await sql(config, `KILL CONNECTION ${Number(id)}`).catch((err: unknown) => {
      if (!(err instanceof MariadbError && err.code === 1094)) log.warn({ err: err instanceof Error ? err.message : String(err) }, `ending session ${Number(id)} on fencing failed; going on without it`);
    });
  }
}

function changeMaster(source: ReplicationSource): string {
  return `CHANGE MASTER TO MASTER_HOST = ${literal(source.host)}, MASTER_PORT = ${source.port}, MASTER_USER = ${literal(source.user)}, MASTER_PASSWORD = ${literal(source.password)}, MASTER_USE_GTID = current_pos, MASTER_CONNECT_RETRY = 1`;
}

/**
 * MariaDB replicates by GTID: a replica restored from a backup starts at the backup's GTID, a
 * re-pointed one carries on from its own. Fencing is read_only (with tenant sessions ended), and
 * a replica catches up with MASTER_GTID_WAIT.
 */
export const mariadbReplication: GuestReplication = {
  async writeRole(config, role) {
    writeFileAtomic(pathsOf(config).replicationConfig, renderReplicationConfig(role), 0o644);
  },

  async allowReplicas(config, account) {
    // Replicated to the replicas too: after a promotion the account is already where it is needed.
    await sql(config, [`CREATE USER IF NOT EXISTS ${literal(account.user)}@'%' ${identifiedBy(account.password)}`, `ALTER USER ${literal(account.user)}@'%' ${identifiedBy(account.password)}`, `GRANT REPLICATION SLAVE ON *.* TO ${literal(account.user)}@'%'`]);
  },

  async releaseRetainer() {
    // MariaDB keeps no per-replica state on its source: binary logs expire by age.
  },

  async follow(config, source, seed) {
    const seedGtid = seed?.gtid;
    await sql(config, ['SET GLOBAL read_only = 1', 'STOP SLAVE', ...(seedGtid !== undefined ? ['RESET SLAVE ALL', `SET GLOBAL gtid_slave_pos = ${literal(seedGtid)}`] : []), changeMaster(source), 'START SLAVE']);
  },

  async fence(config, engine) {
    await sql(config, 'SET GLOBAL read_only = 1');
    await endTenantSessions(config, engine.log);
    // Commits that began before read_only are finished or refused by now: this is the last write.
    return (await sql(config, 'SELECT @@gtid_binlog_pos'))[0]?.[0] ?? '';
  },

  async catchUp(config, position, timeoutMs) {
    if (position === '') return;
    const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
    const outcome = (await sql(config, `SELECT MASTER_GTID_WAIT(${literal(position)}, ${seconds})`))[0]?.[0];
    if (outcome !== '0') {
      const status = await slaveStatus(config);
      throw new Error(`the replica did not reach ${position} within ${seconds} s (it is at ${status?.Gtid_IO_Pos ?? 'an unknown position'}${status?.Last_Error ? `: ${status.Last_Error}` : ''})`);
    }
  },

  async promote(config) {
    // Transactions received but not yet applied are applied before the replica breaks away.
    if ((await slaveStatus(config))?.Slave_SQL_Running === 'Yes') {
      await sql(config, 'STOP SLAVE IO_THREAD');
      const received = (await slaveStatus(config))?.Gtid_IO_Pos;
      if (received) await mariadbReplication.catchUp(config, received, 60_000);
    }
    await sql(config, ['STOP SLAVE', 'RESET SLAVE ALL', 'SET GLOBAL read_only = 0']);
  },

  async status(config, role) {
    const [row] = await sql(config, 'SELECT @@gtid_binlog_pos, @@gtid_slave_pos, @@gtid_current_pos');
    const [binlog = '', slave = '', current = ''] = row ?? [];
    if (role.role !== 'replica') return { role: role.role, streaming: false, position: binlog, progress: gtidProgress(current) };
    const status = await slaveStatus(config);
    const streaming = status?.Slave_IO_Running === 'Yes' && status.Slave_SQL_Running === 'Yes';
    const behind = status?.Seconds_Behind_Master;
    const error = status?.Last_IO_Error || status?.Last_SQL_Error;
    return {
      role: role.role,
      streaming,
      position: slave,
      progress: gtidProgress(current),
      ...(behind !== undefined && behind !== 'NULL' && behind !== '' ? { lag_seconds: Number(behind) } : {}),
      source_host: role.source.host,
      ...(error ? { error } : {}),
    };
  },
};
