import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { GuestReplication } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import type { ReplicationRole } from '../../replication-protocol.js';
import { giveFile } from '../../system-user.js';
import { passwordHash, ROOT_USER, SERVER_OWN_USERS } from './acl.js';
import { redisCommand, redisInfo } from './cli.js';
import { pathsOf } from './config-file.js';

/** More replicas than any source has: a source that needs this many refuses every write (NOREPLICAS). */
const FENCED_MIN_REPLICAS = 1_000_000;

/** What the replication account may run: the replication handshake and stream, nothing else. */
const REPLICATION_RULES = ['-@all', '+psync', '+sync', '+replconf', '+ping'];

function renderReplicationConfig(role: ReplicationRole): string {
  const head = `# Written by the Trove guest agent: this server's replication role (${role.role}).\n`;
  if (role.role === 'fenced') return `${head}min-replicas-to-write ${FENCED_MIN_REPLICAS}\nmin-replicas-max-lag 10\n`;
  if (role.role === 'source') return `${head}min-replicas-to-write 0\n`;
  const { source } = role;
  return `${head}min-replicas-to-write 0\nreplica-read-only yes\nmasteruser ${source.user}\nmasterauth ${source.password}\nreplicaof ${source.host} ${source.port}\n`;
}

function writeConfig(config: AgentConfig, role: ReplicationRole): void {
  const file = pathsOf(config).replicationFile;
  writeFileAtomic(file, renderReplicationConfig(role), 0o600);
  giveFile(file, 'redis');
}

export function ensureReplicationConfig(config: AgentConfig): void {
  if (!existsSync(pathsOf(config).replicationFile)) writeConfig(config, { role: 'source' });
}

const info = (config: AgentConfig) => redisInfo(config, 'replication');

/**
 * Redis replicates with REPLICAOF: the replica loads a snapshot from its source and then takes
 * its command stream, counted in bytes (the replication offset). A fenced source refuses every
 * write because it cannot have the replicas min-replicas-to-write asks for.
 */
export const redisReplication: GuestReplication = {
  async writeRole(config, role) {
    writeConfig(config, role);
  },

  async allowReplicas(config, account) {
    await redisCommand(config, ['ACL', 'SETUSER', account.user, 'reset', 'on', passwordHash(account.password), ...REPLICATION_RULES]);
    await redisCommand(config, ['ACL', 'SAVE']);
  },

  async releaseRetainer() {
    // A Redis source keeps no per-replica state beyond the connection.
  },

  async follow(config, source) {
    await redisCommand(config, ['CONFIG', 'SET', 'masteruser', source.user]);
    await redisCommand(config, ['CONFIG', 'SET', 'masterauth'], source.password);
    await redisCommand(config, ['CONFIG', 'SET', 'replica-read-only', 'yes', 'min-replicas-to-write', '0']);
    await redisCommand(config, ['REPLICAOF', source.host, String(source.port)]);
  },

  async fence(config) {
    await redisCommand(config, ['CONFIG', 'SET', 'min-replicas-to-write', String(FENCED_MIN_REPLICAS)]);
    return (await info(config)).master_repl_offset ?? '0';
  },

  async catchUp(config, position, timeoutMs) {
    const target = Number(position);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = await info(config);
      if (now.master_link_status === 'up' && Number(now.master_repl_offset) >= target) return;
      if (Date.now() > deadline) throw new Error(`the replica did not reach offset ${target} within ${Math.ceil(timeoutMs / 1000)} s (it is at ${now.master_repl_offset ?? 'an unknown offset'}, link ${now.master_link_status ?? 'down'})`);
      await sleep(20);
    }
  },

  async promote(config) {
    await redisCommand(config, ['REPLICAOF', 'NO', 'ONE']);
    await redisCommand(config, ['CONFIG', 'SET', 'min-replicas-to-write', '0']);
  },

  async status(config, role) {
    const now = await info(config);
    const position = now.master_repl_offset ?? '0';
    if (role.role !== 'replica') return { role: role.role, streaming: false, position, progress: Number(position) };
    const streaming = now.role === 'slave' && now.master_link_status === 'up';
    return {
      role: role.role,
      streaming,
      position,
      progress: Number(position),
      // Redis counts replication in bytes, not time: a replica knows no lag in seconds.
      source_host: role.source.host,
      ...(streaming ? {} : { error: now.master_link_status === undefined ? 'the server is not a replica' : `link to the source is ${now.master_link_status}` }),
    };
  },

  async exportAccounts(config) {
    const lines = (await redisCommand(config, ['ACL', 'LIST'])) as string[];
    return lines.filter((line) => !SERVER_OWN_USERS.includes(line.split(' ')[1] ?? ''));
  },

  async importAccounts(config, accounts) {
    const wanted = new Map(accounts.map((line) => [line.split(' ')[1]!, line.split(' ').slice(2)]));
    for (const name of (await redisCommand(config, ['ACL', 'USERS'])) as string[]) {
      if (!SERVER_OWN_USERS.includes(name) && name !== ROOT_USER && !wanted.has(name)) await redisCommand(config, ['ACL', 'DELUSER', name]);
    }
    for (const [name, rules] of wanted) if (!SERVER_OWN_USERS.includes(name)) await redisCommand(config, ['ACL', 'SETUSER', name, 'reset', ...rules]);
    await redisCommand(config, ['ACL', 'SAVE']);
  },
};
