import { bestEffort } from '../../../common/best-effort.js';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { GuestReplication } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import type { ReplicationRole } from '../../replication-protocol.js';
import { giveFile } from '../../system-user.js';
import { pathsOf } from './config-file.js';
import { ident, literal, passwordClause, runSql } from './sql.js';

const sql = (config: AgentConfig, statement: string) => runSql(pathsOf(config).socketDir, config.port, statement);

/** An LSN ("16/B374D848") as one number: 2^53 bytes of WAL is far beyond any instance's life. */
export function lsnProgress(lsn: string): number {
  const [high, low] = lsn.split('/');
  if (high === undefined || low === undefined) return 0;
  return Number.parseInt(high, 16) * 2 ** 32 + Number.parseInt(low, 16);
}

/** A conninfo value in single quotes (libpq's own quoting). */
function conninfoValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The recovery settings of each role; a standby without a primary (fenced) is read-only and follows nobody. */
export function renderReplicationConfig(role: ReplicationRole): string {
  const head = `# Written by the Trove guest agent: this server's replication role (${role.role}).\n`;
  if (role.role !== 'replica') return `${head}primary_conninfo = ''\nprimary_slot_name = ''\n`;
  const { source } = role;
  const conninfo = `host=${source.host} port=${source.port} user=${source.user} password=${conninfoValue(source.password)} application_name=${source.retainer} connect_timeout=5`;
  return `${head}primary_conninfo = ${literal(conninfo)}\nprimary_slot_name = ${literal(source.retainer)}\nrecovery_target_timeline = 'latest'\n`;
}

const giveToEngine = (path: string) => giveFile(path, 'postgres');

export function ensureReplicationConfig(config: AgentConfig): void {
  const file = pathsOf(config).replicationFile;
  if (existsSync(file)) return;
  writeFileAtomic(file, renderReplicationConfig({ role: 'source' }), 0o600);
  giveToEngine(file);
}

async function inRecovery(config: AgentConfig): Promise<boolean> {
  return (await sql(config, 'SELECT pg_is_in_recovery()'))[0]?.[0] === 't';
}

/**
 * PostgreSQL streams WAL to hot standbys, each through a physical replication slot on its source
 * (the source keeps the WAL a standby has not received). A fenced source is restarted as a
 * standby of nobody: read-only, its WAL ending at the shutdown checkpoint that a standby must reach.
 */
export const postgresqlReplication: GuestReplication = {
  async writeRole(config, role) {
    const paths = pathsOf(config);
    writeFileAtomic(paths.replicationFile, renderReplicationConfig(role), 0o600);
    giveToEngine(paths.replicationFile);
    const signal = join(paths.dataDir, 'standby.signal');
    if (role.role === 'source') rmSync(signal, { force: true });
    else if (existsSync(paths.dataDir) && !existsSync(signal)) {
      writeFileSync(signal, '', { mode: 0o600 });
      giveToEngine(signal);
    }
  },

  async allowReplicas(config, account, slots) {
    const role = ident(account.user);
    const exists = (await sql(config, `SELECT 1 FROM pg_roles WHERE rolname = ${literal(account.user)}`)).length > 0;
    await sql(config, `${exists ? `ALTER ROLE ${role}` : `CREATE ROLE ${role}`} WITH LOGIN REPLICATION ${passwordClause(account.password)}`);
    for (const slot of slots) {
      await sql(config, `SELECT pg_create_physical_replication_slot(${literal(slot)}, true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = ${literal(slot)})`);
    }
  },

  async releaseRetainer(config, slot) {
    // The replica is going (deleted, detached): a connection it still holds is ended, or the slot could not go.
    await sql(config, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = ${literal(slot)} AND active`);
    for (let attempt = 0; ; attempt += 1) {
      try {
        await sql(config, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${literal(slot)}`);
        return;
      } catch (err) {
        if (attempt >= 50) throw err;
        await sleep(100);
      }
    }
  },

  async follow(config, _source, _seed, engine) {
    // Slots this server kept as a source would hold its WAL for ever: a standby serves no replicas.
    await bestEffort(engine.log, 'dropping the replication slots kept as a source', sql(config, 'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active'));
    // A standby takes a new primary_conninfo on reload; a primary must restart to become one.
    if (await inRecovery(config)) await sql(config, 'SELECT pg_reload_conf()');
    else await engine.restart();
  },

  async fence(config, engine) {
    if (!(await inRecovery(config))) await engine.restart();
    return (await sql(config, 'SELECT pg_last_wal_replay_lsn()'))[0]?.[0] ?? '';
  },

  async catchUp(config, position, timeoutMs) {
    if (position === '') return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [row] = await sql(config, `SELECT pg_last_wal_replay_lsn() >= ${literal(position)}::pg_lsn, pg_last_wal_replay_lsn()`);
      if (row?.[0] === 't') return;
      if (Date.now() > deadline) throw new Error(`the replica did not reach ${position} within ${Math.ceil(timeoutMs / 1000)} s (it is at ${row?.[1] ?? 'an unknown position'})`);
      await sleep(20);
    }
  },

  async promote(config) {
    if (!(await inRecovery(config))) return;
    const promoted = (await sql(config, 'SELECT pg_promote(true, 60)'))[0]?.[0];
    if (promoted !== 't') throw new Error('PostgreSQL did not finish its promotion within 60 s');
  },

  async status(config, role) {
    const [row] = await sql(
      config,
      `SELECT pg_is_in_recovery(),
        CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,
        pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn(),
        COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::text, ''),
        COALESCE((SELECT status FROM pg_stat_wal_receiver), '')`,
    );
    const [recovering, lsn = '', caughtUp, sinceReplay = '', receiver = ''] = row ?? [];
    const position = lsn;
    if (role.role !== 'replica') return { role: role.role, streaming: false, position, progress: lsnProgress(position) };
    const streaming = recovering === 't' && receiver === 'streaming';
    const lag = caughtUp === 't' ? 0 : sinceReplay === '' ? undefined : Math.max(0, Number(sinceReplay));
    return {
      role: role.role,
      streaming,
      position,
      progress: lsnProgress(position),
      ...(lag !== undefined ? { lag_seconds: Math.round(lag * 1000) / 1000 } : {}),
      source_host: role.source.host,
      ...(streaming ? {} : { error: recovering === 't' ? 'not receiving from the source (see the PostgreSQL log)' : 'the server is not in recovery' }),
    };
  },
};
